/**
 * The in-memory network itself (the transport port's twin): connection events, streams
 * that reset when their link closes or exceed `maxInboundStreams`, gossip with the
 * validator contract (reject lowers the sender's standing until it is dropped unread),
 * loss and delay on the clock, partitions that cut and heal, bans that refuse and end.
 */
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../crdt/index.ts'
import { type GossipVerdict, SCORE_THRESHOLDS } from '../../net/index.ts'
import { MemoryNetwork } from '../../net/memory/index.ts'

const signal = () => AbortSignal.timeout(5_000)
const settle = async (clock: ManualClock, ms = 0) => {
  await clock.advance(ms)
  await new Promise((r) => setTimeout(r, 5))
}

async function world(init: { loss?: number; delayMs?: number } = {}) {
  const clock = new ManualClock()
  const net = new MemoryNetwork({ clock, ...init })
  const [a, b, c] = await Promise.all([net.node(), net.node(), net.node()])
  return { clock, net, a, b, c }
}

describe('in-memory network', () => {
  it('reports connects and disconnects on both sides; a node never dials itself', async () => {
    const { clock, net, a, b } = await world()
    const events: string[] = []
    a.on('peer:connect', ({ peerId }) => events.push(`a+${peerId === b.peerId}`))
    b.on('peer:connect', ({ peerId }) => events.push(`b+${peerId === a.peerId}`))
    b.on('peer:disconnect', () => events.push('b-'))
    await a.dial(b.peerId, signal())
    await settle(clock)
    expect(a.connectedPeers()).toEqual([b.peerId])
    expect(b.connectedPeers()).toEqual([a.peerId])
    net.disconnect(a.peerId, b.peerId)
    await settle(clock)
    expect(events).toEqual(['a+true', 'b+true', 'b-'])
    await expect(a.dial(a.peerId, signal())).rejects.toThrow(/itself/)
  })

  it('dials a node by its address (as an invite carries it), naming the peer reached; an address without /p2p/ is refused', async () => {
    const { clock, a, b } = await world()
    const [address] = b.multiaddrs() as [string]
    expect(address.endsWith(`/p2p/${b.peerId}`)).toBe(true)
    expect(await a.dialAddress(address, signal())).toBe(b.peerId)
    await settle(clock)
    expect(b.connectedPeers()).toEqual([a.peerId])
    await expect(a.dialAddress(`/memory/${b.peerId}`, signal())).rejects.toMatchObject({
      name: 'DialRefusedError',
    })
  })

  it('carries length-prefixed frames both ways, and resets a stream when its link closes', async () => {
    const { clock, net, a, b } = await world()
    let served: Promise<void> | undefined
    await b.handle(
      '/echo',
      (s) => {
        served = (async () => {
          const lp = lpStream(s)
          await lp.write((await lp.read()).subarray())
        })().catch(() => {})
      },
      { maxInboundStreams: 4 },
    )
    net.connect(a.peerId, b.peerId)
    const lp = lpStream(await a.openStream(b.peerId, '/echo', signal()))
    await lp.write(Uint8Array.from([1, 2, 3]))
    expect([...(await lp.read()).subarray()]).toEqual([1, 2, 3])
    await served
    const s = await a.openStream(b.peerId, '/echo', signal())
    const reading = lpStream(s).read()
    net.disconnect(a.peerId, b.peerId)
    await expect(reading).rejects.toThrow()
    expect(s.status).not.toBe('open')
    await settle(clock)
    await expect(a.openStream(b.peerId, '/echo', signal())).rejects.toThrow(/no open connection/)
  })

  it('resets inbound streams beyond maxInboundStreams, and streams of a protocol nobody handles', async () => {
    const { net, a, b } = await world()
    const held: unknown[] = []
    await b.handle('/hold', (s) => held.push(s), { maxInboundStreams: 2 })
    net.connect(a.peerId, b.peerId)
    const streams = [
      await a.openStream(b.peerId, '/hold', signal()),
      await a.openStream(b.peerId, '/hold', signal()),
      await a.openStream(b.peerId, '/hold', signal()),
    ]
    const third = streams[2]
    await expect(lpStream(third as NonNullable<typeof third>).read()).rejects.toThrow()
    await new Promise((r) => setTimeout(r, 5))
    expect(held).toHaveLength(2)
    const other = await a.openStream(b.peerId, '/nobody', signal())
    await expect(lpStream(other).read()).rejects.toThrow()
  })

  it('gossip: validated on receipt, forwarded when accepted; rejects lower the sender until it is dropped unread', async () => {
    const { clock, net, a, b, c } = await world()
    net.connect(a.peerId, b.peerId)
    net.connect(b.peerId, c.peerId)
    let verdict: GossipVerdict = 'accept'
    const atB: string[] = []
    const atC: string[] = []
    a.subscribe('t', async () => 'accept')
    b.subscribe('t', async (from, data) => {
      atB.push(`${from === a.peerId}:${data[0]}`)
      return verdict
    })
    c.subscribe('t', async (_from, data) => {
      atC.push(String(data[0]))
      return 'accept'
    })
    await a.publish('t', Uint8Array.of(1))
    await settle(clock)
    // B accepted it and passed it on to C (which A is not linked to); nobody saw it twice.
    expect(atB).toEqual(['true:1'])
    expect(atC).toEqual(['1'])
    verdict = 'reject'
    for (let i = 2; i < 12; i++) {
      await a.publish('t', Uint8Array.of(i))
      await settle(clock)
    }
    // Rejected: not forwarded, and past the graylist what A sends is dropped unread.
    expect(atC).toEqual(['1'])
    expect(b.score(a.peerId)).toBeLessThan(SCORE_THRESHOLDS.graylist)
    expect(atB.length).toBeLessThan(11)
  })

  it('publishes nothing to a peer scored below the publish threshold', async () => {
    const { clock, net, a, b } = await world()
    net.connect(a.peerId, b.peerId)
    const got: number[] = []
    b.subscribe('t', async (_f, d) => {
      got.push(d[0] as number)
      return 'accept'
    })
    a.setPeerScorer(() => -60)
    await a.publish('t', Uint8Array.of(1))
    a.setPeerScorer(() => 0)
    await a.publish('t', Uint8Array.of(2))
    await settle(clock)
    expect(got).toEqual([2])
  })

  it('loses and delays gossip on the clock', async () => {
    const lossy = await world({ loss: 1 })
    lossy.net.connect(lossy.a.peerId, lossy.b.peerId)
    const lost: number[] = []
    lossy.b.subscribe('t', async (_f, d) => {
      lost.push(d[0] as number)
      return 'accept'
    })
    await lossy.a.publish('t', Uint8Array.of(1))
    await settle(lossy.clock, 1_000)
    expect(lost).toEqual([])

    const slow = await world({ delayMs: 300 })
    slow.net.connect(slow.a.peerId, slow.b.peerId)
    const got: number[] = []
    slow.b.subscribe('t', async (_f, d) => {
      got.push(d[0] as number)
      return 'accept'
    })
    await slow.a.publish('t', Uint8Array.of(1))
    await settle(slow.clock, 299)
    expect(got).toEqual([])
    await settle(slow.clock, 1)
    expect(got).toEqual([1])
  })

  it('a partition cuts links and refuses dials across it until healed', async () => {
    const { clock, net, a, b, c } = await world()
    net.connectAll()
    net.partition([a.peerId], [b.peerId, c.peerId])
    await settle(clock)
    expect(a.connectedPeers()).toEqual([])
    expect(b.connectedPeers()).toEqual([c.peerId])
    await expect(a.dial(b.peerId, signal())).rejects.toThrow(/partition/)
    net.heal()
    await settle(clock)
    expect(a.connectedPeers().sort()).toEqual([b.peerId, c.peerId].sort())
  })

  it('a ban closes the link, refuses dials either way, and ends on the clock', async () => {
    const { clock, net, a, b } = await world()
    net.connect(a.peerId, b.peerId)
    await a.ban(b.peerId, 60_000)
    expect(a.connectedPeers()).toEqual([])
    expect(a.isBanned(b.peerId)).toBe(true)
    await expect(b.dial(a.peerId, signal())).rejects.toThrow(/banned/)
    await expect(a.dial(b.peerId, signal())).rejects.toThrow(/banned/)
    await settle(clock, 60_000)
    expect(a.isBanned(b.peerId)).toBe(false)
    await b.dial(a.peerId, signal())
    expect(a.connectedPeers()).toEqual([b.peerId])
  })
})
