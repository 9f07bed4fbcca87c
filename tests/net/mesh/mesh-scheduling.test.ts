/**
 * The mesh's own logic on the in-memory network and a `ManualClock` (moved here from
 * real nodes: these need no real network, and their waits take no real time): the
 * periodic pull after lost gossip, the pull back from a peer that was ahead (skipped when
 * gossip brought its change meanwhile), at most one peer per round in sync, and a flood
 * of sync requests refused, then banned.
 */
import { lpStream } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../../../net/index.ts'
import { decodeMessage, encodeMessage } from '../../../net/sync/messages.ts'
import { connectedNodes, type MeshNode, memoryWorld } from './mesh-world.ts'

let world: ReturnType<typeof memoryWorld>
afterEach(async () => {
  await world.close()
})
const PULL_EVERY_MS = 1_000

describe('the periodic pull (in-memory network)', () => {
  it('a change whose gossip was lost reaches every node by the periodic pull', async () => {
    world = memoryWorld()
    const nodes = await connectedNodes(world, 3, { syncIntervalMs: PULL_EVERY_MS })
    const [a, b, c] = nodes as [MeshNode, MeshNode, MeshNode]
    await world.elapse(1_500)
    // A's gossip is lost on the way: nothing it publishes reaches anyone.
    a.loseGossip()
    a.ledger.write(1, 'hull-c')
    const t0 = world.clock.now()
    await world.until('the entry on B and C', () => b.ledger.count() === 1 && c.ledger.count() === 1, 15_000)
    // A few rounds at most (each 0.5–1.5 intervals; one peer per round).
    expect(world.clock.now() - t0).toBeLessThan(10_000)
  })

  it("a node that serves a peer ahead of it pulls back only if gossip has not brought the peer's change meanwhile", async () => {
    world = memoryWorld()
    const nodes = await connectedNodes(world, 3, { syncIntervalMs: 600_000 })
    const [a, b] = nodes as [MeshNode, MeshNode]
    await world.elapse(1_500)
    const pullsOfB = b.pulls()
    // A's gossip is slow (300 ms): A asks B before it lands, so B sees A ahead.
    const publish = a.transport.publish.bind(a.transport)
    a.transport.publish = async (topic, data) => {
      await world.clock.sleep(300)
      return publish(topic, data)
    }
    a.ledger.write(1, 'aurora')
    await a.mesh.pull(b.transport.peerId)
    await world.until('the gossiped entry on B', () => b.ledger.countOf(a.ledger.memberKey) === 1, 10_000)
    await world.elapse(2_000)
    // Gossip brought it: B did not pull it too.
    expect(b.pulls() - pullsOfB).toBe(0)
    // A's gossip is lost: B pulls what A had ahead, once the wait is over.
    a.loseGossip()
    await world.elapse(2_100) // past the pull-back rate limit
    a.ledger.write(1, 'mustang')
    await a.mesh.pull(b.transport.peerId)
    await world.until('the pulled entry on B', () => b.ledger.countOf(a.ledger.memberKey) === 2, 10_000)
    expect(b.pulls() - pullsOfB).toBe(1)
  })

  it('nodes in sync pull at most one peer per round, and fewer as a pull either way counts for both', async () => {
    world = memoryWorld()
    const nodes = await connectedNodes(world, 3, { syncIntervalMs: PULL_EVERY_MS })
    // Settled: the catch-ups of connecting are over.
    await world.elapse(1_500)
    const before = nodes.map((n) => n.pulls())
    const seconds = 6
    await world.elapse(seconds * 1000)
    const pulls = nodes.map((n, i) => n.pulls() - (before[i] as number))
    // Pulls still run...
    expect(pulls.reduce((x, y) => x + y)).toBeGreaterThan(0)
    // ...about one round per second per node, at most one peer each, and in sync a
    // pull either way spares the other side's (three pairs, two sides each).
    expect(pulls.reduce((x, y) => x + y)).toBeLessThanOrEqual(nodes.length * seconds)
  })
})

describe('sync request floods (in-memory network)', () => {
  it('a flood of sync requests gets the peer refused, then banned', async () => {
    world = memoryWorld()
    const [t] = (await connectedNodes(world, 1)) as [MeshNode]
    t.ledger.write(1)
    const h = await world.bare()
    await world.connect(h, t.transport)
    const refusals: string[] = []
    const ask = async () => {
      try {
        const s = await h.openStream(t.transport.peerId, SYNC_PROTOCOL, AbortSignal.timeout(5_000))
        const lp = lpStream(s)
        await lp.write(encodeMessage({ t: 'req', org: world.org.id, heads: [] }))
        const m = decodeMessage((await lp.read()).subarray())
        if (m.t === 'err') refusals.push(m.reason)
      } catch {
        refusals.push('stream refused')
      }
    }
    // One request is merely refused: it is not a member.
    await ask()
    expect(refusals).toEqual(['not a member of this org'])
    // Then waves of 25 requests at once.
    for (let wave = 0; wave < 12 && !t.transport.isBanned(h.peerId); wave++)
      await Promise.all(Array.from({ length: 25 }, ask))
    // Past the limits, the streams were cut.
    expect(refusals).toContain('stream refused')
    await world.until('the flooder banned', () => !t.transport.connectedPeers().includes(h.peerId), 5_000)
    expect(t.transport.isBanned(h.peerId)).toBe(true)
    expect(t.mesh.peers().find((p) => p.peerId === h.peerId)?.banned).toBe(true)
    // Nothing of it was stored, and a dial back is refused.
    expect(t.ledger.count()).toBe(1)
    await expect(world.connect(h, t.transport)).rejects.toThrow(/banned/)
    // The ban ends (10 minutes by default): it may connect again.
    await world.elapse(10 * 60_000)
    await world.connect(h, t.transport)
    expect(t.transport.connectedPeers()).toContain(h.peerId)
  })
})
