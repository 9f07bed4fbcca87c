/**
 * A small per-address budget (a token bucket per client address): `burst` at once, then
 * one more every `refillMs`. Bounded: at most `maxAddresses` are tracked; past that the
 * one seen longest ago is forgotten (a full bucket again, which is what an idle address has).
 */
import type { Clock } from '../crdt/index.ts'

export interface AddressLimiterInit {
  readonly burst: number
  readonly refillMs: number
  readonly maxAddresses: number
  readonly clock: Clock
}

export class AddressLimiter {
  private readonly init: AddressLimiterInit
  /** Insertion order is last-use order (re-inserted on every use). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(init: AddressLimiterInit) {
    this.init = init
  }

  /** Takes one from `address`'s budget; false when it is spent (nothing taken). */
  take(address: string): boolean {
    const { burst, refillMs, maxAddresses, clock } = this.init
    const now = clock.now()
    const old = this.buckets.get(address)
    const tokens =
      old === undefined ? burst : Math.min(burst, old.tokens + Math.floor((now - old.at) / refillMs))
    const at =
      old === undefined || tokens === burst ? now : old.at + Math.floor((now - old.at) / refillMs) * refillMs
    this.buckets.delete(address)
    if (this.buckets.size >= maxAddresses) {
      const oldest = this.buckets.keys().next().value
      if (oldest !== undefined) this.buckets.delete(oldest)
    }
    const ok = tokens > 0
    this.buckets.set(address, { tokens: ok ? tokens - 1 : 0, at })
    return ok
  }

  /** Milliseconds until `address` has one to spend again (0 if it has now). */
  retryAfter(address: string): number {
    const b = this.buckets.get(address)
    if (b === undefined || b.tokens > 0) return 0
    return Math.max(0, b.at + this.init.refillMs - this.init.clock.now())
  }
}
