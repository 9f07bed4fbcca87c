/**
 * The org mesh on top of a host: serves and requests catch-up sync, spreads new local
 * entries on a gossipsub topic per org, and keeps a status per peer.
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
import type { Clock, Logger, Timer } from '../crdt/index.ts'
import { silentLogger, systemClock } from '../crdt/index.ts'
import { clockTimeout } from './clock-timeout.ts'
import { memberKeyOfId } from './member-key.ts'
import { orgRendezvousKey, orgTopic } from './org-key.ts'
import { PeerDiscipline } from './peer-discipline.ts'
import { PullSchedule } from './pull-schedule.ts'
import {
  decodeMessage,
  encodeMessage,
  SYNC_LIMITS,
  SYNC_PROTOCOL,
  SyncProtocolError,
} from './sync/messages.ts'
import { requestSync, SyncRefusedError, type SyncSource, serveSync } from './sync/sync-protocol.ts'
import type { GossipVerdict, MeshStream, MeshTransport } from './transport.ts'

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
  /** Banned for misbehaving (see `lastError` for why): its connections are refused. */
  readonly banned: boolean
  /** Orgs this peer said this node's member was removed from. */
  readonly removedFrom: readonly string[]
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

const PULL_BACK_EVERY_MS = 2_000
/** The longest one pull (every org from one peer) may take. */
const PULL_TIMEOUT_MS = 120_000
/**
 * How long a pull prompted by a peer's request waits first: what the peer had ahead is
 * usually a change whose gossip is on its way here, and then no pull is needed.
 */
const PULL_BACK_WAIT_MS = 1_000
/** Member peers a node catches up from when it subscribes to a new org, or checks a stranger with. */
const CATCH_UP_PEERS = 3
/** Local entries made within this window travel in one gossip message. */
const GOSSIP_COALESCE_MS = 10
/** A gossip batch is sent at once when it reaches this many entries or bytes. */
const GOSSIP_BATCH_ENTRIES = 500
const GOSSIP_BATCH_BYTES = 512 * 1024
/** Sync requests one peer may have served at once; more is a flood. */
const CONCURRENT_SERVES = 8
/**
 * gossipsub score of a peer in none of our orgs: below gossipsub's publish (-50) and
 * gossip (-10) thresholds and below 0, so it is sent nothing and kept out of the topic
 * mesh; above its graylist threshold (-80), so its subscriptions are still heard (it
 * may be a newcomer whose join we have not pulled yet) and what it sends is verified.
 */
const OUTSIDER_SCORE = -60

type Outbox = {
  entries: Uint8Array[]
  changes: Uint8Array[]
  bytes: number
  timer: Timer | null
  /** A roster change is in it: who is sent it is worked out again first. */
  roster: boolean
}

export class Mesh {
  readonly #host: MeshTransport
  readonly #clock: Clock
  readonly #source: MeshSource
  readonly #log: Logger
  readonly #intervalMs: number
  readonly #discoveryMs: number
  readonly #schedule: PullSchedule
  #discoveryTimer: Timer | null = null
  #discovering: Promise<void> | null = null
  readonly #peers = new Map<
    string,
    { -readonly [K in keyof PeerStatus]: PeerStatus[K] } & { removedFrom: string[] }
  >()
  readonly #pulling = new Map<string, Promise<void>>()
  readonly #again = new Set<string>()
  readonly #lastPullBack = new Map<string, number>()
  /** Peers whose gossip came in as strangers': messages so far, while checked again after a catch-up. */
  readonly #strangerChecks = new Map<string, number>()
  #timer: Timer | null = null
  #stopLocal: (() => void) | null = null
  /** org → its gossip topic (for orgs whose mesh secret this node knows). */
  readonly #topics = new Map<string, string>()
  readonly #outbox = new Map<string, Outbox>()
  readonly #discipline: PeerDiscipline
  readonly #serving = new Map<string, number>()
  /** peer id → whether it is a member of one of our orgs (for gossipsub's score). */
  readonly #member = new Map<string, boolean>()
  #membersRefresh: Promise<void> | null = null
  #membersAgain: Promise<void> | null = null
  #topicsRefresh: Promise<void> | null = null
  readonly #frameTimeoutMs: number
  #stopped = new AbortController()

  constructor(init: MeshInit) {
    this.#host = init.transport
    this.#clock = init.clock ?? systemClock
    this.#source = init.source
    this.#log = init.log ?? silentLogger
    this.#intervalMs = init.syncIntervalMs ?? 30_000
    this.#discoveryMs = init.discoveryIntervalMs ?? 60_000
    this.#schedule = new PullSchedule(this.#intervalMs, Math.random, this.#clock)
    this.#discipline = new PeerDiscipline({
      transport: this.#host,
      clock: this.#clock,
      log: this.#log,
      banMs: init.banMs ?? 10 * 60_000,
      onBan: (peerId, why) => {
        this.#status(peerId).lastError = `banned: ${why}`
      },
    })
    this.#frameTimeoutMs = init.syncFrameTimeoutMs ?? SYNC_LIMITS.frameTimeoutMs
  }

  async start(): Promise<void> {
    await this.#host.handle(SYNC_PROTOCOL, (stream, peerId) => this.#serve(stream, peerId), {
      // Streams beyond this are reset by the transport unseen; below it, `#serve` counts them.
      maxInboundStreams: 256,
    })
    this.#host.on('peer:connect', this.#onConnect)
    this.#host.on('peer:disconnect', this.#onDisconnect)
    this.#host.setPeerScorer((peer) => {
      const member = this.#member.get(peer)
      if (member === undefined) void this.refreshMembers()
      return member === true ? 0 : OUTSIDER_SCORE
    })
    this.#stopLocal = this.#source.onLocal((org, batch) => void this.#publish(org, batch))
    await this.refreshTopics()
    for (const p of this.#host.connectedPeers()) this.#onConnect({ peerId: p })
    this.#nextRound()
    this.#discoveryTimer = this.#clock.setInterval(() => void this.discover(), this.#discoveryMs)
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
    const timeout = clockTimeout(this.#clock, Math.max(5_000, this.#discoveryMs))
    try {
      await this.#discoverIn(AbortSignal.any([this.#stopped.signal, timeout.signal]))
    } finally {
      timeout.cancel()
    }
  }

  async #discoverIn(signal: AbortSignal): Promise<void> {
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
          await this.#host.dial(id, signal).catch((err: Error) => {
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
    this.#timer?.cancel()
    this.#timer = null
    this.#discoveryTimer?.cancel()
    this.#discoveryTimer = null
    this.#stopLocal?.()
    for (const box of this.#outbox.values()) box.timer?.cancel()
    this.#outbox.clear()
    this.#host.off('peer:connect', this.#onConnect)
    this.#host.off('peer:disconnect', this.#onDisconnect)
    this.#host.setPeerScorer(() => 0)
    for (const t of this.#topics.values()) this.#host.unsubscribe(t)
    await this.#host.unhandle(SYNC_PROTOCOL).catch(() => {})
    await Promise.allSettled([
      ...this.#pulling.values(),
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
      this.#host.subscribe(topic, (from, data) => this.#validate(org, from, data))
    // What was gossiped before the node listened (while it joined) comes by one catch-up.
    const members = this.#host.connectedPeers().filter((p) => this.#member.get(p) === true)
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
        if (this.#member.get(peer) === member) return
        this.#member.set(peer, member)
        this.#host.rescore(peer)
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
      .filter((p) => this.#member.get(p) !== false && !this.#host.isBanned(p))
    const peer = this.#schedule.pick(peers, orgs)
    if (peer !== null) await this.pull(peer)
    return peer
  }

  #nextRound(): void {
    if (this.#stopped.signal.aborted) return
    this.#timer = this.#clock.setTimeout(() => {
      void this.syncRound()
        .catch((err: Error) => this.#log.debug({ err: err.message }, 'pull round failed'))
        .finally(() => this.#nextRound())
    }, this.#schedule.nextDelay())
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

  peers(): PeerStatus[] {
    return [...this.#peers.values()].map((p) => ({
      ...p,
      banned: this.#host.isBanned(p.peerId),
      removedFrom: [...p.removedFrom],
    }))
  }

  /** Pulls `org` from `peerId` if it is a member of it. */
  async #pullOrg(peerId: string, org: string, signal: AbortSignal): Promise<number> {
    const status = this.#status(peerId)
    const key = memberKeyOfId(peerId)
    if (!this.#connected(peerId) || key === null) return 0
    const standing = await this.#source.standing(org, key).catch(() => 'stranger' as const)
    if (standing !== 'member') return 0
    try {
      const stream = await this.#host.openStream(peerId, SYNC_PROTOCOL, signal)
      const summary = await requestSync(stream, org, this.#source, {
        signal,
        frameTimeoutMs: this.#frameTimeoutMs,
        clock: this.#clock,
      })
      if (summary.rejected > 0) {
        this.#log.warn(
          { peer: peerId, org, rejected: summary.rejected, reasons: summary.reasons },
          'peer sent entries this node refuses',
        )
      }
      if (summary.offences > 0)
        await this.#discipline.offence(peerId, 'sent entries that fail verification or the rules')
      // It sent nothing: it holds nothing of the org this node lacks.
      if (summary.accepted === 0 && summary.rejected === 0) this.#schedule.inSync(peerId, org)
      status.lastError = null
      return summary.accepted
    } catch (err) {
      const e = err as Error
      if (e instanceof SyncRefusedError) {
        if (e.code === 'removed') this.#removed(peerId, org)
        return 0
      }
      if (this.#host.isBanned(peerId)) return 0
      status.lastError = e.message
      if (err instanceof SyncProtocolError) {
        await this.#discipline.banNow(peerId, `broke the sync protocol: ${e.message}`)
        return 0
      }
      this.#log.debug({ peer: peerId, org, err: e.message }, 'sync failed; will retry')
      return 0
    }
  }

  /** The peer says this node's member was removed from `org`: recorded, and said plainly. */
  #removed(peerId: string, org: string): void {
    const status = this.#status(peerId)
    if (!status.removedFrom.includes(org)) status.removedFrom.push(org)
    status.lastError = `this node was removed from org ${org}`
    this.#log.warn(
      { peer: peerId, org },
      `this node was removed from org ${org} (the peer refuses to sync it)`,
    )
  }

  async #pullOnce(peerId: string): Promise<void> {
    const status = this.#status(peerId)
    const timeout = clockTimeout(this.#clock, PULL_TIMEOUT_MS)
    const signal = AbortSignal.any([this.#stopped.signal, timeout.signal])
    let received = 0
    try {
      for (const org of await this.#source.orgs()) {
        if (!this.#connected(peerId)) return
        if (this.#host.isBanned(peerId)) return
        received += await this.#pullOrg(peerId, org, signal)
      }
    } finally {
      timeout.cancel()
    }
    status.lastSync = this.#clock.now()
    status.weWereBehind = received
    if (received > 0) {
      await this.refreshTopics()
      void this.refreshMembers()
    }
  }

  #serve(stream: MeshStream, peerId: string): void {
    const key = memberKeyOfId(peerId)
    const status = this.#status(peerId)
    const serving = this.#serving.get(peerId) ?? 0
    if (this.#discipline.flooding(peerId) || serving >= CONCURRENT_SERVES) {
      stream.abort(new Error('too many sync requests'))
      void this.#discipline.offence(peerId, 'flooded sync requests')
      return
    }
    this.#serving.set(peerId, serving + 1)
    serveSync(stream, key ?? '', this.#source, {
      signal: this.#stopped.signal,
      frameTimeoutMs: this.#frameTimeoutMs,
      clock: this.#clock,
    })
      .then(({ sent, peerAhead, ahead, org }) => {
        status.peerWasBehind = sent
        // Its heads are nowhere ahead of ours: no need to pull from it this round.
        if (!peerAhead) this.#schedule.inSync(peerId, org)
        // Sync goes both ways: what the peer has that we lack comes back now (only then,
        // or two nodes would pull from each other forever).
        if (peerAhead) this.#pullBack(peerId, org, ahead)
      })
      .catch(async (err: Error) => {
        if (err instanceof SyncProtocolError) {
          await this.#discipline.banNow(peerId, `broke the sync protocol: ${err.message}`)
          return
        }
        // Refused as not a member here: nothing is asked of it. A newcomer is a member
        // once a member's node has admitted it (the admission reaches us first).
      })
      .finally(() => {
        const n = (this.#serving.get(peerId) ?? 1) - 1
        if (n > 0) this.#serving.set(peerId, n)
        else this.#serving.delete(peerId)
      })
  }

  /**
   * A pull prompted by the peer's own request, whose heads were `ahead` of ours in
   * `org`: at most one per peer every few seconds, so two nodes that refuse each other
   * (or a peer hammering us) cannot start a loop; after a short wait, and only if
   * gossip has not brought what it had ahead meanwhile.
   */
  #pullBack(peerId: string, org: string, ahead: ReadonlyMap<string, number>): void {
    const now = this.#clock.now()
    if (now - (this.#lastPullBack.get(peerId) ?? -Infinity) < PULL_BACK_EVERY_MS) return
    this.#lastPullBack.set(peerId, now)
    this.#clock.setTimeout(async () => {
      if (this.#stopped.signal.aborted) return
      const mine = await this.#source.heads(org).catch(() => new Map<string, number>())
      for (const [author, seq] of ahead) {
        if ((mine.get(author) ?? 0) < seq) {
          void this.pull(peerId)
          return
        }
      }
    }, PULL_BACK_WAIT_MS)
  }

  async #validate(org: string, peerId: string, data: Uint8Array): Promise<GossipVerdict> {
    // Only a member of the org may publish on its topic: anyone else is refused unread.
    const key = memberKeyOfId(peerId)
    const standing = key === null ? 'stranger' : await this.#source.standing(org, key).catch(() => 'stranger')
    if (standing !== 'member') {
      // A removed member may not know yet; anyone else has no business on the topic.
      if (standing === 'stranger' && key !== null) void this.#strangerGossip(peerId, org, key)
      return 'reject'
    }
    let batch: { entries: readonly Uint8Array[]; changes: readonly Uint8Array[] }
    try {
      const m = decodeMessage(data)
      if (m.t !== 'batch') throw new SyncProtocolError(`unexpected ${m.t} message`)
      batch = m
    } catch {
      void this.#discipline.offence(peerId, 'gossiped a message that does not decode')
      return 'reject'
    }
    const r = await this.#source.receive(org, batch)
    if (r.offences > 0)
      void this.#discipline.offence(peerId, 'gossiped entries that fail verification or the rules')
    if (r.accepted > 0) {
      // Who is a member changes only with the roster: any other change costs no recount.
      if (r.roster !== false) void this.refreshMembers()
      return 'accept'
    }
    // Ahead of us (we lack earlier entries, dependencies, or the admission of a newcomer
    // whose entries these are): not the sender's fault; catch up from it.
    const ahead = ['gap', 'missing-dependency', 'unknown-author'] as const
    if (ahead.some((k) => (r.byKind.get(k) ?? 0) > 0)) {
      void this.pull(peerId)
      return 'ignore'
    }
    return r.rejected > 0 ? 'reject' : 'ignore'
  }

  /**
   * Gossip from a peer this node does not know as a member (refused unread). It may be a
   * newcomer whose admission has not reached this node yet: catch up from members first,
   * and count an offence only if it is still a stranger then. One check per peer at a time.
   */
  async #strangerGossip(peerId: string, org: string, key: string): Promise<void> {
    const seen = this.#strangerChecks.get(peerId)
    if (seen !== undefined) {
      this.#strangerChecks.set(peerId, seen + 1)
      return
    }
    if (this.#stopped.signal.aborted) return
    this.#strangerChecks.set(peerId, 1)
    try {
      const members: string[] = []
      for (const p of this.#host.connectedPeers()) {
        const k = memberKeyOfId(p)
        if (k !== null && (await this.#source.standing(org, k).catch(() => 'stranger')) === 'member')
          members.push(p)
        if (members.length >= CATCH_UP_PEERS) break
      }
      await Promise.allSettled(members.map((p) => this.pull(p)))
      const now = await this.#source.standing(org, key).catch(() => 'stranger' as const)
      if (this.#stopped.signal.aborted) return
      if (now !== 'stranger') {
        void this.refreshMembers()
        return
      }
      const messages = this.#strangerChecks.get(peerId) ?? 1
      for (let i = 0; i < messages && !this.#host.isBanned(peerId); i++)
        await this.#discipline.offence(peerId, 'gossiped on the topic of an org it is not in')
    } finally {
      this.#strangerChecks.delete(peerId)
    }
  }

  /** Queues local entries for gossip: sent within a few ms, together with any that follow. */
  #publish(org: string, batch: { entries: Uint8Array[]; changes: Uint8Array[]; roster?: boolean }): void {
    if (this.#stopped.signal.aborted) return
    let box = this.#outbox.get(org)
    if (box === undefined) {
      box = { entries: [], changes: [], bytes: 0, timer: null, roster: false }
      this.#outbox.set(org, box)
    }
    if (batch.roster === true) box.roster = true
    box.entries.push(...batch.entries)
    box.changes.push(...batch.changes)
    for (const b of batch.entries) box.bytes += b.length
    for (const b of batch.changes) box.bytes += b.length
    if (box.entries.length >= GOSSIP_BATCH_ENTRIES || box.bytes >= GOSSIP_BATCH_BYTES) void this.#flush(org)
    else box.timer ??= this.#clock.setTimeout(() => void this.#flush(org), GOSSIP_COALESCE_MS)
  }

  async #flush(org: string): Promise<void> {
    const box = this.#outbox.get(org)
    if (box === undefined) return
    this.#outbox.delete(org)
    box.timer?.cancel()
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
    this.#status(peerId).connected = true
    void this.refreshMembers()
    void this.pull(peerId)
  }

  readonly #onDisconnect = ({ peerId }: { peerId: string }): void => {
    this.#status(peerId).connected = false
    this.#schedule.forget(peerId)
    // A member's verdict stays (members are few, and it is checked again on reconnect):
    // back, it is not scored as an outsider while that check runs.
    if (this.#member.get(peerId) !== true) this.#member.delete(peerId)
  }

  #status(peerId: string) {
    let s = this.#peers.get(peerId)
    if (s === undefined) {
      const connected = this.#connected(peerId)
      s = {
        peerId,
        memberKey: connected ? memberKeyOfId(peerId) : null,
        connected,
        lastSync: null,
        weWereBehind: 0,
        peerWasBehind: 0,
        lastError: null,
        banned: false,
        removedFrom: [] as string[],
      }
      this.#peers.set(peerId, s)
    }
    return s
  }

  #connected(peerId: string): boolean {
    return this.#host.connectedPeers().includes(peerId)
  }
}
