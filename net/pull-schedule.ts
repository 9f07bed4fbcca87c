/**
 * When the mesh's periodic pull (anti-entropy) runs, and from whom. Gossip carries
 * nearly every change; the periodic pull is there for the few it misses, so it must
 * cost little when there is nothing to fetch, however many nodes the org has:
 *
 * - One round per interval, each at a jittered time (between half and one and a half
 *   intervals after the last), so that nodes started together do not pull together.
 * - One peer per round, chosen at random (a gap anywhere closes in a few rounds, as in
 *   any epidemic), among the peers not proven in sync with this node within the last
 *   interval.
 * - A peer is proven in sync for an org (it holds nothing of the org this node lacks)
 *   when a pull from it brought nothing, or when its own request named no head ahead of
 *   this node's: a pull either way counts for both sides, and a peer that pulled from
 *   this node a moment ago is not pulled from again this round.
 */

import { systemClock } from '../crdt/clock.ts'
import type { Clock } from '../crdt/index.ts'

export class PullSchedule {
  readonly #intervalMs: number
  readonly #random: () => number
  readonly #clock: Clock
  /** `peer\norg` → when that peer was last proven to hold nothing of the org this node lacks. */
  readonly #inSyncAt = new Map<string, number>()

  constructor(intervalMs: number, random: () => number = Math.random, clock: Clock = systemClock) {
    this.#intervalMs = intervalMs
    this.#random = random
    this.#clock = clock
  }

  /** How long to wait before the next round: the interval, jittered by up to half of it either way. */
  nextDelay(): number {
    return Math.round(this.#intervalMs * (0.5 + this.#random()))
  }

  /** `peer` holds nothing of `org` this node lacks (as of `now`). */
  inSync(peer: string, org: string, now = this.#clock.now()): void {
    this.#inSyncAt.set(key(peer, org), now)
  }

  /** What this node knew of `peer` is void (it disconnected, or it sent something new). */
  forget(peer: string): void {
    for (const k of this.#inSyncAt.keys()) if (k.startsWith(`${peer}\n`)) this.#inSyncAt.delete(k)
  }

  /** Whether `peer` was proven in sync for every one of `orgs` (at least one) within the last interval. */
  fresh(peer: string, orgs: readonly string[], now = this.#clock.now()): boolean {
    return (
      orgs.length > 0 &&
      orgs.every((org) => now - (this.#inSyncAt.get(key(peer, org)) ?? -Infinity) < this.#intervalMs)
    )
  }

  /** The peer to pull from this round (at random among those not fresh), or null: none needs it. */
  pick(peers: readonly string[], orgs: readonly string[], now = this.#clock.now()): string | null {
    const due = peers.filter((p) => !this.fresh(p, orgs, now))
    if (due.length === 0) return null
    return due[Math.floor(this.#random() * due.length)] ?? null
  }
}

function key(peer: string, org: string): string {
  return `${peer}\n${org}`
}
