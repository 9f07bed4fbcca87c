/**
 * `invite accept` is all or nothing, on real nodes on 127.0.0.1: a bad handle (refused
 * before anything goes on the network), a refused admission and a fetch that breaks off
 * after the admission each leave the newcomer's node as it was (no org listed, none
 * served by its API, nothing in its store or data directory); a used, revoked or expired
 * invite is refused in plain words through the CLI, which exits 1.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { memberKeyOf, SYNC_PROTOCOL, serveSync } from '../../net/index.ts'
import { domainValidator } from '../../services/domain.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { runCli, runMain } from '../helpers/cli.ts'
import { type TestNode, type TestNodeConfig, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const nodes = useNodes()
/**
 * The newcomer's node gives up looking for the org's nodes in the DHT after this (the
 * default, 20 s, is all waiting here: no other member's node is there to find).
 */
const NEWCOMER: TestNodeConfig = { net: { joinSearchSeconds: 2 } }

/** F (the founder), M (a member to be) and N (the newcomer), started side by side. */
function threeNodes(): Promise<[TestNode, TestNode, TestNode]> {
  return Promise.all([nodes.start('f'), nodes.start('m'), nodes.start('n', NEWCOMER)])
}

type Created = { token: string; invite: { id: string } }

async function orgWithMember(f: TestNode, m: TestNode): Promise<string> {
  const org = await f.api<{ id: string }>('POST', '/api/v1/orgs', {
    name: 'Whole Org',
    tag: 'WHOLE',
    handle: 'Lead_F',
  })
  const inv = await f.api<Created>('POST', `/api/v1/orgs/${org.id}/invites`, { rank: 'member' })
  await m.api('POST', '/api/v1/invites/accept', { token: inv.token, handle: 'Mem_M' })
  return org.id
}

/** The newcomer's node holds nothing of the org, serves none, and left no staging behind. */
async function expectUntouched(n: TestNode, org: string): Promise<void> {
  expect(await n.api<unknown[]>('GET', '/api/v1/orgs')).toEqual([])
  await expect(n.api('GET', `/api/v1/orgs/${org}/members`)).rejects.toThrow(/No org/)
  expect(await n.node.documents.list()).toEqual([])
  expect((await n.node.status()).chain?.seq).toBe(0)
  expect((await readdir(n.dir)).filter((x) => x.startsWith('join-staging-'))).toEqual([])
}

/** Makes `m`'s node serve catch-up through `source` from now on (in place of its mesh's). */
async function serveWith(m: TestNode, source: StoreSyncSource): Promise<void> {
  const libp2p = m.node.network.libp2p
  await libp2p.unhandle(SYNC_PROTOCOL)
  await libp2p.handle(SYNC_PROTOCOL, (stream, conn) => {
    void serveSync(stream, memberKeyOf(conn.remotePeer) ?? '', source).catch((err: Error) =>
      stream.abort(err),
    )
  })
}

/** Serves the first `ok` batches of a catch-up, then breaks the connection off. */
class BreakingSource extends StoreSyncSource {
  calls = 0
  ok = 1
  override async entriesAfter(...args: Parameters<StoreSyncSource['entriesAfter']>) {
    if (++this.calls > this.ok) throw new Error('connection lost')
    return super.entriesAfter(...args)
  }
}

describe('invite accept is all or nothing', () => {
  it('a bad handle, a refused admission and a fetch that breaks off each leave the node as it was', async () => {
    const [f, m, n] = await threeNodes()
    const org = await orgWithMember(f, m)
    const inv = await f.api<Created>('POST', `/api/v1/orgs/${org}/invites`, { rank: 'recruit' })
    const revoked = await f.api<Created>('POST', `/api/v1/orgs/${org}/invites`, { rank: 'recruit' })
    await f.node.services.invites.revokeInvite(org, revoked.invite.id)

    // A bad handle: refused before any node is asked.
    await expect(
      n.api('POST', '/api/v1/invites/accept', { token: inv.token, handle: 'x' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid-input',
      field: 'handle',
      message: expect.stringMatching(/^handle: must be 3 to 60 .*Nothing was changed\.$/),
    })
    expect(n.node.network.connectedPeers()).toEqual([])
    await expectUntouched(n, org)

    // A refused admission.
    await expect(
      n.api('POST', '/api/v1/invites/accept', { token: revoked.token, handle: 'Rec_N' }),
    ).rejects.toMatchObject({ status: 409, code: 'invite-refused', message: 'this invite was revoked.' })
    await expectUntouched(n, org)

    // Admitted by M (the inviter is offline), but the fetch breaks off after a first batch.
    await f.node.stop()
    const auth = () => domainValidator(() => m.node.documents).auth
    const breaking = new BreakingSource({ store: m.node.documents, auth: auth() })
    await serveWith(m, breaking)
    await expect(
      n.api('POST', '/api/v1/invites/accept', { token: inv.token, handle: 'Rec_N' }),
    ).rejects.toMatchObject({
      status: 503,
      code: 'invite-refused',
      kind: 'unavailable',
      message: expect.stringMatching(
        /^No member's node of this org could be reached to admit you .*accept the invite again\.$/,
      ),
    })
    expect(breaking.calls).toBeGreaterThan(1) // something arrived before the break
    await expectUntouched(n, org)

    // Accepting again once M serves whole: M answers that N is in already, N fetches the org.
    await serveWith(m, new StoreSyncSource({ store: m.node.documents, auth: auth() }))
    const joined = await n.api<{ id: string; memberCount: number }>('POST', '/api/v1/invites/accept', {
      token: inv.token,
      handle: 'Rec_N',
    })
    expect(joined).toMatchObject({ id: org, memberCount: 3 })
    await waitFor('N listed', async () => (await n.api<unknown[]>('GET', '/api/v1/orgs')).length === 1)
  }, 150_000)

  it('a staging folder left by a node stopped in the middle of an accept is removed at start', async () => {
    const n = await nodes.start('n')
    await n.node.stop()
    await mkdir(join(n.dir, 'join-staging-0123456789abcdef'))
    await writeFile(join(n.dir, 'join-staging-0123456789abcdef', 'LOCK'), '')
    await n.node.start()
    expect((await readdir(n.dir)).filter((x) => x.startsWith('join-staging-'))).toEqual([])
    expect(await n.api<unknown[]>('GET', '/api/v1/orgs')).toEqual([])
  })

  it('a used, revoked or expired invite says so through the CLI, whoever is asked, and the CLI exits 1', async () => {
    const [f, m, n] = await threeNodes()
    const org = await orgWithMember(f, m)
    const used = await f.api<Created>('POST', `/api/v1/orgs/${org}/invites`, { rank: 'recruit' })
    const revoked = await f.api<Created>('POST', `/api/v1/orgs/${org}/invites`, { rank: 'recruit' })
    const expired = await f.api<Created>('POST', `/api/v1/orgs/${org}/invites`, {
      rank: 'recruit',
      expiresInHours: 1 / 3_600_000,
    })
    const c = await nodes.start('c')
    await c.api('POST', '/api/v1/invites/accept', { token: used.token, handle: 'Rec_C' })
    await f.node.services.invites.revokeInvite(org, revoked.invite.id)
    // M (not the inviter) must know of the use and the revocation before it is asked alone.
    await waitFor('M knows', async () => {
      const state = await m.node.services.org.currentState(org)
      return state.inviteUsedBy(used.invite.id) !== undefined && state.isInviteRevoked(revoked.invite.id)
    })
    await f.node.stop() // whoever is asked: here M, the inviter being gone

    // The real entry point once (its exit code); the CLI's main in this process for the others.
    const args = (token: string) => ['-d', n.dir, 'invite', 'accept', token, '--handle', 'Late_N']
    for (const [run, token, words] of [
      [runCli, used.token, /^error: this invite was already used\.\n$/],
      [runMain, revoked.token, /^error: this invite was revoked\.\n$/],
      [runMain, expired.token, /^error: this invite expired on \d{4}-\d\d-\d\dT[\d:.]+Z\.\n$/],
    ] as const) {
      const r = await run(args(token))
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toMatch(words)
    }
    await expectUntouched(n, org)
  }, 150_000)
})
