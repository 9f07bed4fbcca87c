/**
 * The libp2p host of a node: transports, encryption, multiplexing, discovery, the
 * project's own Kademlia DHT, gossipsub, relay, hole punching and AutoNAT, under the
 * member's own key. It implements the transport port (`transport.ts`) the mesh and the
 * admission protocol run over; `node/` uses the raw `Host.libp2p` beside it.
 */
import { EventEmitter } from 'node:events'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { bootstrap } from '@libp2p/bootstrap'
import { type CircuitRelayService, circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { dcutr } from '@libp2p/dcutr'
import { type Identify, identify } from '@libp2p/identify'
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { systemClock } from '../crdt/clock.ts'
import type { Clock, Logger } from '../crdt/index.ts'
import { silentLogger } from '../crdt/logger.ts'
import { dhtKeyCid } from './dht-key.ts'
import { DiscoveryDialer } from './discovery-dialer.ts'
import { type GossipSub, gossipsub, TopicValidatorResult } from './gossipsub.ts'
import type {
  GossipVerdict,
  MeshStream,
  MeshTransport,
  PeerScorer,
  StreamHandler,
  TopicValidator,
  TransportEvents,
} from './transport.ts'

export type { PeerScorer } from './transport.ts'

/** Our DHT's protocol: a DHT of our own, never the public IPFS one. */
export const DHT_PROTOCOL = '/verseguy/kad/1.0.0'

/**
 * Our mDNS service name: we find (and dial) only Verse Guy nodes on the LAN, not every
 * libp2p node (IPFS desktops announce the default `_p2p._udp.local`).
 */
export const MDNS_SERVICE_TAG = '_verseguy._udp.local'

/** The services every host runs; `relay` only on a relay host. */
export interface HostServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  autonat: unknown
  dcutr: unknown
  relay?: CircuitRelayService
}

export interface HostInit {
  /** The member's 32-byte Ed25519 seed: the peer id is the member key's. */
  readonly seed: Uint8Array
  /**
   * Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`. Add `/p2p-circuit` to also
   * take a reservation on a relay when this node is not directly reachable.
   */
  readonly listen: readonly string[]
  /** Peers to dial at start, each with its `/p2p/<peer id>` (from invites and config). */
  readonly bootstrap?: readonly string[]
  /** Discover peers on the LAN with mDNS. Default true. */
  readonly mdns?: boolean
  /** Serve as a circuit relay v2 for other nodes (`verseguy start --headless`). Default false. */
  readonly relay?: boolean
  /** How long one dial of a discovered peer may take. Default 10 s. */
  readonly dialTimeoutMs?: number
  /** Namespaced logger (`verseguy:net:host`); silent by default. */
  readonly log?: Logger
  /** Reads the time for bans and runs the discovery dialer's timeouts. Default `systemClock`. */
  readonly clock?: Clock
}

export type HostEvents = TransportEvents

/** A provider found in the DHT: who, and where the DHT says it listens. */
export interface Provider {
  readonly peerId: PeerId
  readonly multiaddrs: PeerInfo['multiaddrs']
}

/**
 * A node's libp2p host.
 *
 * @example
 * ```ts
 * const host = await createHost({ seed, listen: ['/ip4/0.0.0.0/tcp/0'] })
 * await host.start()
 * await host.provide(orgRendezvousKey(orgId, secret), signal)
 * await host.stop()
 * ```
 */
export interface Host extends MeshTransport {
  /** Base58 peer id: the member key's (`services/identity`'s `peerIdOf`). */
  readonly peerId: string
  /** The raw libp2p node, for `node/` (its peer store, connections' addresses). */
  readonly libp2p: Libp2p<HostServices>
  start(): Promise<void>
  /** Closes every connection and listener, stops every timer. */
  stop(): Promise<void>
  /** The addresses we listen on, each ending in `/p2p/<peer id>`. */
  multiaddrs(): string[]
  /**
   * Announces in the DHT that this node provides `key` (and keeps re-announcing it).
   * Waits until the DHT knows at least one peer: give it a deadline.
   */
  provide(key: Uint8Array, signal: AbortSignal): Promise<void>
  /** The other nodes that provide `key`, as the DHT finds them. */
  findProviders(key: Uint8Array, signal: AbortSignal): AsyncIterable<Provider>
}

/** Builds a host (not started) from the member's seed. */
export async function createHost(init: HostInit): Promise<Host> {
  if (init.seed.byteLength !== 32) throw new TypeError('the Ed25519 seed must be 32 bytes')
  // generateKeyPairFromSeed derives the public half from the seed; privateKeyFromRaw
  // would take 64 bytes (seed || public key) and trust the public half unchecked.
  const privateKey = await generateKeyPairFromSeed('Ed25519', init.seed)
  const clock = init.clock ?? systemClock
  // The gater and the scorer are consulted by libp2p, which exists before the host does.
  const bans = new Map<string, number>()
  const banned = (peer: PeerId | string): boolean => {
    const id = peer.toString()
    const until = bans.get(id)
    if (until === undefined) return false
    if (until > clock.now()) return true
    bans.delete(id)
    return false
  }
  const score: { scorer: PeerScorer } = { scorer: () => 0 }
  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (init.mdns !== false) peerDiscovery.push(mdns({ serviceTag: MDNS_SERVICE_TAG }))
  if (init.bootstrap !== undefined && init.bootstrap.length > 0) {
    peerDiscovery.push(bootstrap({ list: [...init.bootstrap], timeout: 0 }))
  }
  const libp2p = await createLibp2p<HostServices>({
    start: false,
    privateKey,
    addresses: { listen: [...init.listen] },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionGater: {
      denyDialPeer: banned,
      denyInboundEncryptedConnection: banned,
      denyOutboundEncryptedConnection: banned,
    },
    services: {
      identify: identify(),
      // libp2p's connection monitor pings each connection and aborts it when a ping
      // fails; the DHT pings too. With the default of one outbound ping stream a second
      // ping at the same moment fails at once and a healthy connection is dropped.
      ping: ping({ maxOutboundStreams: 4, maxInboundStreams: 4 }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        // Our nodes answer DHT queries from the start, so a mesh of a few nodes works
        // without any publicly reachable one.
        clientMode: false,
        // Keep private and loopback addresses: org nodes often share a LAN.
        peerInfoMapper: passthroughMapper,
      }),
      // Best effort: a node alone may publish without an error.
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        scoreParams: {
          appSpecificScore: (p) => (banned(p) ? -10_000 : score.scorer(p)),
          appSpecificWeight: 1,
          // Who may gossip is decided by membership (the app score above), not by address:
          // members share addresses (a LAN behind one public IP, nodes on one machine, a
          // relay). gossipsub's default, -5 × (peers on one IP − 10)², would sink an org of
          // 30 members on one LAN below the graylist and drop everything they send.
          IPColocationFactorWeight: 0,
        },
      }),
      autonat: autoNAT(),
      dcutr: dcutr(),
      ...(init.relay === true ? { relay: circuitRelayServer() } : {}),
    },
  })
  return new Libp2pHost(libp2p, init, { bans, banned, score, clock })
}

/** The part of `@libp2p/gossipsub`'s implementation `rescore` uses (absent on others). */
interface GossipsubScoreCache {
  readonly score?: { readonly scoreCache?: Map<string, unknown> }
}

interface Gate {
  readonly bans: Map<string, number>
  readonly banned: (peer: string) => boolean
  readonly score: { scorer: PeerScorer }
  readonly clock: Clock
}

const VERDICTS: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore,
}

class Libp2pHost extends EventEmitter<TransportEvents> implements Host {
  readonly libp2p: Libp2p<HostServices>
  readonly peerId: string
  readonly #log: Logger
  readonly #dialer: DiscoveryDialer
  readonly #gate: Gate

  constructor(libp2p: Libp2p<HostServices>, init: HostInit, gate: Gate) {
    super()
    this.libp2p = libp2p
    this.#gate = gate
    this.peerId = libp2p.peerId.toString()
    this.#log = init.log ?? silentLogger
    this.#dialer = new DiscoveryDialer(
      { libp2p, log: this.#log, clock: gate.clock },
      init.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: init.dialTimeoutMs },
    )
  }

  async start(): Promise<void> {
    if (this.libp2p.status !== 'stopped') return
    this.libp2p.addEventListener('peer:connect', this.#onConnect)
    this.libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#dialer.start()
    try {
      await this.libp2p.start()
    } catch (err) {
      this.#detach()
      throw err
    }
    this.#log.info({ peerId: this.peerId, addrs: this.multiaddrs() }, 'libp2p host started')
  }

  async stop(): Promise<void> {
    if (this.libp2p.status === 'stopped') return
    this.#detach()
    await this.libp2p.stop()
    this.#log.info({ peerId: this.peerId }, 'libp2p host stopped')
  }

  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((ma) => ma.toString())
  }

  connectedPeers(): string[] {
    return this.libp2p.getPeers().map((id) => id.toString())
  }

  async provide(key: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.libp2p.contentRouting.provide(dhtKeyCid(key), { signal })
  }

  async *findProviders(key: Uint8Array, signal: AbortSignal): AsyncIterable<Provider> {
    const seen = new Set<string>([this.peerId])
    for await (const info of this.libp2p.contentRouting.findProviders(dhtKeyCid(key), { signal })) {
      const id = info.id.toString()
      if (seen.has(id)) continue
      seen.add(id)
      yield { peerId: info.id, multiaddrs: info.multiaddrs }
    }
  }

  async dial(peerId: string, signal: AbortSignal): Promise<void> {
    await this.libp2p.dial(peerIdFromString(peerId), { signal })
  }

  async dialAddress(address: string, signal: AbortSignal): Promise<string> {
    const conn = await this.libp2p.dial(multiaddr(address), { signal })
    return conn.remotePeer.toString()
  }

  async handle(
    protocol: string,
    handler: StreamHandler,
    options: { maxInboundStreams: number },
  ): Promise<void> {
    await this.libp2p.handle(
      protocol,
      (stream, connection) => handler(stream, connection.remotePeer.toString()),
      {
        maxInboundStreams: options.maxInboundStreams,
      },
    )
  }

  async unhandle(protocol: string): Promise<void> {
    await this.libp2p.unhandle(protocol)
  }

  async openStream(peerId: string, protocol: string, signal: AbortSignal): Promise<MeshStream> {
    const conn = this.libp2p
      .getConnections()
      .find((c) => c.remotePeer.toString() === peerId && c.status === 'open')
    if (conn === undefined) throw new Error(`no open connection to ${peerId}`)
    return conn.newStream(protocol, { signal })
  }

  subscribe(topic: string, validate: TopicValidator): void {
    const pubsub = this.libp2p.services.pubsub
    pubsub.topicValidators.set(
      topic,
      async (peer, message) => VERDICTS[await validate(peer.toString(), message.data)],
    )
    pubsub.subscribe(topic)
  }

  unsubscribe(topic: string): void {
    const pubsub = this.libp2p.services.pubsub
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    await this.libp2p.services.pubsub.publish(topic, data)
  }

  async ban(peerId: string, ms: number): Promise<void> {
    const until = this.#gate.clock.now() + ms
    if ((this.#gate.bans.get(peerId) ?? 0) < until) this.#gate.bans.set(peerId, until)
    await Promise.allSettled(
      this.libp2p
        .getConnections()
        .filter((c) => c.remotePeer.toString() === peerId)
        .map((c) => c.close().catch(() => c.abort(new Error('banned')))),
    )
  }

  unban(peerId: string): void {
    this.#gate.bans.delete(peerId)
  }

  isBanned(peerId: string): boolean {
    return this.#gate.banned(peerId)
  }

  setPeerScorer(scorer: PeerScorer): void {
    this.#gate.score.scorer = scorer
  }

  rescore(peerId: string): void {
    // `score` is public on the implementation, not on the `GossipSub` interface.
    const impl = this.libp2p.services.pubsub as unknown as GossipsubScoreCache
    impl.score?.scoreCache?.delete(peerId)
  }

  #detach(): void {
    this.#dialer.stop()
    this.libp2p.removeEventListener('peer:connect', this.#onConnect)
    this.libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
  }

  readonly #onConnect = (event: CustomEvent<PeerId>): void => {
    this.emit('peer:connect', { peerId: event.detail.toString() })
  }

  readonly #onDisconnect = (event: CustomEvent<PeerId>): void => {
    this.emit('peer:disconnect', { peerId: event.detail.toString() })
  }
}
