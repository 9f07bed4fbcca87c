/**
 * The clock port: what reads the time or waits asks for a `Clock` instead of calling
 * `Date.now()` or `setTimeout` itself, so tests run expiry, grace, lockout and
 * anti-entropy on a `ManualClock` with no real waiting.
 *
 * `systemClock` is the real one; `node/` hands it to every part it builds.
 */

/** A scheduled callback; `cancel()` is safe to call more than once. */
export interface Timer {
  cancel(): void
}

export interface Clock {
  /** Milliseconds since the Unix epoch, as `Date.now()`. */
  now(): number
  /** Runs `fn` once after `ms`. System timers do not keep the process alive. */
  setTimeout(fn: () => void, ms: number): Timer
  /** Runs `fn` every `ms` until cancelled. System timers do not keep the process alive. */
  setInterval(fn: () => void, ms: number): Timer
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms)
    handle.unref()
    return { cancel: () => clearTimeout(handle) }
  },
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms)
    handle.unref()
    return { cancel: () => clearInterval(handle) }
  },
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        clearTimeout(handle)
        reject(signal?.reason)
      }
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
}

interface Scheduled {
  readonly id: number
  at: number
  readonly every: number | undefined
  readonly fn: () => void
}

/**
 * A clock that moves only when told: `advance(ms)` runs every timer that falls due, in
 * time order, letting promises settle between them, so code that awaits after a timer
 * fires sees the time it expects.
 *
 * @example
 * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'))
 * const grace = new Grace({ clock })
 * await clock.advance(60_000)
 */
export class ManualClock implements Clock {
  #now: number
  #nextId = 0
  #timers: Scheduled[] = []

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#schedule(fn, ms, undefined)
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.#schedule(fn, ms, Math.max(1, ms))
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        timer.cancel()
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.#timers.length
  }

  /** Sets the time without running timers (a wall clock jumping, e.g. NTP or a user). */
  set(ms: number): void {
    this.#now = ms
  }

  /** Moves time forward by `ms`, running each timer that falls due in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    for (;;) {
      await settle()
      const next = this.#timers.reduce<Scheduled | undefined>(
        (a, t) => (a === undefined || t.at < a.at ? t : a),
        undefined,
      )
      if (next === undefined || next.at > end) break
      this.#now = Math.max(this.#now, next.at)
      if (next.every === undefined) this.#timers = this.#timers.filter((t) => t !== next)
      else next.at += next.every
      next.fn()
    }
    this.#now = end
    await settle()
  }

  #schedule(fn: () => void, ms: number, every: number | undefined): Timer {
    const entry: Scheduled = { id: this.#nextId++, at: this.#now + Math.max(0, ms), every, fn }
    this.#timers.push(entry)
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== entry)
      },
    }
  }
}

/** Lets pending promise callbacks (and what they schedule in turn) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
