/**
 * Counting a peer's misbehaviour and banning it: offences (refusals of a kind an honest
 * peer cannot cause, gossip from non-members, broken rate limits) ban a peer once there
 * are enough of them; breaking the sync protocol bans it at once. A ban closes its
 * connections and the host's connection gater refuses new ones until it ends.
 */

import { systemClock } from '../crdt/clock.ts'
import type { Clock, Logger } from '../crdt/index.ts'
import type { MeshTransport } from './transport.ts'

/** Offences (refused entries, broken rate limits) before a peer is banned. */
const OFFENCES_BEFORE_BAN = 3
/** Sync requests one peer may make per window before it is refused and counted. */
const REQUESTS_PER_WINDOW = 120
const REQUEST_WINDOW_MS = 10_000
/** Peers whose offences or request windows are kept at most (the oldest go first). */
const MAX_TRACKED_PEERS = 4_096

export interface PeerDisciplineInit {
  readonly transport: Pick<MeshTransport, 'ban' | 'isBanned'>
  readonly clock?: Clock
  readonly log: Logger
  /** How long a ban lasts. */
  readonly banMs: number
  /** Told why a peer is banned (for its status). */
  readonly onBan: (peerId: string, why: string) => void
}

export class PeerDiscipline {
  readonly #host: Pick<MeshTransport, 'ban' | 'isBanned'>
  readonly #clock: Clock
  readonly #log: Logger
  readonly #banMs: number
  readonly #onBan: (peerId: string, why: string) => void
  readonly #offences = new Map<string, number>()
  readonly #requests = new Map<string, { start: number; count: number }>()

  constructor(init: PeerDisciplineInit) {
    this.#host = init.transport
    this.#clock = init.clock ?? systemClock
    this.#log = init.log
    this.#banMs = init.banMs
    this.#onBan = init.onBan
  }

  /** Counts a sync request from the peer; true once it has made too many in the window. */
  flooding(peerId: string): boolean {
    const now = this.#clock.now()
    let w = this.#requests.get(peerId)
    if (w === undefined || now - w.start > REQUEST_WINDOW_MS) {
      if (this.#requests.size >= MAX_TRACKED_PEERS) {
        for (const [p, x] of this.#requests) if (now - x.start > REQUEST_WINDOW_MS) this.#requests.delete(p)
      }
      w = { start: now, count: 0 }
      this.#requests.delete(peerId)
      this.#requests.set(peerId, w)
      evictOldest(this.#requests)
    }
    return ++w.count > REQUESTS_PER_WINDOW
  }

  /** Records one offence; the peer is banned once it has committed enough. */
  async offence(peerId: string, what: string): Promise<void> {
    const n = (this.#offences.get(peerId) ?? 0) + 1
    this.#offences.delete(peerId)
    this.#offences.set(peerId, n)
    evictOldest(this.#offences)
    this.#log.warn({ peer: peerId, offences: n }, `peer ${what}`)
    if (n >= OFFENCES_BEFORE_BAN) await this.banNow(peerId, what)
  }

  async banNow(peerId: string, why: string): Promise<void> {
    if (this.#host.isBanned(peerId)) return
    this.#log.warn({ peer: peerId, minutes: this.#banMs / 60_000 }, `banning peer: ${why}`)
    this.#onBan(peerId, why)
    this.#offences.delete(peerId)
    await this.#host.ban(peerId, this.#banMs)
  }
}

/** Drops the least recently set entries past `MAX_TRACKED_PEERS`. */
function evictOldest(map: Map<string, unknown>): void {
  for (const k of map.keys()) {
    if (map.size <= MAX_TRACKED_PEERS) return
    map.delete(k)
  }
}
