/**
 * Ten real nodes on 127.0.0.1 (mDNS off, one bootstrap peer): a burst reaches every
 * node complete, concurrent changes converge, a node that was offline catches up, a
 * restarted node keeps everything, a late joiner gets all history.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { parseDocId } from '../../crdt/index.ts'
import { initDataDir, VerseGuyNode } from '../../node/index.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const PASS = 'many nodes passphrase'
/** Ten nodes in one process share two cores: every change costs ten nodes' work here. */
const COUNT = Number(process.env.MESH_NODES ?? 10)
const BURST = Number(process.env.MESH_BURST ?? 2_000)
const AWAY = Number(process.env.MESH_AWAY ?? 5_000)
const t0 = Date.now()
const mark = (what: string) => {
  if (process.env.MESH_TRACE) console.log(((Date.now() - t0) / 1000).toFixed(1), what)
}
const nodes: VerseGuyNode[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop().catch(() => {})
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
}, 120_000)

async function node(bootstrap: string[], dir?: string): Promise<VerseGuyNode> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'vg-many-')))
  if (dir === undefined) {
    dirs.push(d)
    await initDataDir(d, PASS, FAST_KDF)
  }
  await writeFile(
    join(d, 'config.json'),
    JSON.stringify({
      net: {
        listen: ['/ip4/127.0.0.1/tcp/0'],
        mdns: false,
        bootstrap,
        syncIntervalSeconds: 2,
        discoveryIntervalSeconds: 60,
      },
      storage: { sync: false },
    }),
  )
  const n = new VerseGuyNode({ dataDir: d, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
  await n.start()
  nodes.push(n)
  return n
}

const headSeq = async (n: VerseGuyNode, org: { id: string }, author: string) =>
  (await n.documents.chains.head(org.id, author as never))?.seq ?? 0

describe('many nodes on one machine', () => {
  it('ten nodes: a burst of 2,000 changes reaches every node complete, concurrent changes converge, two halves of a partition converge once it heals', async () => {
    const leader = await node([])
    const boot = [leader.addresses()[0] as string]
    const org = await leader.services.org.createOrg({ name: 'Big Mesh', tag: 'BIG', handle: 'Lead_0' })
    const members: VerseGuyNode[] = []
    for (let i = 1; i < COUNT; i++) {
      const m = await node(boot)
      const { token } = await leader.services.invites.createInvite(org.id, {
        rank: 'member',
        bootstrap: boot,
      })
      await m.services.invites.accept(token, `Mem_${i}`, m.admissions)
      await m.mesh.syncAll()
      members.push(m)
    }
    const all = [leader, ...members]
    await waitFor(
      'every join on the leader',
      async () => (await leader.services.org.members(org.id)).length === COUNT,
      60_000,
    )
    // A discovery round now that every node is a member: they find each other in the DHT.
    await Promise.all(all.map((n) => n.mesh.discover()))
    mark('joined')

    // A burst from one node reaches all ten, complete.
    const me = leader.services.org.me
    const ship = await leader.services.fleet.addShip(org.id, { model: 'Idris-P', manufacturer: 'Aegis' })
    for (let i = 0; i < BURST; i++)
      await leader.services.fleet.updateShip(org.id, me, ship.id, { name: `Burst ${i}` })
    const target = await headSeq(leader, org, me)
    mark('burst made')
    await waitFor(
      'the burst on every node',
      async () => {
        for (const n of members) if ((await headSeq(n, org, me)) !== target) return false
        return true
      },
      120_000,
    )
    for (const n of members)
      expect((await n.services.fleet.ship(org.id, me, ship.id)).name).toBe(`Burst ${BURST - 1}`)
    mark('burst everywhere')

    // Each node changes concurrently; all converge on identical documents.
    await Promise.all(
      all.map((n, i) => n.services.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI' })),
    )
    await converged(all, COUNT + 1, 'concurrent ships everywhere')
    const rosterHeads = async (n: VerseGuyNode) =>
      A.getHeads(await n.documents.get(parseDocId(`org:${org.id}`))).join()
    for (const n of members) expect(await rosterHeads(n)).toBe(await rosterHeads(leader))
    mark('concurrent converged')

    // Partition: each half refuses the other (connection gater), both change, then heal.
    const [left, right] = [all.slice(0, COUNT / 2), all.slice(COUNT / 2)]
    for (const a of left)
      for (const b of right) {
        await a.network.ban(b.network.peerId, 600_000)
        await b.network.ban(a.network.peerId, 600_000)
      }
    await Promise.all(
      all.map((n, i) => n.services.fleet.addShip(org.id, { model: `Split ${i}`, manufacturer: 'MISC' })),
    )
    await converged(left, COUNT + 1 + left.length, 'the left half converged')
    await converged(right, COUNT + 1 + right.length, 'the right half converged')
    mark('halves converged apart')
    for (const a of left)
      for (const b of right) {
        a.network.unban(b.network.peerId)
        b.network.unban(a.network.peerId)
      }
    // The network is back: the next discovery round finds the other half's nodes.
    await Promise.all(all.map((n) => n.mesh.discover()))
    await converged(all, 2 * COUNT + 1, 'both halves after the partition healed')
    for (const n of members) expect(await rosterHeads(n)).toBe(await rosterHeads(leader))
    mark('healed and converged')

    async function converged(nodes: VerseGuyNode[], ships: number, what: string): Promise<void> {
      const fleetOf = async (n: VerseGuyNode) =>
        (await n.services.fleet.ships(org.id))
          .map((s) => s.id)
          .sort()
          .join()
      await waitFor(
        what,
        async () => {
          const first = await fleetOf(nodes[0] as VerseGuyNode)
          if (first.split(',').length !== ships) return false
          for (const n of nodes.slice(1)) if ((await fleetOf(n)) !== first) return false
          return true
        },
        90_000,
      )
    }
  }, 600_000)

  it('a node offline for thousands of changes catches up, a restarted node kept everything, a late joiner gets all history', async () => {
    const leader = await node([])
    const boot = [leader.addresses()[0] as string]
    const org = await leader.services.org.createOrg({ name: 'Away Mesh', tag: 'AWAY', handle: 'Lead_0' })
    const me = leader.services.org.me
    const away = await node(boot)
    const { token: t1 } = await leader.services.invites.createInvite(org.id, {
      rank: 'member',
      bootstrap: boot,
    })
    await away.services.invites.accept(t1, 'Mem_Away', away.admissions)
    await away.mesh.syncAll()
    const ship = await leader.services.fleet.addShip(org.id, { model: 'Reclaimer', manufacturer: 'Aegis' })
    await waitFor(
      'the ship on the member',
      async () => (await away.services.fleet.ships(org.id)).length === 1,
      30_000,
    )
    const fleetOf = async (n: VerseGuyNode) =>
      (await n.services.fleet.ships(org.id))
        .map((s) => s.id)
        .sort()
        .join()

    const awayDir = away.dataDir
    const before = await headSeq(away, org, me)
    await away.stop()
    nodes.splice(nodes.indexOf(away), 1)
    for (let i = 0; i < AWAY; i++)
      await leader.services.fleet.updateShip(org.id, me, ship.id, { name: `Away ${i}` })
    mark('away changes made')
    const back = await node(boot, awayDir)
    // Restarted: everything it had is still there.
    expect(await headSeq(back, org, me)).toBe(before)
    expect((await back.services.fleet.ships(org.id)).length).toBe(1)
    const now = await headSeq(leader, org, me)
    await waitFor(
      'the returning node catching up',
      async () => (await headSeq(back, org, me)) === now,
      120_000,
    )
    mark('caught up')
    expect((await back.services.fleet.ship(org.id, me, ship.id)).name).toBe(`Away ${AWAY - 1}`)

    // A late joiner gets all history.
    const late = await node(boot)
    const { token } = await leader.services.invites.createInvite(org.id, { rank: 'member', bootstrap: boot })
    await late.services.invites.accept(token, 'Mem_Late', late.admissions)
    await late.mesh.syncAll()
    await waitFor(
      'the late joiner holding everything',
      async () => (await headSeq(late, org, me)) >= now,
      60_000,
    )
    expect(await fleetOf(late)).toBe(await fleetOf(leader))
  }, 600_000)
})
