/**
 * Issue 11 part 4 on real nodes over 127.0.0.1: a member whose node skips its own checks
 * serves ships past every bound. The org's node refuses all of it when it pulls, bans
 * the member's node, and a newcomer still joins and catches up in normal time.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import type { ChangeHash, DocumentStore, SignedEntry, Signer } from '../../crdt/index.ts'
import { SYNC_PROTOCOL } from '../../net/sync/messages.ts'
import { serveSync } from '../../net/sync/sync-protocol.ts'
import { initDataDir, layout, VerseGuyNode } from '../../node/index.ts'
import { type HangarDoc, hangarId } from '../../services/fleet/index.ts'
import { MemberIdentity } from '../../services/identity/index.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { makeReplica, type Replica } from '../helpers/replica.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const PASS = 'bounds test passphrase'
const nodes: VerseGuyNode[] = []
const replicas: Replica[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop().catch(() => {})
  for (const r of replicas.splice(0)) await r.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
}, 60_000)

async function node(bootstrap: string[] = []): Promise<VerseGuyNode> {
  const d = await mkdtemp(join(tmpdir(), 'vg-bounds-'))
  dirs.push(d)
  await initDataDir(d, PASS, FAST_KDF)
  await writeFile(
    join(d, 'config.json'),
    JSON.stringify({
      net: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, bootstrap, discoveryIntervalSeconds: 600 },
      storage: { sync: false },
    }),
  )
  const n = new VerseGuyNode({ dataDir: d, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
  await n.start()
  nodes.push(n)
  return n
}

/** Everything a store holds, as a peer would send it. */
async function holdings(store: DocumentStore): Promise<{ entries: SignedEntry[]; changes: Uint8Array[] }> {
  const entries: SignedEntry[] = []
  for (const scope of await store.chains.scopes()) {
    if (scope === null) continue
    for (const author of await store.chains.authors(scope))
      for await (const e of store.chains.entries(scope, author)) entries.push(e)
  }
  const changes: Uint8Array[] = []
  for (const docId of await store.list()) changes.push(...(await store.changes(docId)))
  return { entries, changes }
}

describe('bounds on real nodes', () => {
  it('a lawless member serving bloat is refused and banned; a newcomer still joins and catches up', async () => {
    const t = await node()
    const org = await t.services.org.createOrg({ name: 'Bounds Org', tag: 'BND', handle: 'Lead_B' })
    for (let i = 0; i < 20; i++)
      await t.services.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI' })
    const addr = t.addresses()[0] as string

    const insider = await node([addr])
    const first = await t.services.invites.createInvite(org.id, { rank: 'member', bootstrap: [addr] })
    await insider.services.invites.accept(first.token, 'Mem_Lawless', insider.admissions)
    await insider.mesh.syncAll()
    const me = insider.services.org.me
    await waitFor('the join on the org node', async () =>
      (await t.services.org.members(org.id)).some((m) => m.memberKey === me),
    )

    // The insider's node is modified: a store that takes anything, serving what it wrote.
    const signer: Signer = await MemberIdentity.unlock(layout(dirs[1] as string).identity, PASS)
    const lawless = await makeReplica(signer, { lawless: true })
    replicas.push(lawless)
    await lawless.store.receive(await holdings(insider.documents))
    const authHeads = A.getHeads(await lawless.org.roster(org.id)) as ChangeHash[]
    await lawless.store.create<HangarDoc>(
      hangarId(org.id, me),
      { action: 'ship.add', resource: 'ship', authHeads },
      (d) => {
        d.schema = 1
        d.org = new A.ImmutableString(org.id)
        d.owner = new A.ImmutableString(me)
        d.ships = {}
        for (let i = 0; i < 1_500; i++)
          d.ships[randomBytes(8).toString('hex')] = { name: new A.ImmutableString('x'.repeat(200)) } as never
      },
    )
    await insider.mesh.stop()
    const source = new StoreSyncSource({ store: lawless.store, auth: lawless.validator.auth })
    await insider.network.libp2p.handle(SYNC_PROTOCOL, (stream) => {
      void serveSync(stream, t.services.org.me, source).catch(() => {})
    })

    const before = (await t.documents.chains.head(org.id, me))?.seq
    for (let i = 0; i < 3 && !t.network.isBanned(insider.network.peerId); i++)
      await t.mesh.pull(insider.network.peerId)
    await waitFor('the lawless node banned', () => t.network.isBanned(insider.network.peerId))
    expect((await t.documents.chains.head(org.id, me))?.seq).toBe(before)
    expect(await t.documents.has(hangarId(org.id, me))).toBe(false)

    // The banned node keeps dialing back from 127.0.0.1, which libp2p's per-address inbound
    // rate limit would count against the newcomer (same address): it goes away first.
    await insider.stop()
    // A newcomer joins through the org node in normal time and holds everything legal.
    const started = performance.now()
    const newcomer = await node([addr])
    const invite = await t.services.invites.createInvite(org.id, { rank: 'member', bootstrap: [addr] })
    await newcomer.services.invites.accept(invite.token, 'Mem_New', newcomer.admissions)
    await newcomer.mesh.syncAll()
    expect(await newcomer.services.fleet.ships(org.id)).toHaveLength(20)
    expect((await newcomer.services.org.members(org.id)).length).toBe(3)
    expect(performance.now() - started).toBeLessThan(15_000)
  }, 90_000)
})
