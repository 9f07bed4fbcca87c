/**
 * What the mesh knows of each peer: its status (for `Mesh.peers()`), whether it is a
 * member of one of our orgs (for gossipsub's score), the sync requests it has open and
 * its gossip while checked as a stranger. Bounded and expiring: a disconnected peer's
 * record goes once it has been idle for `idleMs`, and past `maxPeers` records the
 * longest idle disconnected ones go first, so a stream of short-lived peers (or forged
 * ones) cannot grow it without end. A connected peer's record stays.
 */
import type { Clock } from '../../crdt/index.ts'

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

/** A peer's record: its status and the mesh's working state for it. */
export interface PeerRecord {
  readonly status: { -readonly [K in keyof PeerStatus]: PeerStatus[K] } & { removedFrom: string[] }
  /** Sync requests from the peer being served now. */
  serving: number
  /** Gossip messages it sent while being checked as a stranger (undefined: no check running). */
  strangerMessages: number | undefined
  /** When the record was last used (ms). */
  touched: number
}

export interface PeerBookInit {
  readonly clock: Clock
  /** Records kept at most (connected peers' records are never dropped). Default 1,024. */
  readonly maxPeers?: number
  /** How long a disconnected peer's record is kept once idle. Default 1 hour. */
  readonly idleMs?: number
}

export class PeerBook {
  readonly #clock: Clock
  readonly #maxPeers: number
  readonly #idleMs: number
  readonly #records = new Map<string, PeerRecord>()
  /** peer id → whether it is a member of one of our orgs; kept for members across a reconnect. */
  readonly #member = new Map<string, boolean>()

  constructor(init: PeerBookInit) {
    this.#clock = init.clock
    this.#maxPeers = init.maxPeers ?? 1_024
    this.#idleMs = init.idleMs ?? 60 * 60_000
  }

  /** The peer's record, made if it has none (`connected`, `memberKey`: its status to start with). */
  record(peerId: string, initial: { connected: boolean; memberKey: string | null }): PeerRecord {
    const now = this.#clock.now()
    let r = this.#records.get(peerId)
    if (r === undefined) {
      this.#prune(now)
      r = {
        status: {
          peerId,
          memberKey: initial.memberKey,
          connected: initial.connected,
          lastSync: null,
          weWereBehind: 0,
          peerWasBehind: 0,
          lastError: null,
          banned: false,
          removedFrom: [],
        },
        serving: 0,
        strangerMessages: undefined,
        touched: now,
      }
      this.#records.set(peerId, r)
    }
    r.touched = now
    return r
  }

  /** The peer's record, if it has one. */
  get(peerId: string): PeerRecord | undefined {
    return this.#records.get(peerId)
  }

  /** Every status, with `banned` as `isBanned` says now. */
  statuses(isBanned: (peerId: string) => boolean): PeerStatus[] {
    this.#prune(this.#clock.now())
    return [...this.#records.values()].map(({ status }) => ({
      ...status,
      banned: isBanned(status.peerId),
      removedFrom: [...status.removedFrom],
    }))
  }

  /** Whether the peer is a member of one of our orgs; undefined: not worked out yet. */
  member(peerId: string): boolean | undefined {
    return this.#member.get(peerId)
  }

  /** Records the verdict; true if it changed. */
  setMember(peerId: string, member: boolean): boolean {
    if (this.#member.get(peerId) === member) return false
    this.#member.set(peerId, member)
    return true
  }

  /** The peer disconnected: its verdict goes unless it is a member (checked again on reconnect). */
  disconnected(peerId: string): void {
    const r = this.#records.get(peerId)
    if (r !== undefined) {
      r.status.connected = false
      r.touched = this.#clock.now()
    }
    if (this.#member.get(peerId) !== true) this.#member.delete(peerId)
  }

  get size(): number {
    return this.#records.size
  }

  #prune(now: number): void {
    const idle = [...this.#records.values()].filter(
      (r) => !r.status.connected && r.serving === 0 && r.strangerMessages === undefined,
    )
    for (const r of idle) {
      if (now - r.touched >= this.#idleMs) this.#drop(r.status.peerId)
    }
    if (this.#records.size < this.#maxPeers) return
    const oldest = idle
      .filter((r) => this.#records.has(r.status.peerId))
      .sort((a, b) => a.touched - b.touched)
    for (const r of oldest) {
      if (this.#records.size < this.#maxPeers) break
      this.#drop(r.status.peerId)
    }
  }

  #drop(peerId: string): void {
    this.#records.delete(peerId)
    this.#member.delete(peerId)
  }
}
