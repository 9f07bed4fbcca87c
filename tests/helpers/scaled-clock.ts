/**
 * A `Clock` that runs `speed` times as fast as the real one, for tests of real nodes that
 * must let a stretch of the nodes' time pass (sync rounds, intervals) while their network
 * runs for real: `ManualClock` stands still unless told, which a node's gossip and pulls
 * (timers of a few ms between real socket reads) cannot wait on. The speed may change at
 * any time (e.g. 1 while nodes start and join, faster for a minute of activity); the time
 * read never jumps. Timers keep the real delay they were set with.
 *
 * @example
 * const clock = new ScaledClock()
 * const node = new VerseGuyNode({ ..., clock })
 * clock.speed = 5 // a minute of the node's time now takes 12 s
 */
import type { Clock, Timer } from '../../crdt/clock.ts'
import { systemClock } from '../../crdt/clock.ts'

export class ScaledClock implements Clock {
  /** Real and scaled time when the speed last changed. */
  #realAt = Date.now()
  #scaledAt = this.#realAt
  #speed = 1

  get speed(): number {
    return this.#speed
  }

  set speed(speed: number) {
    if (!(speed > 0)) throw new RangeError(`speed must be above 0, got ${speed}`)
    this.#scaledAt = this.now()
    this.#realAt = Date.now()
    this.#speed = speed
  }

  now(): number {
    return Math.floor(this.#scaledAt + (Date.now() - this.#realAt) * this.#speed)
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return systemClock.setTimeout(fn, ms / this.#speed)
  }

  setInterval(fn: () => void, ms: number): Timer {
    return systemClock.setInterval(fn, ms / this.#speed)
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms / this.#speed, signal)
  }
}
