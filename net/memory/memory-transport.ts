/**
 * One node of the in-memory network (`memory-network.ts`): the transport port over links
 * to other nodes in the same process. See the network for the semantics it copies from
 * libp2p and gossipsub.
 */
import { EventEmitter } from 'node:events'
import { streamPair } from '@libp2p/utils'
import {
  type FoundProvider,
  type MeshStream,
  type MeshTransport,
  type PeerScorer,
  SCORE_THRESHOLDS,
  type StreamHandler,
  type TopicValidator,
  type TransportEvents,
} from '../transport.ts'
import { DialRefusedError, StreamRefusedError } from './errors.ts'
import type { MemoryNetwork } from './memory-network.ts'

/** Message ids a node remembers to drop duplicates (gossipsub's seen cache). */
const SEEN_CAPACITY = 10_000
/** Score of a banned peer (as the host's gossipsub scorer gives it). */
const BANNED_SCORE = -10_000

interface Handler {
  readonly handler: StreamHandler
  readonly maxInboundStreams: number
}

export class MemoryTransport extends EventEmitter<TransportEvents> implements MeshTransport {
  readonly peerId: string
  readonly #net: MemoryNetwork
  readonly #links = new Set<string>()
  /** Open streams per linked peer (both directions): reset when the link closes. */
  readonly #streams = new Map<string, Set<MeshStream>>()
  /** Inbound streams open per `peer\nprotocol`. */
  readonly #inbound = new Map<string, number>()
  readonly #handlers = new Map<string, Handler>()
  readonly #topics = new Map<string, TopicValidator>()
  readonly #bans = new Map<string, number>()
  /** Lowered standing from rejected messages, per sender. */
  readonly #penalty = new Map<string, number>()
  readonly #seen = new Set<string>()
  #scorer: PeerScorer = () => 0
  #seq = 0

  constructor(net: MemoryNetwork, peerId: string) {
    super()
    this.#net = net
    this.peerId = peerId
  }

  /** Leaves the network: every link closes. */
  async stop(): Promise<void> {
    this.#net.remove(this.peerId)
  }

  connectedPeers(): string[] {
    return [...this.#links]
  }

  async dial(peerId: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    this.#net.connect(this.peerId, peerId)
  }

  /** Dials the node an address names by its last `/p2p/<peer id>` (see `multiaddrs()`). */
  async dialAddress(address: string, signal: AbortSignal): Promise<string> {
    const peerId = /\/p2p\/([^/]+)$/.exec(address)?.[1]
    if (peerId === undefined) throw new DialRefusedError(`${address} does not end in /p2p/<peer id>`)
    await this.dial(peerId, signal)
    return peerId
  }

  /** The node's address on the network, as a libp2p host lists its own. */
  multiaddrs(): string[] {
    return [`/memory/${this.peerId}/p2p/${this.peerId}`]
  }

  async handle(
    protocol: string,
    handler: StreamHandler,
    options: { maxInboundStreams: number },
  ): Promise<void> {
    this.#handlers.set(protocol, { handler, maxInboundStreams: options.maxInboundStreams })
  }

  async unhandle(protocol: string): Promise<void> {
    this.#handlers.delete(protocol)
  }

  async openStream(peerId: string, protocol: string, signal: AbortSignal): Promise<MeshStream> {
    signal.throwIfAborted()
    const remote = this.#net.get(peerId)
    if (remote === undefined || !this.#links.has(peerId))
      throw new StreamRefusedError(`no open connection to ${peerId}`)
    const [outbound, inbound] = await streamPair({ protocol })
    signal.throwIfAborted()
    if (!this.#links.has(peerId)) {
      outbound.abort(new StreamRefusedError('the connection closed'))
      throw new StreamRefusedError(`no open connection to ${peerId}`)
    }
    this.#track(peerId, outbound)
    remote.accept(this.peerId, protocol, inbound)
    return outbound
  }

  subscribe(topic: string, validate: TopicValidator): void {
    this.#topics.set(topic, validate)
  }

  unsubscribe(topic: string): void {
    this.#topics.delete(topic)
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    const id = `${this.peerId}/${this.#seq++}`
    this.#remember(id)
    this.#send(topic, id, data, SCORE_THRESHOLDS.publish, undefined)
  }

  setPeerScorer(scorer: PeerScorer): void {
    this.#scorer = scorer
  }

  /** Scores are read afresh on every message: nothing is cached. */
  rescore(_peerId: string): void {}

  /** The peer's score here: the application's, less what its rejected messages cost it. */
  score(peerId: string): number {
    if (this.isBanned(peerId)) return BANNED_SCORE
    return this.#scorer(peerId) - (this.#penalty.get(peerId) ?? 0)
  }

  async ban(peerId: string, ms: number): Promise<void> {
    const until = this.#net.clock.now() + ms
    if ((this.#bans.get(peerId) ?? 0) < until) this.#bans.set(peerId, until)
    this.#net.disconnect(this.peerId, peerId)
  }

  unban(peerId: string): void {
    this.#bans.delete(peerId)
  }

  isBanned(peerId: string): boolean {
    const until = this.#bans.get(peerId)
    if (until === undefined) return false
    if (until > this.#net.clock.now()) return true
    this.#bans.delete(peerId)
    return false
  }

  async provide(key: Uint8Array, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    this.#net.provide(key, this.peerId)
  }

  async *findProviders(key: Uint8Array, signal: AbortSignal): AsyncIterable<FoundProvider> {
    for (const peerId of this.#net.providers(key)) {
      signal.throwIfAborted()
      if (peerId !== this.peerId) yield { peerId }
    }
  }

  // --- called by the network and by other nodes ---

  isLinked(peerId: string): boolean {
    return this.#links.has(peerId)
  }

  link(peerId: string): void {
    this.#links.add(peerId)
    queueMicrotask(() => this.emit('peer:connect', { peerId }))
  }

  unlink(peerId: string): void {
    if (!this.#links.delete(peerId)) return
    const streams = this.#streams.get(peerId)
    this.#streams.delete(peerId)
    for (const s of streams ?? []) s.abort(new StreamRefusedError('the connection closed'))
    queueMicrotask(() => this.emit('peer:disconnect', { peerId }))
  }

  closeAll(): void {
    for (const p of [...this.#links]) this.#net.disconnect(this.peerId, p)
  }

  /** An inbound stream from `from`: handed to the protocol's handler, or reset. */
  accept(from: string, protocol: string, stream: MeshStream): void {
    const h = this.#handlers.get(protocol)
    const key = `${from}\n${protocol}`
    const open = this.#inbound.get(key) ?? 0
    if (h === undefined || open >= h.maxInboundStreams || !this.#links.has(from)) {
      stream.abort(
        new StreamRefusedError(h === undefined ? 'protocol not supported' : 'too many inbound streams'),
      )
      return
    }
    this.#inbound.set(key, open + 1)
    stream.addEventListener('close', () => {
      const n = (this.#inbound.get(key) ?? 1) - 1
      if (n > 0) this.#inbound.set(key, n)
      else this.#inbound.delete(key)
    })
    this.#track(from, stream)
    queueMicrotask(() => h.handler(stream, from))
  }

  /** One gossip message forwarded by `from` (first seen here: validated, then passed on if accepted). */
  async receive(topic: string, from: string, id: string, data: Uint8Array): Promise<void> {
    const validate = this.#topics.get(topic)
    if (validate === undefined || this.#seen.has(id)) return
    this.#remember(id)
    if (this.score(from) < SCORE_THRESHOLDS.graylist) return
    const verdict = await validate(from, data).catch(() => 'ignore' as const)
    if (verdict === 'reject') {
      this.#penalty.set(from, (this.#penalty.get(from) ?? 0) + this.#net.rejectPenalty)
      return
    }
    // Forwarded within the topic mesh: peers scored at or above 0.
    if (verdict === 'accept') this.#send(topic, id, data, 0, from)
  }

  /** Whether this node listens on `topic`. */
  subscribed(topic: string): boolean {
    return this.#topics.has(topic)
  }

  #send(topic: string, id: string, data: Uint8Array, threshold: number, except: string | undefined): void {
    for (const p of this.#links) {
      if (p === except || this.score(p) < threshold) continue
      if (this.#net.get(p)?.subscribed(topic) !== true) continue
      this.#net.hop(this.peerId, p, (node) => void node.receive(topic, this.peerId, id, data))
    }
  }

  #remember(id: string): void {
    this.#seen.add(id)
    if (this.#seen.size > SEEN_CAPACITY) {
      const oldest = this.#seen.values().next().value
      if (oldest !== undefined) this.#seen.delete(oldest)
    }
  }

  #track(peerId: string, stream: MeshStream): void {
    let set = this.#streams.get(peerId)
    if (set === undefined) {
      set = new Set()
      this.#streams.set(peerId, set)
    }
    const mine = set
    mine.add(stream)
    stream.addEventListener('close', () => mine.delete(stream))
  }
}
