/**
 * When the mesh pulls: one pull at a time per peer (a request while one runs queues one
 * more), the periodic round (anti-entropy, at jittered times: see `pull-schedule.ts`),
 * and the pull back from a peer whose request showed it ahead of this node. Every timer
 * is on the mesh's clock and ends with `stop()`.
 */
import type { Clock, Logger, Timer } from '../../crdt/index.ts'
import type { PullSchedule } from '../pull-schedule.ts'

/** At most one pull back per peer within this window. */
export const PULL_BACK_EVERY_MS = 2_000
/**
 * How long a pull prompted by a peer's request waits first: what the peer had ahead is
 * usually a change whose gossip is on its way here, and then no pull is needed.
 */
export const PULL_BACK_WAIT_MS = 1_000

export interface SyncSchedulerInit {
  readonly clock: Clock
  readonly schedule: PullSchedule
  readonly log: Logger
  /** Pulls every org from one peer (the mesh's own pull). */
  readonly pullOnce: (peerId: string) => Promise<void>
  /** One periodic round. */
  readonly round: () => Promise<unknown>
  /** Asks for a pull (the mesh's `pull`, which lands in `SyncScheduler.pull`). */
  readonly requestPull: (peerId: string) => Promise<void>
  /** This node's heads for `org` (author → seq). */
  readonly heads: (org: string) => Promise<ReadonlyMap<string, number>>
}

export class SyncScheduler {
  readonly #clock: Clock
  readonly #schedule: PullSchedule
  readonly #log: Logger
  readonly #pullOnce: (peerId: string) => Promise<void>
  readonly #round: () => Promise<unknown>
  readonly #requestPull: (peerId: string) => Promise<void>
  readonly #heads: (org: string) => Promise<ReadonlyMap<string, number>>
  readonly #pulling = new Map<string, Promise<void>>()
  readonly #again = new Set<string>()
  /** peer → when a pull back from it was last planned (entries older than the window go). */
  readonly #lastPullBack = new Map<string, number>()
  readonly #waiting = new Set<Timer>()
  #timer: Timer | null = null
  #stopped = false

  constructor(init: SyncSchedulerInit) {
    this.#clock = init.clock
    this.#schedule = init.schedule
    this.#log = init.log
    this.#pullOnce = init.pullOnce
    this.#round = init.round
    this.#requestPull = init.requestPull
    this.#heads = init.heads
  }

  /** Starts the periodic rounds. */
  start(): void {
    this.#stopped = false
    this.#nextRound()
  }

  /** Stops every timer; resolves once the pulls under way have ended. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#timer?.cancel()
    this.#timer = null
    for (const t of this.#waiting) t.cancel()
    this.#waiting.clear()
    await Promise.allSettled([...this.#pulling.values()])
  }

  /** Pulls from one peer (one pull at a time per peer; a request while one runs queues another). */
  pull(peerId: string): Promise<void> {
    const running = this.#pulling.get(peerId)
    if (running !== undefined) {
      this.#again.add(peerId)
      return running
    }
    const run = this.#pullOnce(peerId).finally(() => {
      this.#pulling.delete(peerId)
      if (this.#again.delete(peerId) && !this.#stopped) void this.pull(peerId)
    })
    this.#pulling.set(peerId, run)
    return run
  }

  /**
   * A pull prompted by the peer's own request, whose heads were `ahead` of ours in
   * `org`: at most one per peer every few seconds, so two nodes that refuse each other
   * (or a peer hammering us) cannot start a loop; after a short wait, and only if
   * gossip has not brought what it had ahead meanwhile.
   */
  pullBack(peerId: string, org: string, ahead: ReadonlyMap<string, number>): void {
    const now = this.#clock.now()
    if (now - (this.#lastPullBack.get(peerId) ?? Number.NEGATIVE_INFINITY) < PULL_BACK_EVERY_MS) return
    for (const [p, at] of this.#lastPullBack) if (now - at >= PULL_BACK_EVERY_MS) this.#lastPullBack.delete(p)
    this.#lastPullBack.set(peerId, now)
    const timer = this.#clock.setTimeout(async () => {
      this.#waiting.delete(timer)
      if (this.#stopped) return
      const mine = await this.#heads(org).catch(() => new Map<string, number>())
      for (const [author, seq] of ahead) {
        if ((mine.get(author) ?? 0) < seq) {
          void this.#requestPull(peerId)
          return
        }
      }
    }, PULL_BACK_WAIT_MS)
    this.#waiting.add(timer)
  }

  #nextRound(): void {
    if (this.#stopped) return
    this.#timer = this.#clock.setTimeout(() => {
      void this.#round()
        .catch((err: Error) => this.#log.debug({ err: err.message }, 'pull round failed'))
        .finally(() => this.#nextRound())
    }, this.#schedule.nextDelay())
  }
}
