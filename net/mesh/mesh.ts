/**
 * The org mesh over a transport (`../transport.ts`: the libp2p host, or a node of the
 * in-memory network): serves and requests catch-up sync, spreads new local entries on a
 * gossip topic per org, and keeps a status per peer. Its parts: the peer book
 * (`peer-book.ts`), the gossip outbox (`gossip-outbox.ts`), what it does with gossip it
 * receives (`gossip-intake.ts`), when it pulls (`sync-scheduler.ts`), and discovery
 * (`org-discovery.ts`).
 *
 * - On every new connection the node pulls from the peer each of its orgs the peer is a
 *   member of (by the peer's member key, in this node's roster): a peer that is not
 *   is sent nothing, not even a request (no org id, no member keys, no chain lengths).
 *   About every `syncIntervalMs` (jittered) it pulls from one member peer chosen at
 *   random among those not proven in sync with it within the interval (anti-entropy for
 *   what gossip missed: any gap closes within a few rounds, and the cost per node stays
 *   the same however large the mesh; see pull-schedule.ts). Two nodes in sync exchange
 *   one request of heads and a `done`: nothing is read, decoded or loaded.
 * - Serving a peer whose heads are ahead is followed by pulling from it (sync goes both
 *   ways), a second later and only if gossip has not brought what it had. A peer refused
 *   as not a member of the org it asked for is asked nothing (a newcomer becomes a
 *   member through a member's admission, which reaches this node first).
 * - A member removed from an org is neither served nor pulled from; asked, this node
 *   answers with the `removed` code, and a node told so records and logs it
 *   (`PeerStatus.removedFrom`).
 * - Gossip is best effort and fast; the topic validator runs the node's receive path (that
 *   is where an accepted message is stored), so
 *   what fails verification is rejected (and the sender's score drops), and a message
 *   that arrives ahead of what this node holds triggers a pull from its sender. A message
 *   from a peer that is not a member of the org, or that does not decode, is rejected
 *   unread and counted as an offence.
 * - Gossip of local entries is coalesced for a few milliseconds: a burst travels as a
 *   few bounded batches, not thousands of messages each verified on its own.
 * - The topic name derives from the org's mesh secret, and gossipsub's score of a peer
 *   that is a member of none of our orgs keeps it out of the topic mesh and below the
 *   publish threshold: it is sent nothing. Its score stays above the graylist so that a
 *   newcomer's subscription is heard before it is known as a member; what it publishes
 *   costs a map lookup before it is rejected. Catch-up sync serves members only.
 * - Gossip reaches a member from the first second: which connected peers are members is
 *   worked out before the node subscribes to a new org's topic (gossipsub picks its mesh
 *   and a first publish its recipients then), a peer whose verdict changes is rescored
 *   at once (gossipsub caches a score for a heartbeat; a GRAFT met with a stale outsider
 *   score is pruned with a minute's backoff), a member keeps its verdict across a
 *   reconnect, and a node that subscribes catches up once from members (what was
 *   gossiped while it joined).
 * - Misbehaviour is counted per peer, on the kinds of refusal (never their wording): a
 *   malformed sync frame bans the peer at once; entries refused for a kind that is not
 *   innocent (crdt's `INNOCENT_KINDS`), gossip from non-members, undecodable gossip and
 *   floods of sync requests ban it once they pass a threshold. A ban closes its
 *   connections and the host's connection gater refuses new ones until it ends.
 */

import { systemClock } from '../../crdt/clock.ts'
import type { Clock, Logger, Timer } from '../../crdt/index.ts'
import { silentLogger } from '../../crdt/logger.ts'
import { memberKeyOfId } from '../member-key.ts'
import { orgTopic } from '../org-key.ts'
import { PeerDiscipline } from '../peer-discipline.ts'
import { PullSchedule } from '../pull-schedule.ts'
import { encodeMessage, SYNC_LIMITS, SYNC_PROTOCOL } from '../sync/messages.ts'
import type { SyncSource } from '../sync/sync-protocol.ts'
import type { MeshTransport } from '../transport.ts'
import { GossipIntake } from './gossip-intake.ts'
import { GossipOutbox, type OutboxBatch } from './gossip-outbox.ts'
import { discoverOrgs } from './org-discovery.ts'
import { PeerBook, type PeerRecord, type PeerStatus } from './peer-book.ts'
import { SyncExchange } from './sync-exchange.ts'
import { SyncScheduler } from './sync-scheduler.ts'

export type { PeerStatus } from './peer-book.ts'

/** What the mesh needs beyond sync: the orgs this node holds, and its own new entries. */
export interface MeshSource extends SyncSource {
  orgs(): Promise<string[]>
  /** A secret only the org's members hold (≥ 16 bytes), for its DHT rendezvous key; null if unknown. */
  meshSecret(org: string): Promise<Uint8Array | null>
  /**
   * Calls `listener` with each batch of local entries (and their changes) for an org;
   * `roster`: they change the org's roster (who is a member may have changed).
   */
  onLocal(
    listener: (
      org: string,
      batch: { entries: Uint8Array[]; changes: Uint8Array[]; roster?: boolean },
    ) => void,
  ): () => void
}

export interface MeshInit {
  /** The network: the libp2p host, or a node of the in-memory network. */
  readonly transport: MeshTransport
  /** Reads the time and runs every timer of the mesh. Default `systemClock`. */
  readonly clock?: Clock
  readonly source: MeshSource
  readonly syncIntervalMs?: number
  /** How often to announce the node's orgs in the DHT and look for their other nodes. Default 60 s. */
  readonly discoveryIntervalMs?: number
  readonly log?: Logger
  /** How long a misbehaving peer stays banned. Default 10 minutes. */
  readonly banMs?: number
  /** How long a sync stream waits for the peer's next frame. Default `SYNC_LIMITS.frameTimeoutMs`. */
  readonly syncFrameTimeoutMs?: number
}

/** Member peers a node catches up from when it subscribes to a new org. */
const CATCH_UP_PEERS = 3
/**
 * gossipsub score of a peer in none of our orgs: below gossipsub's publish (-50) and
 * gossip (-10) thresholds and below 0, so it is sent nothing and kept out of the topic
 * mesh; above its graylist threshold (-80), so its subscriptions are still heard (it
 * may be a newcomer whose join we have not pulled yet) and what it sends is verified.
 */
const OUTSIDER_SCORE = -60

export class Mesh {
  readonly #host: MeshTransport
  readonly #clock: Clock
  readonly #source: MeshSource
  readonly #log: Logger
  readonly #discoveryMs: number
  readonly #schedule: PullSchedule
  readonly #scheduler: SyncScheduler
  readonly #discipline: PeerDiscipline
  readonly #peers: PeerBook
  readonly #outbox: GossipOutbox
  readonly #intake: GossipIntake
  readonly #exchange: SyncExchange
  readonly #stopped = new AbortController()
  #discoveryTimer: Timer | null = null
  #discovering: Promise<void> | null = null
  #stopLocal: (() => void) | null = null
  /** org → its gossip topic (for orgs whose mesh secret this node knows). */
  readonly #topics = new Map<string, string>()
  #membersRefresh: Promise<void> | null = null
  #membersAgain: Promise<void> | null = null
  #topicsRefresh: Promise<void> | null = null

  constructor(init: MeshInit) {
    this.#host = init.transport
    this.#clock = init.clock ?? systemClock
    this.#source = init.source
    this.#log = init.log ?? silentLogger
    this.#discoveryMs = init.discoveryIntervalMs ?? 60_000
    this.#schedule = new PullSchedule(init.syncIntervalMs ?? 30_000, Math.random, this.#clock)
    this.#peers = new PeerBook({ clock: this.#clock })
    this.#discipline = new PeerDiscipline({
      transport: this.#host,
      clock: this.#clock,
      log: this.#log,
      banMs: init.banMs ?? 10 * 60_000,
      onBan: (peerId, why) => {
        this.#record(peerId).status.lastError = `banned: ${why}`
      },
    })
    this.#scheduler = new SyncScheduler({
      clock: this.#clock,
      schedule: this.#schedule,
      log: this.#log,
      pullOnce: (peerId) => this.#exchange.pull(peerId),
      round: () => this.syncRound(),
      requestPull: (peerId) => this.pull(peerId),
      heads: (org) => this.#source.heads(org),
    })
    this.#exchange = new SyncExchange({
      transport: this.#host,
      source: this.#source,
      clock: this.#clock,
      log: this.#log,
      discipline: this.#discipline,
      schedule: this.#schedule,
      frameTimeoutMs: init.syncFrameTimeoutMs ?? SYNC_LIMITS.frameTimeoutMs,
      stopped: this.#stopped.signal,
      record: (peerId) => this.#record(peerId),
      pullBack: (peerId, org, ahead) => this.#scheduler.pullBack(peerId, org, ahead),
      refreshTopics: () => this.refreshTopics(),
      refreshMembers: () => this.refreshMembers(),
    })
    this.#outbox = new GossipOutbox({ clock: this.#clock, send: (org, batch) => this.#send(org, batch) })
    this.#intake = new GossipIntake({
      transport: this.#host,
      source: this.#source,
      discipline: this.#discipline,
      peers: this.#peers,
      log: this.#log,
      stopped: this.#stopped.signal,
      pull: (peerId) => this.pull(peerId),
      refreshMembers: () => this.refreshMembers(),
    })
  }

  async start(): Promise<void> {
    await this.#host.handle(SYNC_PROTOCOL, (stream, peerId) => this.#exchange.serve(stream, peerId), {
      // Streams beyond this are reset by the transport unseen; below it, `#serve` counts them.
      maxInboundStreams: 256,
    })
    this.#host.on('peer:connect', this.#onConnect)
    this.#host.on('peer:disconnect', this.#onDisconnect)
    this.#host.setPeerScorer((peer) => {
      const member = this.#peers.member(peer)
      if (member === undefined) void this.refreshMembers()
      return member === true ? 0 : OUTSIDER_SCORE
    })
    this.#stopLocal = this.#source.onLocal((org, batch) => this.#outbox.add(org, batch))
    await this.refreshTopics()
    for (const p of this.#host.connectedPeers()) this.#onConnect({ peerId: p })
    this.#scheduler.start()
    this.#discoveryTimer = this.#clock.setInterval(() => void this.discover(), this.#discoveryMs)
    void this.discover()
  }

  /**
   * Announces each org at its rendezvous (the DHT), and dials the other providers found
   * there (one round at a time).
   */
  discover(): Promise<void> {
    this.#discovering ??= discoverOrgs({
      transport: this.#host,
      source: this.#source,
      clock: this.#clock,
      log: this.#log,
      stopped: this.#stopped.signal,
      timeoutMs: Math.max(5_000, this.#discoveryMs),
    }).finally(() => {
      this.#discovering = null
    })
    return this.#discovering
  }

  async stop(): Promise<void> {
    this.#stopped.abort()
    this.#discoveryTimer?.cancel()
    this.#discoveryTimer = null
    this.#stopLocal?.()
    this.#outbox.stop()
    this.#host.off('peer:connect', this.#onConnect)
    this.#host.off('peer:disconnect', this.#onDisconnect)
    this.#host.setPeerScorer(() => 0)
    for (const t of this.#topics.values()) this.#host.unsubscribe(t)
    await this.#host.unhandle(SYNC_PROTOCOL).catch(() => {})
    await Promise.allSettled([
      this.#scheduler.stop(),
      this.#discovering,
      this.#membersRefresh,
      this.#membersAgain,
    ])
  }

  /**
   * Subscribes to the topic of every org this node holds (call after joining one). Which
   * connected peers are members is worked out first: gossipsub picks its mesh for a
   * topic, and a first publish its recipients, the moment the node subscribes.
   */
  refreshTopics(): Promise<void> {
    this.#topicsRefresh ??= this.#refreshTopicsOnce().finally(() => {
      this.#topicsRefresh = null
    })
    return this.#topicsRefresh
  }

  async #refreshTopicsOnce(): Promise<void> {
    const added: [string, string][] = []
    for (const org of await this.#source.orgs()) {
      if (this.#topics.has(org)) continue
      const secret = await this.#source.meshSecret(org)
      if (secret === null || this.#topics.has(org) || this.#stopped.signal.aborted) continue
      const topic = orgTopic(org, secret)
      this.#topics.set(org, topic)
      added.push([org, topic])
    }
    if (added.length === 0) return
    // A new org: which connected peers are its members (and so are sent its gossip) changes.
    await this.refreshMembers()
    if (this.#stopped.signal.aborted) return
    for (const [org, topic] of added)
      this.#host.subscribe(topic, (from, data) => this.#intake.validate(org, from, data))
    // What was gossiped before the node listened (while it joined) comes by one catch-up.
    const members = this.#host.connectedPeers().filter((p) => this.#peers.member(p) === true)
    for (const p of members.slice(0, CATCH_UP_PEERS)) void this.pull(p)
  }

  /**
   * Works out again which connected peers are members of one of this node's orgs (after
   * a roster may have changed). Runs one at a time; a call during a run is answered by
   * the run after it. A peer whose verdict changed is scored afresh by gossipsub at once.
   */
  refreshMembers(): Promise<void> {
    if (this.#membersRefresh === null) {
      this.#membersRefresh = this.#refreshMembersOnce().finally(() => {
        this.#membersRefresh = null
      })
      return this.#membersRefresh
    }
    this.#membersAgain ??= this.#membersRefresh.then(() => {
      this.#membersAgain = null
      return this.#stopped.signal.aborted ? undefined : this.refreshMembers()
    })
    return this.#membersAgain
  }

  async #refreshMembersOnce(): Promise<void> {
    const orgs = await this.#source.orgs()
    await Promise.all(
      this.#host.connectedPeers().map(async (peer) => {
        const key = memberKeyOfId(peer)
        let member = false
        for (const org of orgs) {
          if (key !== null && (await this.#source.mayServe(org, key).catch(() => false))) {
            member = true
            break
          }
        }
        if (this.#peers.setMember(peer, member)) this.#host.rescore(peer)
      }),
    )
  }

  /** Pulls every org from every connected peer now. */
  async syncAll(): Promise<void> {
    await this.refreshTopics()
    await Promise.allSettled(this.#host.connectedPeers().map((p) => this.pull(p)))
  }

  /**
   * The periodic round (anti-entropy): pulls from one member peer not proven in sync with
   * this node within the interval, if there is one. Resolves to the peer pulled from, or null.
   */
  async syncRound(): Promise<string | null> {
    await this.refreshTopics()
    const orgs = await this.#source.orgs()
    const peers = this.#host
      .connectedPeers()
      .filter((p) => this.#peers.member(p) !== false && !this.#host.isBanned(p))
    const peer = this.#schedule.pick(peers, orgs)
    if (peer !== null) await this.pull(peer)
    return peer
  }

  /** Pulls this node's orgs from one peer (one pull at a time per peer; a request while one runs queues another). */
  pull(peerId: string): Promise<void> {
    return this.#scheduler.pull(peerId)
  }

  peers(): PeerStatus[] {
    return this.#peers.statuses((p) => this.#host.isBanned(p))
  }

  /** Sends one org's gossip batch on its topic. */
  async #send(org: string, box: OutboxBatch): Promise<void> {
    if (this.#stopped.signal.aborted) return
    if (!this.#topics.has(org)) await this.refreshTopics()
    // The roster changed: who is sent this first (a member just removed is sent nothing more).
    if (box.roster) await this.refreshMembers()
    const topic = this.#topics.get(org)
    if (topic === undefined) return // No mesh secret (yet): catch-up sync carries it.
    // One message stays within the protocol's batch bound: a change too big for gossip
    // travels by catch-up sync.
    if (box.entries.length > SYNC_LIMITS.maxBatchEntries || box.bytes > SYNC_LIMITS.maxBatchBytes) return
    try {
      const data = encodeMessage({ t: 'batch', entries: box.entries, changes: box.changes })
      await this.#host.publish(topic, data)
    } catch (err) {
      this.#log.debug({ org, err: (err as Error).message }, 'gossip publish failed; sync will carry it')
    }
  }

  readonly #onConnect = ({ peerId }: { peerId: string }): void => {
    this.#record(peerId).status.connected = true
    void this.refreshMembers()
    void this.pull(peerId)
  }

  readonly #onDisconnect = ({ peerId }: { peerId: string }): void => {
    this.#schedule.forget(peerId)
    // A member's verdict stays (members are few, and it is checked again on reconnect):
    // back, it is not scored as an outsider while that check runs.
    this.#peers.disconnected(peerId)
  }

  #record(peerId: string): PeerRecord {
    const connected = this.#connected(peerId)
    return this.#peers.record(peerId, { connected, memberKey: connected ? memberKeyOfId(peerId) : null })
  }

  #connected(peerId: string): boolean {
    return this.#host.connectedPeers().includes(peerId)
  }
}
