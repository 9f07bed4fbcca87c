/**
 * Invite tokens: they carry the org's rendezvous (and the inviter, whose key is its peer
 * id); tokens from before the rendezvous still read (admission entries keep them for
 * good); a rendezvous of the wrong shape makes a token malformed.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../../crdt/index.ts'
import {
  INVITE_DOMAIN,
  type Invite,
  newInviteId,
  readInvite,
  signInvite,
} from '../../../services/org/invite.ts'
import { makeReplica } from '../../helpers/replica.ts'
import { makeSigner } from '../../helpers/signer.ts'

const inviter = makeSigner()
const now = Date.now()
const base: Invite = {
  id: newInviteId(),
  orgId: 'ab'.repeat(16),
  inviter: inviter.memberKey,
  rank: 'member',
  issuedAt: now,
  expiresAt: now + 60_000,
  bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDseRcjkSi1PCgC7BM3oDpikbWQbD1K3N8XYim8PhXypF'],
}

/** Signs arbitrary body fields as an invite token (for shapes `signInvite` never makes). */
function tokenOf(fields: Record<string, unknown>): string {
  const bytes = new Uint8Array([...INVITE_DOMAIN, ...dagCbor.encode(fields)])
  return `vginv1.${Buffer.from([...inviter.sign(bytes), ...bytes]).toString('base64url')}`
}

describe('invite tokens', () => {
  it('carry the rendezvous; tokens without one (made before it existed) still read', () => {
    const rendezvous = 'cd'.repeat(32)
    const withIt = readInvite(signInvite({ ...base, rendezvous }, inviter))
    expect(withIt).toEqual({ ok: true, invite: { ...base, rendezvous } })
    const old = readInvite(signInvite(base, inviter))
    expect(old).toEqual({ ok: true, invite: base })
    expect(old.ok && 'rendezvous' in old.invite).toBe(false)
  })

  it('a rendezvous that is not 32 bytes makes the token malformed', () => {
    const fields = {
      id: fromHex(base.id),
      orgId: base.orgId,
      inviter: fromHex(base.inviter),
      rank: base.rank,
      issuedAt: base.issuedAt,
      expiresAt: base.expiresAt,
      bootstrap: [...base.bootstrap],
    }
    expect(readInvite(tokenOf(fields)).ok).toBe(true)
    for (const rendezvous of [new Uint8Array(31), new Uint8Array(33), 'cd'.repeat(32), null]) {
      expect(readInvite(tokenOf({ ...fields, rendezvous }))).toEqual({
        ok: false,
        reason: 'invite token is malformed',
      })
    }
  })

  it("an invite made by a member names the org's rendezvous it was given; a bad one is refused", async () => {
    const r = await makeReplica(makeSigner(), { storage: 'memory' })
    try {
      const org = await r.org.createOrg({ name: 'Token Org', tag: 'TOK', handle: 'Lead_T' })
      const rendezvous = 'ef'.repeat(32)
      const { token, invite } = await r.invites.createInvite(org.id, { rank: 'member', rendezvous })
      expect(invite.rendezvous).toBe(rendezvous)
      expect(readInvite(token)).toEqual({ ok: true, invite })
      await expect(r.invites.createInvite(org.id, { rank: 'member', rendezvous: 'zz' })).rejects.toThrow(
        /rendezvous/,
      )
    } finally {
      await r.close()
    }
  })
})
