/**
 * The transport port: exactly what the org mesh asks of the network, as js-libp2p's
 * services ask for a few components rather than the whole node. Two implementations:
 * the libp2p host (`host.ts`) and the in-memory network (`memory/`), where many nodes
 * share one process and one clock.
 *
 * Peers are named by their peer id string (base58): the member key is derived from it
 * (`memberKeyOfId`), so a forged name cannot claim another member's key.
 */
import type { EventEmitter } from 'node:events'
import type { MessageStream, PeerId } from '@libp2p/interface'

/**
 * A stream to a peer, as the sync protocol reads and writes it: libp2p's
 * `MessageStream` (length-prefixed frames on top via `lpStream`, close / abort / reset,
 * backpressure). Both transports hand out real libp2p stream objects.
 */
export type MeshStream = MessageStream

/** Connection events of a transport. */
export interface TransportEvents {
  /** A first connection to the peer opened. */
  'peer:connect': [{ peerId: string }]
  /** The last connection to the peer closed. */
  'peer:disconnect': [{ peerId: string }]
}

/** Handles one inbound stream of a protocol, opened by `peerId`. */
export type StreamHandler = (stream: MeshStream, peerId: string) => void

/**
 * A topic validator's verdict, as gossipsub's: `accept` (delivered and forwarded),
 * `reject` (dropped, and the sender's standing falls), `ignore` (dropped, no penalty).
 */
export type GossipVerdict = 'accept' | 'reject' | 'ignore'

/** Judges one message on a topic from the peer that forwarded it to us. */
export type TopicValidator = (from: string, data: Uint8Array) => Promise<GossipVerdict>

/**
 * How the application rates a peer for gossip (added to the transport's own score):
 * below 0 a peer is never in our mesh for a topic, below -50 we publish nothing to it,
 * below -80 what it sends is dropped unread (gossipsub's default thresholds).
 */
export type PeerScorer = (peerId: string) => number

/** gossipsub's default score thresholds, which `PeerScorer` values are read against. */
export const SCORE_THRESHOLDS = { gossip: -10, publish: -50, graylist: -80 } as const

/** What the mesh and the admission protocol use of the network. */
export interface MeshTransport extends EventEmitter<TransportEvents> {
  /** Our own peer id. */
  readonly peerId: string
  /** The peers we hold an open connection to. */
  connectedPeers(): string[]
  /** Dials the peer (by id) unless connected; throws if it cannot be reached. */
  dial(peerId: string, signal: AbortSignal): Promise<void>
  /**
   * Dials the node at `address` (a multiaddr ending in `/p2p/<peer id>`, as invites carry)
   * unless connected, and resolves to its peer id; throws if it cannot be reached. The
   * admission protocol's way in: a newcomer knows addresses, not yet the org's peers.
   */
  dialAddress(address: string, signal: AbortSignal): Promise<string>
  /**
   * Calls `handler` with each inbound stream of `protocol`; streams beyond
   * `maxInboundStreams` open at once from one connection are reset unseen.
   */
  handle(protocol: string, handler: StreamHandler, options: { maxInboundStreams: number }): Promise<void>
  unhandle(protocol: string): Promise<void>
  /** Opens a stream of `protocol` on an open connection to the peer (never dials). */
  openStream(peerId: string, protocol: string, signal: AbortSignal): Promise<MeshStream>
  /** Subscribes to `topic`; every message on it is judged by `validate` before delivery. */
  subscribe(topic: string, validate: TopicValidator): void
  unsubscribe(topic: string): void
  /** Publishes on `topic` (best effort: no error when no peer hears it). */
  publish(topic: string, data: Uint8Array): Promise<void>
  /** Sets the application's peer score (default: 0 for everyone). */
  setPeerScorer(scorer: PeerScorer): void
  /** The application's score of the peer changed: asked again at once, not after a heartbeat. */
  rescore(peerId: string): void
  /**
   * Closes every connection to the peer and refuses new ones either way for `ms`. A ban
   * that is already longer stays.
   */
  ban(peerId: string, ms: number): Promise<void>
  /** Lifts a ban (or does nothing). */
  unban(peerId: string): void
  isBanned(peerId: string): boolean
  /**
   * Announces that this node provides `key` (a rendezvous). Waits until the network
   * knows at least one peer: give it a deadline.
   */
  provide(key: Uint8Array, signal: AbortSignal): Promise<void>
  /** The other nodes that provide `key`, as they are found. */
  findProviders(key: Uint8Array, signal: AbortSignal): AsyncIterable<FoundProvider>
}

/** A node found at a rendezvous. */
export interface FoundProvider {
  /** Its peer id (a string, or libp2p's `PeerId`, whose `toString()` is that string). */
  readonly peerId: PeerId | string
}
