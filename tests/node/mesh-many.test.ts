/**
 * Ten real nodes on 127.0.0.1 (mDNS off, one bootstrap peer): a burst reaches every
 * node complete, concurrent changes converge, a node that was offline catches up, a
 * restarted node keeps everything, a late joiner gets all history. In the first test the
 * leader runs in its own process (tests/helpers/node-process.ts), as on its own machine:
 * sharing one event loop with its nine readers, it made one change per gossip message.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initDataDir, VerseGuyNode } from '../../node/index.ts'
import { type NodeOps, nodeOps } from '../helpers/node-ops.ts'
import { NodeProcess } from '../helpers/node-process.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const PASS = 'many nodes passphrase'
/** Nodes in one process share its event loop: every change costs every node's work here. */
const COUNT = Number(process.env.MESH_NODES ?? 10)
const BURST = Number(process.env.MESH_BURST ?? 2_000)
const AWAY = Number(process.env.MESH_AWAY ?? 5_000)
const t0 = Date.now()
const mark = (what: string) => {
  if (process.env.MESH_TRACE) console.log(((Date.now() - t0) / 1000).toFixed(1), what)
}
const nodes: VerseGuyNode[] = []
const processes: NodeProcess[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const p of processes.splice(0)) await p.stop()
  for (const n of nodes.splice(0)) await n.stop().catch(() => {})
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
}, 120_000)

/** A data directory with its config; a new one (removed after the test) unless `dir` is given. */
async function nodeDir(bootstrap: string[], dir?: string): Promise<string> {
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
  return d
}

/** A node in this process. */
async function node(bootstrap: string[], dir?: string): Promise<VerseGuyNode> {
  const n = new VerseGuyNode({
    dataDir: await nodeDir(bootstrap, dir),
    passphrase: PASS,
    apiPort: 0,
    logLevel: 'silent',
  })
  await n.start()
  nodes.push(n)
  return n
}

/**
 * A node in its own process, as on its own machine: a burst it makes goes out at the pace
 * it makes changes, not at the pace of nine readers sharing its event loop.
 */
async function nodeProcess(bootstrap: string[]): Promise<NodeProcess> {
  const n = await NodeProcess.start(await nodeDir(bootstrap), PASS)
  processes.push(n)
  return n
}

const headSeq = async (n: VerseGuyNode, org: { id: string }, author: string) =>
  (await n.documents.chains.head(org.id, author as never))?.seq ?? 0

describe('many nodes on one machine', () => {
  it('ten nodes: a burst of 2,000 changes reaches every node complete, concurrent changes converge, two halves of a partition converge once it heals', async () => {
    // The leader runs in its own process: it makes its burst at its own pace.
    const leader = (await nodeProcess([])).ops
    const boot = [(await leader.addresses())[0] as string]
    const org = await leader.createOrg({ name: 'Big Mesh', tag: 'BIG', handle: 'Lead_0' })
    const members: VerseGuyNode[] = []
    for (let i = 1; i < COUNT; i++) {
      const m = await node(boot)
      const token = await leader.createInvite(org.id, boot)
      await m.services.invites.accept(token, `Mem_${i}`, m.admissions)
      await m.mesh.syncAll()
      members.push(m)
    }
    const all: NodeOps[] = [leader, ...members.map(nodeOps)]
    await waitFor('every join on the leader', async () => (await leader.members(org.id)) === COUNT, 60_000)
    // A discovery round now that every node is a member: they find each other in the DHT.
    await Promise.all(all.map((n) => n.discover()))
    mark('joined')

    // A burst from one node reaches all ten, complete: 2,000 changes, each awaited before the next.
    const me = await leader.me()
    const ship = await leader.addShip(org.id, { model: 'Idris-P', manufacturer: 'Aegis' })
    await leader.renameShip(
      org.id,
      ship,
      Array.from({ length: BURST }, (_, i) => `Burst ${i}`),
    )
    const target = await leader.headSeq(org.id, me)
    expect(target).toBeGreaterThan(BURST)
    mark('burst made')
    // Made at the leader's pace, the burst outruns nine readers sharing one process: on a
    // loaded two-core machine they take minutes to read it all (before, the leader took
    // those minutes to make it, throttled by its readers).
    let seen = ''
    await waitFor(
      'the burst on every node',
      async () => {
        const seqs = await Promise.all(members.map((n) => headSeq(n, org, me)))
        if (seqs.join() !== seen) {
          seen = seqs.join()
          mark(`burst at ${seen} of ${target}`)
        }
        return seqs.every((s) => s === target)
      },
      300_000,
    )
    for (const n of members)
      expect((await n.services.fleet.ship(org.id, me, ship)).name).toBe(`Burst ${BURST - 1}`)
    mark('burst everywhere')

    // Each node changes concurrently; all converge on identical documents.
    await Promise.all(all.map((n, i) => n.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI' })))
    await converged(all, COUNT + 1, 'concurrent ships everywhere')
    for (const n of all.slice(1)) expect(await n.rosterHeads(org.id)).toBe(await leader.rosterHeads(org.id))
    mark('concurrent converged')

    // Partition: each half refuses the other (connection gater), both change, then heal.
    const ids = await Promise.all(all.map((n) => n.peerId()))
    const half = COUNT / 2
    const across = (i: number, j: number) => i < half !== j < half
    const gate = async (what: 'ban' | 'unban') => {
      for (const [i, a] of all.entries())
        for (const [j, id] of ids.entries())
          if (across(i, j)) await (what === 'ban' ? a.ban(id, 600_000) : a.unban(id))
    }
    await gate('ban')
    await Promise.all(all.map((n, i) => n.addShip(org.id, { model: `Split ${i}`, manufacturer: 'MISC' })))
    const [left, right] = [all.slice(0, half), all.slice(half)]
    await converged(left, COUNT + 1 + left.length, 'the left half converged')
    await converged(right, COUNT + 1 + right.length, 'the right half converged')
    mark('halves converged apart')
    await gate('unban')
    // The network is back: the next discovery round finds the other half's nodes.
    await Promise.all(all.map((n) => n.discover()))
    await converged(all, 2 * COUNT + 1, 'both halves after the partition healed')
    for (const n of all.slice(1)) expect(await n.rosterHeads(org.id)).toBe(await leader.rosterHeads(org.id))
    mark('healed and converged')

    async function converged(nodes: NodeOps[], ships: number, what: string): Promise<void> {
      await waitFor(
        what,
        async () => {
          const first = await (nodes[0] as NodeOps).fleet(org.id)
          if (first.split(',').length !== ships) return false
          for (const n of nodes.slice(1)) if ((await n.fleet(org.id)) !== first) return false
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
