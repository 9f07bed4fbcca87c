/** Join requests: signed by the newcomer's key, canonical, bounded, carrying a valid invite for the same org. */
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { newInviteId, signInvite } from '../../../services/org/invite.ts'
import {
  JOIN_REQUEST_DOMAIN,
  joinRequestText,
  MAX_JOIN_REQUEST_BYTES,
  readJoinRequest,
  readJoinRequestText,
  signJoinRequest,
} from '../../../services/org/join-request.ts'
import { makeSigner } from '../../helpers/signer.ts'

const inviter = makeSigner()
const newcomer = makeSigner()
const orgId = 'cd'.repeat(16)
const now = Date.now()
const token = signInvite(
  {
    id: newInviteId(),
    orgId,
    inviter: inviter.memberKey,
    rank: 'member',
    issuedAt: now,
    expiresAt: now + 60_000,
    bootstrap: [],
  },
  inviter,
)

/** Signs arbitrary body fields as a request (for shapes `signJoinRequest` never makes). */
function signedBody(fields: Record<string, unknown>): Uint8Array {
  const body = dagCbor.encode(fields)
  const bytes = new Uint8Array([...JOIN_REQUEST_DOMAIN, ...body])
  return new Uint8Array([...newcomer.sign(bytes), ...bytes])
}

describe('join requests', () => {
  it('round-trips, in bytes and in text', () => {
    const packed = signJoinRequest({ orgId, token, handle: 'New_1' }, newcomer)
    const read = readJoinRequest(packed)
    expect(read).toMatchObject({
      ok: true,
      request: { orgId, token, member: newcomer.memberKey, handle: 'New_1' },
    })
    expect(readJoinRequestText(joinRequestText(packed))).toMatchObject({ ok: true })
  })

  it('refuses another org than the invite’s, a bad invite, extra fields, other shapes and oversize', () => {
    const other = signJoinRequest({ orgId: 'ef'.repeat(16), token, handle: 'New_1' }, newcomer)
    expect(readJoinRequest(other)).toEqual({ ok: false, reason: 'the invite is for another org' })
    const badInvite = signJoinRequest(
      { orgId, token: `${token.slice(0, -4)}AAAA`, handle: 'New_1' },
      newcomer,
    )
    expect(readJoinRequest(badInvite)).toMatchObject({ ok: false, reason: /^the join request's invite: / })
    const base = {
      orgId,
      token,
      member: Buffer.from(newcomer.memberKey, 'hex'),
      handle: 'New_1',
      time: now,
      nonce: new Uint8Array(16),
    }
    expect(readJoinRequest(signedBody(base))).toMatchObject({ ok: true })
    expect(readJoinRequest(signedBody({ ...base, extra: 1 }))).toMatchObject({ ok: false })
    expect(readJoinRequest(signedBody({ ...base, time: 'now' }))).toMatchObject({ ok: false })
    expect(readJoinRequest(signedBody({ ...base, handle: 'x'.repeat(65) }))).toMatchObject({ ok: false })
    expect(readJoinRequest(new Uint8Array(MAX_JOIN_REQUEST_BYTES + 1))).toEqual({
      ok: false,
      reason: 'join request too large',
    })
    expect(readJoinRequestText('vginv1.abc')).toEqual({ ok: false, reason: 'not a join request' })
  })

  it('is bound to the key that signed it', () => {
    const packed = signJoinRequest({ orgId, token, handle: 'New_1' }, newcomer)
    const swapped = new Uint8Array(packed)
    swapped.set(makeSigner().sign(packed.subarray(64)), 0)
    expect(readJoinRequest(swapped)).toEqual({
      ok: false,
      reason: "the join request's signature does not verify",
    })
  })
})
