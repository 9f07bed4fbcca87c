import type { Libp2p, PeerInfo } from '@libp2p/interface'
import { systemClock } from '../crdt/clock.ts'
import type { Clock, Logger } from '../crdt/index.ts'
import { silentLogger } from '../crdt/logger.ts'
import { clockTimeout } from './clock-timeout.ts'

export interface DiscoveryDialerComponents {
  readonly libp2p: Pick<
    Libp2p,
    'peerId' | 'addEventListener' | 'removeEventListener' | 'getConnections' | 'dial'
  >
  readonly log?: Logger
  /** Runs the dial timeouts. Default `systemClock`. */
  readonly clock?: Clock
}

export interface DiscoveryDialerInit {
  /** How long one dial of a discovered peer may take. Default 10 s. */
  readonly dialTimeoutMs?: number
}

/**
 * libp2p 3 no longer dials the peers its discovery mechanisms (mDNS, bootstrap, DHT
 * walks) report; this does. Each discovered peer is dialled once at a time: never
 * ourselves, never a peer we are already connected to. A failed dial is logged, never
 * thrown; `stop()` aborts the dials still running.
 */
export class DiscoveryDialer {
  readonly #libp2p: DiscoveryDialerComponents['libp2p']
  readonly #log: Logger
  readonly #clock: Clock
  readonly #dialTimeoutMs: number
  readonly #pending = new Set<string>()
  #controller: AbortController | undefined

  constructor(components: DiscoveryDialerComponents, init: DiscoveryDialerInit = {}) {
    this.#libp2p = components.libp2p
    this.#log = components.log ?? silentLogger
    this.#clock = components.clock ?? systemClock
    this.#dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  }

  /** Starts listening for `peer:discovery`; call before libp2p starts so no report is missed. */
  start(): void {
    if (this.#controller !== undefined) return
    this.#controller = new AbortController()
    this.#libp2p.addEventListener('peer:discovery', this.#onDiscovery)
  }

  /** Stops listening and aborts running dials. */
  stop(): void {
    this.#libp2p.removeEventListener('peer:discovery', this.#onDiscovery)
    this.#controller?.abort()
    this.#controller = undefined
    this.#pending.clear()
  }

  /** Peers being dialled right now (their ids). */
  get pending(): ReadonlySet<string> {
    return this.#pending
  }

  readonly #onDiscovery = (event: CustomEvent<PeerInfo>): void => {
    void this.#dial(event.detail)
  }

  async #dial(peer: PeerInfo): Promise<void> {
    const controller = this.#controller
    if (controller === undefined) return
    const id = peer.id.toString()
    if (peer.id.equals(this.#libp2p.peerId)) return
    if (this.#pending.has(id)) return
    if (this.#libp2p.getConnections(peer.id).length > 0) return
    this.#pending.add(id)
    const timeout = clockTimeout(this.#clock, this.#dialTimeoutMs)
    try {
      // By peer id: the peer store already holds the addresses discovery reported.
      await this.#libp2p.dial(peer.id, { signal: AbortSignal.any([controller.signal, timeout.signal]) })
      this.#log.debug({ peer: id }, 'dialled discovered peer')
    } catch (err) {
      if (!controller.signal.aborted) this.#log.debug({ peer: id, err }, 'could not dial discovered peer')
    } finally {
      timeout.cancel()
      if (this.#controller === controller) this.#pending.delete(id)
    }
  }
}
