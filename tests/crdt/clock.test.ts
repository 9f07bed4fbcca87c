import { describe, expect, it } from 'vitest'
import { ManualClock, systemClock } from '../../crdt/index.ts'

describe('ManualClock', () => {
  it('runs timers in time order as time advances, and not before', async () => {
    const clock = new ManualClock(1_000)
    const seen: string[] = []
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 200)
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 100)
    await clock.advance(99)
    expect(seen).toEqual([])
    await clock.advance(101)
    expect(seen).toEqual(['a@1100', 'b@1200'])
    expect(clock.now()).toBe(1_200)
  })

  it('repeats an interval until it is cancelled, and a cancelled timeout never runs', async () => {
    const clock = new ManualClock()
    let ticks = 0
    const every = clock.setInterval(() => ticks++, 10)
    const never = clock.setTimeout(() => {
      throw new Error('ran')
    }, 5)
    never.cancel()
    await clock.advance(35)
    expect(ticks).toBe(3)
    every.cancel()
    await clock.advance(100)
    expect(ticks).toBe(3)
    expect(clock.pending).toBe(0)
  })

  it('lets awaited work after a timer see the time it fired at', async () => {
    const clock = new ManualClock(0)
    const times: number[] = []
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000)
        times.push(clock.now())
      }
    })()
    await clock.advance(3_000)
    await loop
    expect(times).toEqual([1_000, 2_000, 3_000])
  })

  it('sleep rejects when its signal aborts', async () => {
    const clock = new ManualClock()
    const ac = new AbortController()
    const sleeping = clock.sleep(1_000, ac.signal)
    ac.abort(new Error('stopped'))
    await expect(sleeping).rejects.toThrow('stopped')
    expect(clock.pending).toBe(0)
  })
})

describe('systemClock', () => {
  it('reads the wall clock and its timers fire', async () => {
    const before = Date.now()
    expect(systemClock.now()).toBeGreaterThanOrEqual(before)
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5))
    await systemClock.sleep(5)
    const ac = new AbortController()
    const sleeping = systemClock.sleep(10_000, ac.signal)
    ac.abort(new Error('stopped'))
    await expect(sleeping).rejects.toThrow('stopped')
  })
})
