/**
 * Gossip alone, from the first second: periodic pulls are off (one every ten minutes),
 * so a change reaches other nodes only by gossip (or, for a newcomer, the catch-up a
 * new connection starts). Ten nodes on 127.0.0.1: every change from any node reaches
 * every other node by gossip, p99 under 1 s; a node that has just joined sends its first
 * change to everyone within 2 s and receives theirs as quickly.
 */
import { describe, expect, it } from 'vitest'
import type { Entry } from '../../crdt/index.ts'
import type { VerseGuyNode } from '../../node/index.ts'
import { useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'

const mesh = useMeshNodes()
const COUNT = 10
/** Pulls every ten minutes: none during the test. */
const PULLS_OFF = { syncIntervalSeconds: 600 }

type Change = { origin: string; entries: readonly Entry[] }

/**
 * Makes one change on `sender` and resolves to how long (ms) each of `others` took to
 * store it (Infinity for a node it did not reach within `timeoutMs`).
 */
async function delivery(
  sender: VerseGuyNode,
  others: readonly VerseGuyNode[],
  change: () => Promise<unknown>,
  timeoutMs: number,
): Promise<number[]> {
  const arrived = new Map<VerseGuyNode, number>()
  const seen = new Map<VerseGuyNode, Set<string>>(others.map((n) => [n, new Set<string>()]))
  let hash: string | null = null
  let t0 = 0
  const offs = others.map((n) => {
    const on = (e: Change) => {
      if (e.origin !== 'remote') return
      for (const x of e.entries) (seen.get(n) as Set<string>).add(x.hash)
      if (hash !== null && seen.get(n)?.has(hash) === true && !arrived.has(n))
        arrived.set(n, performance.now() - t0)
    }
    n.documents.on('change', on)
    return () => n.documents.off('change', on)
  })
  const local = (e: Change) => {
    if (e.origin === 'local') hash ??= e.entries[0]?.hash ?? null
  }
  sender.documents.on('change', local)
  try {
    t0 = performance.now()
    await change()
    // Arrivals before the local event named the hash (same tick) are found in `seen`.
    for (const [n, hashes] of seen)
      if (hash !== null && hashes.has(hash) && !arrived.has(n)) arrived.set(n, performance.now() - t0)
    const deadline = t0 + timeoutMs
    while (arrived.size < others.length && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 5))
  } finally {
    sender.documents.off('change', local)
    for (const off of offs) off()
  }
  return others.map((n) => arrived.get(n) ?? Number.POSITIVE_INFINITY)
}

/** Every completed pull of every node, as `node peer time` strings. */
const pulls = (nodes: readonly VerseGuyNode[]) =>
  nodes.flatMap((n, i) => n.mesh.peers().map((p) => `${i} ${p.peerId} ${p.lastSync}`))

const began = performance.now()
const mark = (what: string) => {
  if (process.env.MESH_TRACE) console.log(((performance.now() - began) / 1000).toFixed(1), what)
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((xs.length * q) / 100) - 1)] as number

describe('gossip from the first second', () => {
  it('ten nodes, pulls off: every change reaches every node by gossip, p99 under 1 s; a joiner sends and receives within 2 s', async () => {
    const leader = await mesh.node([], PULLS_OFF)
    const boot = [leader.addresses()[0] as string]
    const org = await leader.services.org.createOrg({ name: 'Gossip Org', tag: 'GSP', handle: 'Lead_0' })
    const join = async (m: VerseGuyNode, i: number) => {
      const { token } = await leader.services.invites.createInvite(org.id, {
        rank: 'member',
        bootstrap: boot,
      })
      await m.services.invites.accept(token, `Mem_${i}`, m.admissions, AbortSignal.timeout(60_000))
      return m
    }
    // One at a time: libp2p resets a burst of connections from one address (127.0.0.1).
    const members: VerseGuyNode[] = []
    for (let i = 1; i < COUNT; i++) members.push(await join(await mesh.node(boot, PULLS_OFF), i))
    const nodes = [leader, ...members]
    await waitFor(
      'every join on every node',
      async () => {
        for (const n of nodes) if ((await n.services.org.members(org.id)).length !== COUNT) return false
        return true
      },
      60_000,
    )
    // Ten nodes find each other (the DHT): a connection made later would start a pull.
    await waitFor(
      'every node connected to every other',
      () => nodes.every((n) => n.network.connectedPeers().length >= COUNT - 1),
      60_000,
    )
    mark('every join everywhere')
    // Each node's first ship (a document of its own to change afterwards).
    const ships = new Map<VerseGuyNode, string>()
    for (const n of nodes) {
      const ship = await n.services.fleet.addShip(org.id, { model: 'Cutlass', manufacturer: 'Drake' })
      ships.set(n, ship.id)
    }
    await waitFor(
      'every ship on every node',
      async () => {
        for (const n of nodes) if ((await n.services.fleet.ships(org.id)).length !== COUNT) return false
        return true
      },
      30_000,
    )

    mark('every ship everywhere')
    // Steady state: each node in turn changes its ship, three rounds.
    const before = pulls(nodes)
    const samples: number[] = []
    for (let round = 0; round < 3; round++)
      for (const n of nodes) {
        const others = nodes.filter((o) => o !== n)
        const me = n.services.org.me
        const update = () =>
          n.services.fleet.updateShip(org.id, me, ships.get(n) as string, { name: `Round ${round}` })
        samples.push(...(await delivery(n, others, update, 5_000)))
      }
    expect(samples.filter((x) => x === Number.POSITIVE_INFINITY)).toEqual([])
    // Gossip alone carried them: no node completed a pull meanwhile.
    if (process.env.MESH_TRACE) console.log(pulls(nodes).filter((x) => !before.includes(x)))
    expect(pulls(nodes)).toEqual(before)
    expect(pct(samples, 99)).toBeLessThan(1_000)

    mark('steady probes')
    // A newcomer: its first change, made the moment it has joined, reaches everyone…
    const joiner = await join(await mesh.node(boot, PULLS_OFF), COUNT)
    const first = await delivery(
      joiner,
      nodes,
      () => joiner.services.fleet.addShip(org.id, { model: 'Aurora', manufacturer: 'RSI' }),
      10_000,
    )
    expect(Math.max(...first)).toBeLessThan(2_000)
    // …and the next change anyone makes reaches it as quickly.
    const other = nodes[1] as VerseGuyNode
    const back = await delivery(
      other,
      [joiner, ...nodes.filter((n) => n !== other)],
      () =>
        other.services.fleet.updateShip(org.id, other.services.org.me, ships.get(other) as string, {
          name: 'Welcome',
        }),
      10_000,
    )
    if (process.env.MESH_TRACE)
      console.log(
        JSON.stringify(
          { p50: pct(samples, 50), p99: pct(samples, 99), max: Math.max(...samples), first, back },
          (_k, v) => (typeof v === 'number' ? Math.round(v) : v),
        ),
      )
    expect(Math.max(...back)).toBeLessThan(2_000)
  }, 180_000)
})
