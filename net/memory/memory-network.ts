/**
 * The in-memory network: many nodes in one process, for the mesh's acceptance suite and
 * logic tests. It implements the transport port (`../transport.ts`) per node:
 *
 * - Connections are links between two nodes; `peer:connect` / `peer:disconnect` fire on
 *   both sides (asynchronously, as libp2p's do). A ban closes the links to the peer and
 *   refuses new ones either way until it ends; a partition cuts the links between two
 *   groups and refuses dials across it until `heal()`.
 * - Streams are libp2p's own in-memory stream pairs (`@libp2p/utils`' `streamPair`):
 *   length-prefixed frames, backpressure, close / abort / reset as on a yamux stream. A
 *   link that closes resets its streams; streams over `maxInboundStreams` are reset.
 * - Pub/sub follows gossipsub's contract as the mesh uses it: a publish goes to every
 *   connected subscriber whose score (the publisher's scorer) is at or above the publish
 *   threshold; the receiver drops unread what comes from a peer below the graylist, runs
 *   the topic validator, forwards what it accepts to its own peers (once per message), and
 *   counts a `reject` against the sender (its score falls by `rejectPenalty`). Messages
 *   may be lost (`loss`) or delayed (`delayMs`) on each hop.
 * - Time is the network's `Clock` (a `ManualClock` in tests): delays, bans and the mesh's
 *   own timers all move with it.
 *
 * @example
 * ```ts
 * const clock = new ManualClock()
 * const net = new MemoryNetwork({ clock })
 * const [a, b] = await Promise.all([net.node(), net.node()])
 * await a.dial(b.peerId, AbortSignal.timeout(1000))
 * ```
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Clock } from '../../crdt/index.ts'
import { DialRefusedError } from './errors.ts'
import { MemoryTransport } from './memory-transport.ts'

export interface MemoryNetworkInit {
  readonly clock: Clock
  /** Share of gossip messages lost on each hop (0 to 1). Default 0. */
  readonly loss?: number
  /** Delay of each gossip hop (ms, on the clock). Default 0. */
  readonly delayMs?: number
  /** How far a `reject` lowers the sender's score at the receiver. Default 10. */
  readonly rejectPenalty?: number
  /** Draws for loss; default `Math.random`. */
  readonly random?: () => number
}

export class MemoryNetwork {
  readonly clock: Clock
  loss: number
  delayMs: number
  readonly rejectPenalty: number
  readonly random: () => number
  readonly #nodes = new Map<string, MemoryTransport>()
  /** Links cut by a partition: `a\nb` (sorted), refused until healed. */
  readonly #cut = new Set<string>()
  /** Rendezvous key (hex) → providers. */
  readonly #providers = new Map<string, Set<string>>()

  constructor(init: MemoryNetworkInit) {
    this.clock = init.clock
    this.loss = init.loss ?? 0
    this.delayMs = init.delayMs ?? 0
    this.rejectPenalty = init.rejectPenalty ?? 10
    this.random = init.random ?? Math.random
  }

  /** A new node on the network, under the Ed25519 key of `seed` (32 bytes; random by default). */
  async node(seed: Uint8Array = new Uint8Array(randomBytes(32))): Promise<MemoryTransport> {
    const key = await generateKeyPairFromSeed('Ed25519', seed)
    const peerId = peerIdFromPrivateKey(key).toString()
    if (this.#nodes.has(peerId)) throw new Error(`a node with peer id ${peerId} is already on the network`)
    const node = new MemoryTransport(this, peerId)
    this.#nodes.set(peerId, node)
    return node
  }

  /** The node of `peerId`, if it is on the network. */
  get(peerId: string): MemoryTransport | undefined {
    return this.#nodes.get(peerId)
  }

  /** Takes a node off the network: its links close. */
  remove(peerId: string): void {
    const node = this.#nodes.get(peerId)
    if (node === undefined) return
    node.closeAll()
    this.#nodes.delete(peerId)
    for (const set of this.#providers.values()) set.delete(peerId)
  }

  /** Opens a link between two nodes (or throws `DialRefusedError`); nothing if one is open. */
  connect(from: string, to: string): void {
    const a = this.#nodes.get(from)
    const b = this.#nodes.get(to)
    if (a === undefined || b === undefined) throw new DialRefusedError(`no node ${to} on the network`)
    if (from === to) throw new DialRefusedError('a node does not dial itself')
    if (this.#cut.has(linkKey(from, to))) throw new DialRefusedError(`${to} is across a partition`)
    if (a.isBanned(to) || b.isBanned(from))
      throw new DialRefusedError(`${to} refused the connection (banned)`)
    if (a.isLinked(to)) return
    a.link(to)
    b.link(from)
  }

  /** Closes the link between two nodes (both sides see `peer:disconnect`). */
  disconnect(a: string, b: string): void {
    this.#nodes.get(a)?.unlink(b)
    this.#nodes.get(b)?.unlink(a)
  }

  /** Connects every pair of the nodes given (default: all). */
  connectAll(peerIds: readonly string[] = [...this.#nodes.keys()]): void {
    for (const [i, a] of peerIds.entries()) for (const b of peerIds.slice(i + 1)) this.connect(a, b)
  }

  /** Cuts every link between the two groups and refuses dials across until `heal()`. */
  partition(left: readonly string[], right: readonly string[]): void {
    for (const a of left)
      for (const b of right) {
        this.#cut.add(linkKey(a, b))
        this.disconnect(a, b)
      }
  }

  /** Ends every partition; with `reconnect`, the links it cut open again at once. */
  heal(options: { reconnect?: boolean } = {}): void {
    const cut = [...this.#cut]
    this.#cut.clear()
    if (options.reconnect === false) return
    for (const k of cut) {
      const [a, b] = k.split('\n') as [string, string]
      try {
        this.connect(a, b)
      } catch {
        // Banned or gone: stays apart.
      }
    }
  }

  /** Records `peerId` as a provider of `key` (a rendezvous). */
  provide(key: Uint8Array, peerId: string): void {
    const k = Buffer.from(key).toString('hex')
    let set = this.#providers.get(k)
    if (set === undefined) {
      set = new Set()
      this.#providers.set(k, set)
    }
    set.add(peerId)
  }

  /** The providers of `key`. */
  providers(key: Uint8Array): string[] {
    return [...(this.#providers.get(Buffer.from(key).toString('hex')) ?? [])]
  }

  /**
   * Sends one gossip hop from `from` to `to`, after the network's delay, unless it is lost
   * (or the link is gone by then).
   */
  hop(from: string, to: string, deliver: (node: MemoryTransport) => void): void {
    if (this.loss > 0 && this.random() < this.loss) return
    const arrive = () => {
      const node = this.#nodes.get(to)
      if (node === undefined || !node.isLinked(from)) return
      deliver(node)
    }
    if (this.delayMs > 0) this.clock.setTimeout(arrive, this.delayMs)
    else queueMicrotask(arrive)
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`
}
