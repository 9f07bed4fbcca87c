/**
 * The discovery dialer on real hosts over 127.0.0.1 (mDNS off, no bootstrap): discovery
 * reports are injected as the `peer:discovery` events libp2p itself emits.
 */
import { randomBytes } from 'node:crypto'
import type { PeerInfo } from '@libp2p/interface'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Logger } from '../../crdt/index.ts'
import { createHost, type Host, type HostInit } from '../../net/index.ts'
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
