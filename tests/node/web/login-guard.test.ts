/** The login rate limit: free tries, then a doubling wait up to the cap; a success resets it. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../crdt/index.ts'
import { FIRST_WAIT_MS, FREE_TRIES, LoginGuard, MAX_WAIT_MS } from '../../../node/web/login-guard.ts'

describe('login guard', () => {
  it('lets the first tries through, then makes each next one wait twice as long, up to the cap', async () => {
    const clock = new ManualClock()
    const guard = new LoginGuard(clock)
    for (let i = 1; i < FREE_TRIES; i++) {
      expect(guard.mayTry()).toEqual({ ok: true })
      expect(guard.failed()).toBe(0)
    }
    const waits: number[] = []
    for (let i = 0; i < 12; i++) {
      const wait = guard.failed()
      waits.push(wait)
      expect(guard.mayTry()).toEqual({ ok: false, retryAfterMs: wait })
      await clock.advance(wait - 1)
      expect(guard.mayTry().ok).toBe(false) // not a millisecond early
      await clock.advance(1)
      expect(guard.mayTry()).toEqual({ ok: true })
    }
    expect(waits.slice(0, 4)).toEqual([
      FIRST_WAIT_MS,
      2 * FIRST_WAIT_MS,
      4 * FIRST_WAIT_MS,
      8 * FIRST_WAIT_MS,
    ])
    expect(Math.max(...waits)).toBe(MAX_WAIT_MS)
  })

  it('a right passphrase resets the count', () => {
    const guard = new LoginGuard(new ManualClock())
    for (let i = 0; i < FREE_TRIES + 2; i++) guard.failed()
    guard.succeeded()
    expect(guard.mayTry()).toEqual({ ok: true })
    expect(guard.failed()).toBe(0)
  })
})
