/** The per-address budget: a burst, then one per refill period; addresses apart; memory bounded. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../crdt/clock.ts'
import { AddressLimiter } from '../../node/address-limiter.ts'

const limiter = (clock: ManualClock, maxAddresses = 100) =>
  new AddressLimiter({ burst: 3, refillMs: 1000, maxAddresses, clock })

describe('AddressLimiter', () => {
  it('allows a burst, then one per refill period, and says how long to wait', async () => {
    const clock = new ManualClock()
    const l = limiter(clock)
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, true, false])
    expect(l.retryAfter('a')).toBe(1000)
    await clock.advance(400)
    expect(l.take('a')).toBe(false)
    expect(l.retryAfter('a')).toBe(600)
    await clock.advance(600)
    expect(l.take('a')).toBe(true)
    expect(l.take('a')).toBe(false)
    await clock.advance(10_000)
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, true, false])
  })

  it('keeps addresses apart, and forgets the longest idle past its bound', async () => {
    const clock = new ManualClock()
    const l = limiter(clock, 2)
    for (let i = 0; i < 3; i++) l.take('a')
    expect(l.take('a')).toBe(false)
    expect(l.take('b')).toBe(true)
    expect(l.take('c')).toBe(true) // 'a' is forgotten: a full budget again
    expect(l.take('a')).toBe(true)
  })
})
