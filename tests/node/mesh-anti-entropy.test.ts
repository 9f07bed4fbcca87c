/**
 * The periodic pull (anti-entropy) on real nodes over 127.0.0.1: a change gossip never
 * carried still reaches every node within a few pull intervals, a pull back from a peer
 * that was ahead is skipped when gossip brought its change meanwhile, and nodes in sync
 * pull at most one peer per round (a pull either way counts for both sides).
 */
import { describe, expect, it } from 'vitest'
import type { VerseGuyNode } from '../../node/index.ts'
import { useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'

const mesh = useMeshNodes()
const PULL_EVERY_S = 1

/** Three nodes of one org, in sync, each connected to the two others. */
async function threeNodes(net: Record<string, unknown>) {
  const a = await mesh.node([], net)
  const boot = [a.addresses()[0] as string]
  const org = await a.services.org.createOrg({ name: 'Pull Org', tag: 'PULL', handle: 'Lead_A' })
  const nodes = [a]
  for (const handle of ['Mem_B', 'Mem_C']) {
    const n = await mesh.node(boot, net)
    const { token } = await a.services.invites.createInvite(org.id, { rank: 'member', bootstrap: boot })
    await n.services.invites.accept(token, handle, n.admissions)
    nodes.push(n)
  }
  await waitFor(
    'every join on every node, every node connected to the others',
    async () => {
      for (const n of nodes) {
        if ((await n.services.org.members(org.id)).length !== 3) return false
        if (n.network.connectedPeers().length < 2) return false
      }
      return true
    },
    30_000,
  )
  return { nodes, org }
}

/** Counts the pulls `n` starts from now on. */
function countPulls(n: VerseGuyNode): () => number {
  let count = 0
  const pull = n.mesh.pull.bind(n.mesh)
  n.mesh.pull = (peer: string) => {
    count++
    return pull(peer)
  }
  return () => count
}

describe('the periodic pull', () => {
  it('a change whose gossip was lost reaches every node by the periodic pull', async () => {
    const { nodes, org } = await threeNodes({ syncIntervalSeconds: PULL_EVERY_S })
    const [a, b, c] = nodes as [VerseGuyNode, VerseGuyNode, VerseGuyNode]
    // A's gossip is lost on the way: nothing it publishes reaches anyone.
    const pubsub = a.network.libp2p.services.pubsub
    pubsub.publish = async () => ({ recipients: [] })
    const ship = await a.services.fleet.addShip(org.id, { model: 'Hull C', manufacturer: 'MISC' })
    const has = async (n: VerseGuyNode) =>
      (await n.services.fleet.ships(org.id)).some((s) => s.id === ship.id)
    const t0 = performance.now()
    await waitFor('the ship on B and C', async () => (await has(b)) && (await has(c)), 15_000)
    // A few rounds at most (each 0.5–1.5 intervals; one peer per round).
    expect(performance.now() - t0).toBeLessThan(10_000)
  }, 90_000)

  it("a node that serves a peer ahead of it pulls back only if gossip has not brought the peer's change meanwhile", async () => {
    const { nodes, org } = await threeNodes({ syncIntervalSeconds: 600 })
    const [a, b] = nodes as [VerseGuyNode, VerseGuyNode]
    await new Promise((r) => setTimeout(r, 1_500))
    const pubsub = a.network.libp2p.services.pubsub
    const publish = pubsub.publish.bind(pubsub)
    const has = async (n: VerseGuyNode, id: string) =>
      (await n.services.fleet.ships(org.id)).some((s) => s.id === id)
    const pullsOfB = countPulls(b)
    // A's gossip is slow (300 ms): A asks B before it lands, so B sees A ahead.
    pubsub.publish = async (...args: Parameters<typeof publish>) => {
      await new Promise((r) => setTimeout(r, 300))
      return publish(...args)
    }
    const slow = await a.services.fleet.addShip(org.id, { model: 'Aurora', manufacturer: 'RSI' })
    await a.mesh.pull(b.network.peerId)
    await waitFor('the gossiped ship on B', () => has(b, slow.id), 10_000)
    await new Promise((r) => setTimeout(r, 2_000))
    // Gossip brought it: B did not pull it too.
    expect(pullsOfB()).toBe(0)
    // A's gossip is lost: B pulls what A had ahead, once the wait is over.
    pubsub.publish = async () => ({ recipients: [] })
    await new Promise((r) => setTimeout(r, 2_100)) // past the pull-back rate limit
    const lost = await a.services.fleet.addShip(org.id, { model: 'Mustang', manufacturer: 'CNOU' })
    await a.mesh.pull(b.network.peerId)
    await waitFor('the pulled ship on B', () => has(b, lost.id), 10_000)
    expect(pullsOfB()).toBe(1)
  }, 90_000)

  it('nodes in sync pull at most one peer per round, and fewer as a pull either way counts for both', async () => {
    const { nodes } = await threeNodes({ syncIntervalSeconds: PULL_EVERY_S })
    // Settled: the catch-ups of joining are over.
    await new Promise((r) => setTimeout(r, 1_500))
    const counters = nodes.map(countPulls)
    const seconds = 6
    await new Promise((r) => setTimeout(r, seconds * 1000))
    const pulls = counters.map((c) => c())
    if (process.env.MESH_TRACE) console.log(pulls)
    // Pulls still run...
    expect(pulls.reduce((x, y) => x + y)).toBeGreaterThan(0)
    // ...about one round per second per node, at most one peer each, and in sync a
    // pull either way spares the other side's (three pairs, two sides each).
    expect(pulls.reduce((x, y) => x + y)).toBeLessThanOrEqual(nodes.length * seconds)
  }, 90_000)
})
