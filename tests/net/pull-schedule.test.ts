/**
 * The periodic pull's schedule: jittered rounds, one peer at a time, and no pull from a
 * peer proven in sync within the interval (by a pull either way).
 */
import { describe, expect, it } from 'vitest'
import { PullSchedule } from '../../net/pull-schedule.ts'

/** A deterministic `Math.random` stand-in: the values given, in turn. */
const sequence = (...xs: number[]) => {
  let i = 0
  return () => xs[i++ % xs.length] as number
}

describe('pull schedule', () => {
  it('rounds come between half and one and a half intervals apart', () => {
    const s = new PullSchedule(10_000, sequence(0, 0.5, 0.999))
    expect([s.nextDelay(), s.nextDelay(), s.nextDelay()]).toEqual([5_000, 10_000, 14_990])
  })

  it('picks one peer at random among those not proven in sync within the interval', () => {
    const s = new PullSchedule(10_000, sequence(0.99))
    const t = 1_000_000
    expect(s.pick(['a', 'b', 'c'], ['x'], t)).toBe('c')
    s.inSync('c', 'x', t)
    expect(s.pick(['a', 'b', 'c'], ['x'], t + 1)).toBe('b')
    s.inSync('a', 'x', t)
    s.inSync('b', 'x', t)
    // Every peer is in sync: no pull this round.
    expect(s.pick(['a', 'b', 'c'], ['x'], t + 9_999)).toBeNull()
    // An interval later they are due again.
    expect(s.pick(['a', 'b', 'c'], ['x'], t + 10_000)).toBe('c')
    // No peers, no pull.
    expect(s.pick([], ['x'], t)).toBeNull()
    // No org known yet: nothing proves a peer in sync, so it is pulled from.
    expect(s.pick(['a'], [], t + 1)).toBe('a')
  })

  it('a peer is fresh only for every org; a disconnect forgets it', () => {
    const s = new PullSchedule(10_000, sequence(0))
    const t = 1_000_000
    s.inSync('a', 'x', t)
    expect(s.fresh('a', ['x'], t + 1)).toBe(true)
    // In sync for x only: a node in x and y still pulls y from it.
    expect(s.fresh('a', ['x', 'y'], t + 1)).toBe(false)
    expect(s.pick(['a'], ['x', 'y'], t + 1)).toBe('a')
    s.inSync('ab', 'x', t)
    s.forget('a')
    expect(s.fresh('a', ['x'], t + 1)).toBe(false)
    // Another peer whose id starts alike is not forgotten with it.
    expect(s.fresh('ab', ['x'], t + 1)).toBe(true)
  })
})
