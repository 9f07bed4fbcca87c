/**
 * The org mesh on top of a host: serves and requests catch-up sync, spreads new local
 * entries on a gossipsub topic per org, and keeps a status per peer.
 *
 * - On every new connection, and every `syncIntervalMs`, the node pulls each of its orgs
 *   from the peer (a refusal just means the peer is not in that org).
 * - Serving a peer is followed by pulling from it: sync goes both ways.
 * - Gossip is best effort and fast; the topic validator runs the node's receive path (that
 *   is where an accepted message is stored), so
 *   what fails verification is rejected (and the sender's score drops), and a message
 *   that arrives ahead of what this node holds triggers a pull from its sender.
 * - A peer that sends a malformed sync frame is disconnected.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Logger } from '../crdt/index.ts'
import { silentLogger } from '../crdt/index.ts'
import { TopicValidatorResult } from './gossipsub.ts'
import type { Host } from './host.ts'
import { orgRendezvousKey } from './org-key.ts'
import { decodeMessage, encodeMessage, SYNC_PROTOCOL, SyncProtocolError } from './sync/messages.ts'
import { requestSync, type SyncSource, serveSync } from './sync/sync-protocol.ts'

/** What the mesh needs beyond sync: the orgs this node holds, and its own new entries. */
export interface MeshSource extends SyncSource {
  orgs(): Promise<string[]>
  /** A secret only the org's members hold (≥ 16 bytes), for its DHT rendezvous key; null if unknown. */
  meshSecret(org: string): Promise<Uint8Array | null>
  /** Calls `listener` with each batch of local entries (and their changes) for an org. */
  onLocal(
    listener: (org: string, batch: { entries: Uint8Array[]; changes: Uint8Array[] }) => void,
  ): () => void
}

export interface PeerStatus {
  readonly peerId: string
  /** The peer's member key (its Ed25519 public key). */
  readonly memberKey: string | null
  readonly connected: boolean
  /** Last completed pull from the peer (ms), or null. */
  readonly lastSync: number | null
  /** Entries this node lacked and received in that pull: how far behind the peer it was. */
  readonly weWereBehind: number
  /** Entries the peer lacked when it last pulled from this node. */
  readonly peerWasBehind: number
  readonly lastError: string | null
}

export interface MeshInit {
  readonly host: Host
  readonly source: MeshSource
  readonly syncIntervalMs?: number
  /** How often to announce the node's orgs in the DHT and look for their other nodes. Default 60 s. */
  readonly discoveryIntervalMs?: number
  readonly log?: Logger
}

const PULL_BACK_EVERY_MS = 2_000

export const orgTopic = (org: string): string => `/verseguy/org/${org}/1`

export class Mesh {
  readonly #host: Host
  readonly #source: MeshSource
  readonly #log: Logger
  readonly #intervalMs: number
  readonly #discoveryMs: number
  #discoveryTimer: NodeJS.Timeout | null = null
  #discovering: Promise<void> | null = null
  readonly #peers = new Map<string, { -readonly [K in keyof PeerStatus]: PeerStatus[K] }>()
  readonly #pulling = new Map<string, Promise<void>>()
  readonly #again = new Set<string>()
  readonly #lastPullBack = new Map<string, number>()
  #timer: NodeJS.Timeout | null = null
  #stopLocal: (() => void) | null = null
  #topics = new Set<string>()
  #stopped = new AbortController()

  constructor(init: MeshInit) {
    this.#host = init.host
    this.#source = init.source
    this.#log = init.log ?? silentLogger
    this.#intervalMs = init.syncIntervalMs ?? 30_000
    this.#discoveryMs = init.discoveryIntervalMs ?? 60_000
  }

  async start(): Promise<void> {
    const libp2p = this.#host.libp2p
    await libp2p.handle(SYNC_PROTOCOL, (stream, connection) => this.#serve(stream, connection), {
      maxInboundStreams: 32,
    })
    this.#host.on('peer:connect', this.#onConnect)
    this.#host.on('peer:disconnect', this.#onDisconnect)
    this.#stopLocal = this.#source.onLocal((org, batch) => void this.#publish(org, batch))
    await this.refreshTopics()
    for (const p of this.#host.connectedPeers()) this.#onConnect({ peerId: p })
    this.#timer = setInterval(() => void this.syncAll(), this.#intervalMs)
    this.#timer.unref()
    this.#discoveryTimer = setInterval(() => void this.discover(), this.#discoveryMs)
    this.#discoveryTimer.unref()
    void this.discover()
  }

  /**
   * Announces each org in the DHT under its rendezvous key, and dials the other
   * providers found there (one round at a time).
   */
  discover(): Promise<void> {
    this.#discovering ??= this.#discoverOnce().finally(() => {
      this.#discovering = null
    })
    return this.#discovering
  }

  async #discoverOnce(): Promise<void> {
    const signal = AbortSignal.any([
      this.#stopped.signal,
      AbortSignal.timeout(Math.max(5_000, this.#discoveryMs)),
    ])
    for (const org of await this.#source.orgs()) {
      const secret = await this.#source.meshSecret(org)
      if (secret === null) continue
      const key = orgRendezvousKey(org, secret)
      try {
        // Waits for the DHT to know a peer: bounded by the signal.
        await this.#host.provide(key, signal)
        for await (const p of this.#host.findProviders(key, signal)) {
          const id = p.peerId.toString()
          if (this.#host.connectedPeers().includes(id)) continue
          this.#log.debug({ org, peer: id }, 'found an org node in the DHT; dialing')
          await this.#host.libp2p.dial(p.peerId, { signal }).catch((err: Error) => {
            this.#log.debug({ peer: id, err: err.message }, 'dial failed')
          })
        }
      } catch (err) {
        if (!this.#stopped.signal.aborted)
          this.#log.debug({ org, err: (err as Error).message }, 'DHT round ended')
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped.abort()
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    if (this.#discoveryTimer !== null) clearInterval(this.#discoveryTimer)
    this.#discoveryTimer = null
    this.#stopLocal?.()
    this.#host.off('peer:connect', this.#onConnect)
    this.#host.off('peer:disconnect', this.#onDisconnect)
    const pubsub = this.#host.libp2p.services.pubsub
    for (const t of this.#topics) {
      pubsub.unsubscribe(t)
      pubsub.topicValidators.delete(t)
    }
    await this.#host.libp2p.unhandle(SYNC_PROTOCOL).catch(() => {})
    await Promise.allSettled([...this.#pulling.values(), this.#discovering])
  }

  /** Subscribes to the topic of every org this node holds (call after joining one). */
  async refreshTopics(): Promise<void> {
    const pubsub = this.#host.libp2p.services.pubsub
    for (const org of await this.#source.orgs()) {
      const topic = orgTopic(org)
      if (this.#topics.has(topic)) continue
      this.#topics.add(topic)
      pubsub.topicValidators.set(topic, async (peer, message) => this.#validate(org, peer, message.data))
      pubsub.subscribe(topic)
    }
  }

  /** Pulls every org from every connected peer now. */
  async syncAll(): Promise<void> {
    await this.refreshTopics()
    await Promise.allSettled(this.#host.connectedPeers().map((p) => this.pull(p)))
  }

  /** Pulls this node's orgs from one peer (one pull at a time per peer; a request while one runs queues another). */
  pull(peerId: string): Promise<void> {
    const running = this.#pulling.get(peerId)
    if (running !== undefined) {
      this.#again.add(peerId)
      return running
    }
    const run = this.#pullOnce(peerId).finally(() => {
      this.#pulling.delete(peerId)
      if (this.#again.delete(peerId) && !this.#stopped.signal.aborted) void this.pull(peerId)
    })
    this.#pulling.set(peerId, run)
    return run
  }

  /**
   * Fetches an org this node does not hold yet from the peer at `addr` (an invite's
   * bootstrap address), presenting the invite: what a newcomer does before joining.
   */
  async fetchOrg(addr: string, org: string, invite: string, signal: AbortSignal): Promise<number> {
    const { multiaddr } = await import('@multiformats/multiaddr')
    // A busy peer may reset a stream: try a few times (each batch stored is kept).
    for (let attempt = 1; ; attempt++) {
      try {
        const conn = await this.#host.libp2p.dial(multiaddr(addr), { signal })
        const stream = await conn.newStream(SYNC_PROTOCOL, { signal })
        return (await requestSync(stream, org, this.#source, { signal, invite })).accepted
      } catch (err) {
        if (attempt >= 3 || signal.aborted || (err as Error).name === 'SyncRefusedError') throw err
        await new Promise((r) => setTimeout(r, 250 * attempt))
      }
    }
  }

  peers(): PeerStatus[] {
    return [...this.#peers.values()].map((p) => ({ ...p }))
  }

  async #pullOnce(peerId: string): Promise<void> {
    const status = this.#status(peerId)
    const signal = AbortSignal.any([this.#stopped.signal, AbortSignal.timeout(120_000)])
    let received = 0
    for (const org of await this.#source.orgs()) {
      const conn = this.#connectionTo(peerId)
      if (conn === undefined) return
      try {
        const stream = await conn.newStream(SYNC_PROTOCOL, { signal })
        const summary = await requestSync(stream, org, this.#source, { signal })
        received += summary.accepted
        if (summary.rejected > 0) {
          this.#log.warn(
            { peer: peerId, org, rejected: summary.rejected, reasons: summary.reasons },
            'peer sent entries this node refuses',
          )
        }
        status.lastError = null
      } catch (err) {
        const e = err as Error
        if (e.name === 'SyncRefusedError') continue // not in that org
        status.lastError = e.message
        if (err instanceof SyncProtocolError) {
          this.#log.warn({ peer: peerId, err: e.message }, 'peer broke the sync protocol; disconnecting')
          await conn.close().catch(() => {})
          return
        }
        this.#log.debug({ peer: peerId, org, err: e.message }, 'sync failed; will retry')
      }
    }
    status.lastSync = Date.now()
    status.weWereBehind = received
    if (received > 0) await this.refreshTopics()
  }

  #serve(stream: Stream, connection: Connection): void {
    const peerId = connection.remotePeer.toString()
    const key = memberKeyOf(connection.remotePeer)
    const status = this.#status(peerId)
    serveSync(stream, key ?? '', this.#source, { signal: this.#stopped.signal })
      .then(({ sent, peerAhead }) => {
        status.peerWasBehind = sent
        // Sync goes both ways: what the peer has that we lack comes back now (only then,
        // or two nodes would pull from each other forever).
        if (peerAhead) this.#pullBack(peerId)
      })
      .catch(async (err: Error) => {
        if (err instanceof SyncProtocolError) {
          this.#log.warn({ peer: peerId, err: err.message }, 'peer broke the sync protocol; disconnecting')
          await connection.close().catch(() => {})
          return
        }
        // Refused (not yet a member on this side, e.g. it just joined): its news may be
        // exactly what makes it one, so pull from it all the same.
        if (err.name === 'SyncRefusedError') this.#pullBack(peerId)
      })
  }

  /**
   * A pull prompted by the peer's own request: at most one per peer every few seconds,
   * so two nodes that refuse each other (or a peer hammering us) cannot start a loop.
   */
  #pullBack(peerId: string): void {
    const now = Date.now()
    if (now - (this.#lastPullBack.get(peerId) ?? 0) < PULL_BACK_EVERY_MS) return
    this.#lastPullBack.set(peerId, now)
    void this.pull(peerId)
  }

  async #validate(org: string, peer: PeerId, data: Uint8Array): Promise<TopicValidatorResult> {
    let batch: { entries: readonly Uint8Array[]; changes: readonly Uint8Array[] }
    try {
      const m = decodeMessage(data)
      if (m.t !== 'batch') return TopicValidatorResult.Reject
      batch = m
    } catch {
      return TopicValidatorResult.Reject
    }
    const r = await this.#source.receive(org, batch)
    if (r.accepted > 0) return TopicValidatorResult.Accept
    // Ahead of us (we lack earlier entries): not the sender's fault; catch up from it.
    if (r.reasons.some((x) => x.startsWith('missing earlier entries') || x.includes('does not hold'))) {
      void this.pull(peer.toString())
      return TopicValidatorResult.Ignore
    }
    return r.rejected > 0 ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }

  async #publish(org: string, batch: { entries: Uint8Array[]; changes: Uint8Array[] }): Promise<void> {
    const topic = orgTopic(org)
    if (!this.#topics.has(topic)) await this.refreshTopics()
    try {
      await this.#host.libp2p.services.pubsub.publish(topic, encodeMessage({ t: 'batch', ...batch }))
    } catch (err) {
      this.#log.debug({ org, err: (err as Error).message }, 'gossip publish failed; sync will carry it')
    }
  }

  readonly #onConnect = ({ peerId }: { peerId: string }): void => {
    this.#status(peerId).connected = true
    void this.pull(peerId)
  }

  readonly #onDisconnect = ({ peerId }: { peerId: string }): void => {
    this.#status(peerId).connected = false
  }

  #status(peerId: string) {
    let s = this.#peers.get(peerId)
    if (s === undefined) {
      const conn = this.#connectionTo(peerId)
      s = {
        peerId,
        memberKey: conn === undefined ? null : memberKeyOf(conn.remotePeer),
        connected: conn !== undefined,
        lastSync: null,
        weWereBehind: 0,
        peerWasBehind: 0,
        lastError: null,
      }
      this.#peers.set(peerId, s)
    }
    return s
  }

  #connectionTo(peerId: string): Connection | undefined {
    return this.#host.libp2p
      .getConnections()
      .find((c) => c.remotePeer.toString() === peerId && c.status === 'open')
  }
}

/** A peer's member key: the raw Ed25519 public key its peer id carries. */
export function memberKeyOf(peer: PeerId): string | null {
  const raw = peer.publicKey?.raw
  return raw === undefined || raw.length !== 32 ? null : Buffer.from(raw).toString('hex')
}
