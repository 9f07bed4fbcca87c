/**
 * The login rate limit: after `FREE_TRIES` wrong passphrases in a row the next try must
 * wait, twice as long after each further failure (2 s, 4 s, … up to `MAX_WAIT_MS`); a
 * right passphrase resets it. One guard for the node, not per address: every browser on
 * this machine reaches it from the same loopback address, and the passphrase guards the
 * member key whoever asks. Each lockout is reported (the node writes it to its local
 * chain as a security event).
 */
import type { Clock } from '../../crdt/index.ts'

export const FREE_TRIES = 3
export const FIRST_WAIT_MS = 2_000
export const MAX_WAIT_MS = 15 * 60 * 1000

export type LoginVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number }

export class LoginGuard {
  #failures = 0
  #lockedUntil = 0
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Whether a try may run now (checked before the passphrase is even looked at). */
  mayTry(): LoginVerdict {
    const wait = this.#lockedUntil - this.#clock.now()
    return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true }
  }

  /** Counts a wrong passphrase; the lockout it starts, in ms (0: none yet). */
  failed(): number {
    this.#failures++
    if (this.#failures < FREE_TRIES) return 0
    const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (this.#failures - FREE_TRIES))
    this.#lockedUntil = this.#clock.now() + wait
    return wait
  }

  succeeded(): void {
    this.#failures = 0
    this.#lockedUntil = 0
  }

  get failures(): number {
    return this.#failures
  }
}
