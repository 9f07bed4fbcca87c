/**
 * The discovery dialer on real hosts over 127.0.0.1 (mDNS off, no bootstrap): discovery
 * reports are injected as the `peer:discovery` events libp2p itself emits. Its dial
 * timeout on a `ManualClock`, over a libp2p stand-in whose dials never answer.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Logger, ManualClock } from '../../crdt/index.ts'
import { createHost, DiscoveryDialer, type Host, type HostInit } from '../../net/index.ts'
import { waitFor } from '../helpers/wait-for.ts'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

const hosts: Host[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(hosts.splice(0).map((host) => host.stop()))
})

async function startHost(init: Partial<HostInit> = {}): Promise<Host> {
  const host = await createHost({
    seed: new Uint8Array(randomBytes(32)),
    listen: [LOOPBACK],
    mdns: false,
    ...init,
  })
  hosts.push(host)
  await host.start()
  return host
}

function capturingLogger(): { log: Logger; lines: { level: string; message: string | undefined }[] } {
  const lines: { level: string; message: string | undefined }[] = []
  const at =
    (level: string) =>
    (data: object | string, message?: string): void => {
      lines.push({ level, message: typeof data === 'string' ? data : message })
    }
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

function discover(host: Host, peer: Host | PeerInfo): void {
  const detail: PeerInfo =
    'libp2p' in peer
      ? { id: peer.libp2p.peerId, multiaddrs: peer.libp2p.getMultiaddrs() }
      : { id: peer.id, multiaddrs: peer.multiaddrs }
  host.libp2p.dispatchEvent(new CustomEvent('peer:discovery', { detail }))
}

describe('DiscoveryDialer', () => {
  it('dials a peer a discovery mechanism reported, once even when reported twice at once', async () => {
    const a = await startHost()
    const b = await startHost()
    const dial = vi.spyOn(a.libp2p, 'dial')
    await a.libp2p.peerStore.merge(b.libp2p.peerId, { multiaddrs: b.libp2p.getMultiaddrs() })
    discover(a, b)
    discover(a, b)
    await waitFor('a to dial b', () => a.connectedPeers().includes(b.peerId), 10_000)
    expect(dial).toHaveBeenCalledTimes(1)
  })

  it('skips itself and peers it is already connected to', async () => {
    const a = await startHost()
    const b = await startHost({ bootstrap: a.multiaddrs() })
    await waitFor('b to connect to a', () => b.connectedPeers().includes(a.peerId), 10_000)
    const dial = vi.spyOn(b.libp2p, 'dial')
    discover(b, a)
    discover(b, b)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(dial).not.toHaveBeenCalled()
  })

  it('logs a failed dial and does not throw', async () => {
    const { log, lines } = capturingLogger()
    const a = await startHost({ log, dialTimeoutMs: 2_000 })
    const gone = await startHost()
    const info: PeerInfo = { id: gone.libp2p.peerId, multiaddrs: gone.libp2p.getMultiaddrs() }
    await gone.stop()
    await a.libp2p.peerStore.merge(info.id, { multiaddrs: info.multiaddrs })
    discover(a, info)
    await waitFor(
      'the failed dial to be logged',
      () => lines.some((line) => line.message === 'could not dial discovered peer'),
      10_000,
    )
    expect(a.connectedPeers()).toEqual([])
  })

  it('dials nothing after stop', async () => {
    const a = await startHost()
    const b = await startHost()
    await a.stop()
    const dial = vi.spyOn(a.libp2p, 'dial')
    discover(a, b)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(dial).not.toHaveBeenCalled()
  })
})

async function randomPeerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(randomBytes(32))))
}

/** The part of libp2p the dialer uses; each dial waits until its signal aborts (or `answer`). */
class SilentLibp2p extends EventTarget {
  readonly dials: AbortSignal[] = []
  answer: (() => void) | undefined
  readonly peerId: PeerId
  constructor(peerId: PeerId) {
    super()
    this.peerId = peerId
  }
  getConnections(): never[] {
    return []
  }
  dial(_peer: PeerId, options: { signal: AbortSignal }): Promise<never> {
    this.dials.push(options.signal)
    return new Promise((resolve, reject) => {
      this.answer = () => resolve(undefined as never)
      options.signal.addEventListener('abort', () => reject(options.signal.reason), { once: true })
    })
  }
}

describe('DiscoveryDialer timeouts (ManualClock)', () => {
  it('gives up a dial that does not answer after dialTimeoutMs on its clock, and may dial the peer again', async () => {
    const clock = new ManualClock()
    const libp2p = new SilentLibp2p(await randomPeerId())
    const { log, lines } = capturingLogger()
    const dialer = new DiscoveryDialer({ libp2p: libp2p as never, log, clock }, { dialTimeoutMs: 10_000 })
    dialer.start()
    const peer: PeerInfo = { id: await randomPeerId(), multiaddrs: [] }
    libp2p.dispatchEvent(new CustomEvent('peer:discovery', { detail: peer }))
    await clock.advance(9_999)
    expect(dialer.pending.has(peer.id.toString())).toBe(true)
    expect(libp2p.dials[0]?.aborted).toBe(false)
    await clock.advance(1)
    expect(libp2p.dials[0]?.aborted).toBe(true)
    expect(dialer.pending.size).toBe(0)
    expect(lines.some((l) => l.message === 'could not dial discovered peer')).toBe(true)
    // Reported again: dialled again.
    libp2p.dispatchEvent(new CustomEvent('peer:discovery', { detail: peer }))
    await clock.advance(0)
    expect(libp2p.dials).toHaveLength(2)
    dialer.stop()
  })

  it('leaves no timer behind once a dial is answered', async () => {
    const clock = new ManualClock()
    const libp2p = new SilentLibp2p(await randomPeerId())
    const dialer = new DiscoveryDialer({ libp2p: libp2p as never, clock })
    dialer.start()
    libp2p.dispatchEvent(
      new CustomEvent('peer:discovery', { detail: { id: await randomPeerId(), multiaddrs: [] } }),
    )
    await clock.advance(0)
    expect(clock.pending).toBe(1)
    libp2p.answer?.()
    await clock.advance(0)
    expect(clock.pending).toBe(0)
    expect(dialer.pending.size).toBe(0)
    dialer.stop()
  })
})
