/** Grandfather-father-son retention of a backup folder (services/backup/retention.ts). */
import { describe, expect, it } from 'vitest'
import {
  backupFileName,
  describeReason,
  periodOf,
  planRetention,
  RETENTION_LEVELS,
  type RetentionLevel,
  type RetentionPolicy,
} from '../../../services/backup/index.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const at = (iso: string) => Date.parse(iso)
const named = (...times: number[]) => times.map((t) => ({ name: backupFileName(t) }))
const keptNames = (plan: { keep: readonly { name: string }[] }) => plan.keep.map((b) => b.name)

describe('retention', () => {
  it('keeps the newest backup of each of the last N days, weeks and months', () => {
    // One backup a day at 03:00 for 100 days, ending Thursday 2026-12-03.
    const end = at('2026-12-03T03:00:00Z')
    const days = Array.from({ length: 100 }, (_, i) => end - i * DAY)
    const plan = planRetention(named(...days), { daily: 7, weekly: 4, monthly: 12 })
    const kept = plan.keep.map((b) => new Date(b.at).toISOString().slice(0, 10))
    expect(kept).toEqual([
      // daily: the last 7 days
      '2026-12-03',
      '2026-12-02',
      '2026-12-01',
      '2026-11-30',
      '2026-11-29', // also the newest of the week 2026-W48 (Sunday)
      '2026-11-28',
      '2026-11-27',
      // weekly: Sundays of the weeks before
      '2026-11-22',
      '2026-11-15',
      // monthly: the last day of each earlier month the folder holds
      '2026-10-31',
      '2026-09-30',
      '2026-08-31',
    ])
    expect(plan.keep[0]?.reasons.map(describeReason)).toEqual([
      'newest',
      'daily 2026-12-03',
      'weekly 2026-W49',
      'monthly 2026-12',
    ])
    expect(plan.keep.find((b) => b.name === backupFileName(at('2026-11-29T03:00:00Z')))?.reasons).toEqual([
      { level: 'daily', period: '2026-11-29' },
      { level: 'weekly', period: '2026-W48' },
    ])
    expect(plan.keep.length + plan.remove.length).toBe(100)
    expect(plan.ignored).toEqual([])
  })

  it('keeps the newest of a day, not the first, when several backups share it', () => {
    const plan = planRetention(
      named(at('2026-12-01T01:00:00Z'), at('2026-12-01T23:00:00Z'), at('2026-12-01T12:00:00Z')),
      { daily: 1 },
    )
    expect(keptNames(plan)).toEqual([backupFileName(at('2026-12-01T23:00:00Z'))])
    expect(plan.remove.map((b) => b.at)).toEqual([at('2026-12-01T12:00:00Z'), at('2026-12-01T01:00:00Z')])
  })

  it('always keeps the newest backup, even with every count at 0', () => {
    const plan = planRetention(named(at('2026-12-01T00:00:00Z'), at('2026-12-02T00:00:00Z')), {})
    expect(keptNames(plan)).toEqual([backupFileName(at('2026-12-02T00:00:00Z'))])
    expect(plan.keep[0]?.reasons).toEqual([{ level: 'newest' }])
    expect(plan.remove).toHaveLength(1)
  })

  it('never judges files that are not backups', () => {
    const others = [
      'notes.txt',
      'verseguy-backup-20261203T021509Z.vgbak.partial',
      '.verseguy-backup-20261203T021509Z.vgbak.1a2b.partial',
      'verseguy-backup-20260230T000000Z.vgbak',
    ].map((name) => ({ name }))
    const plan = planRetention([...others, ...named(at('2026-12-01T00:00:00Z'))], { daily: 0 })
    expect(plan.ignored).toEqual(others)
    expect(plan.remove).toEqual([])
    expect(planRetention([], { daily: 7 })).toEqual({ keep: [], remove: [], ignored: [] })
  })

  it('carries what it was given with each backup (a size, a path)', () => {
    const plan = planRetention([{ name: backupFileName(at('2026-12-01T00:00:00Z')), size: 42 }], { daily: 1 })
    expect(plan.keep[0]).toMatchObject({ size: 42, at: at('2026-12-01T00:00:00Z') })
  })

  it('refuses a bad policy, naming the level', () => {
    const one = named(at('2026-12-01T00:00:00Z'))
    expect(() => planRetention(one, { daily: -1 })).toThrow(/daily: must be a whole number/)
    expect(() => planRetention(one, { weekly: 1.5 })).toThrow(/weekly: must be a whole number/)
    expect(() => planRetention(one, { monthly: Number.NaN })).toThrow(/monthly/)
    expect(() => planRetention(one, { fortnightly: 2 } as RetentionPolicy)).toThrow(
      /fortnightly: is not a retention level/,
    )
  })

  it('names ISO weeks: Monday to Sunday, week 1 holding the first Thursday', () => {
    expect(periodOf('weekly', at('2026-12-03T12:00:00Z'))).toBe('2026-W49')
    expect(periodOf('weekly', at('2026-11-30T00:00:00Z'))).toBe('2026-W49') // Monday
    expect(periodOf('weekly', at('2026-11-29T23:59:59Z'))).toBe('2026-W48') // Sunday
    expect(periodOf('weekly', at('2021-01-03T12:00:00Z'))).toBe('2020-W53')
    expect(periodOf('weekly', at('2024-12-30T12:00:00Z'))).toBe('2025-W01')
    expect(periodOf('weekly', at('1969-12-29T00:00:00Z'))).toBe('1970-W01')
    expect(periodOf('hourly', at('2026-12-03T02:59:59Z'))).toBe('2026-12-03T02h')
    expect(periodOf('monthly', at('2026-12-03T02:59:59Z'))).toBe('2026-12')
    expect(periodOf('yearly', at('2026-12-03T02:59:59Z'))).toBe('2026')
  })

  it('agrees with a plain reading of the rule on random folders and policies', () => {
    const random = seeded(0x5eed)
    for (let run = 0; run < 400; run++) {
      const count = Math.floor(random() * 60)
      const spread = [HOUR, DAY, 30 * DAY, 3 * 365 * DAY][Math.floor(random() * 4)] as number
      const base = at('2026-12-03T00:00:00Z')
      const times = new Set<number>()
      for (let i = 0; i < count; i++) times.add(base - Math.floor((random() * 40 * spread) / 1000) * 1000)
      const policy: RetentionPolicy = {}
      for (const level of RETENTION_LEVELS) if (random() < 0.6) policy[level] = Math.floor(random() * 8)
      const entries = named(...times).concat(random() < 0.5 ? [{ name: 'readme.txt' }] : [])
      shuffle(entries, random)

      const plan = planRetention(entries, policy)
      const expected = reference([...times], policy)
      const label = JSON.stringify({ run, policy, times: [...times].sort() })
      expect(new Set(plan.keep.map((b) => b.at)), label).toEqual(expected)
      expect(plan.keep.length + plan.remove.length, label).toBe(times.size)
      expect(plan.ignored.length, label).toBe(entries.length - times.size)
      // Each level fills at most N slots, each slot a distinct period.
      for (const level of RETENTION_LEVELS) {
        const slots = plan.keep.flatMap((b) => b.reasons.filter((r) => r.level === level))
        expect(slots.length, label).toBeLessThanOrEqual(policy[level] ?? 0)
        expect(new Set(slots.map((r) => ('period' in r ? r.period : ''))).size, label).toBe(slots.length)
      }
      // Newest first, and no backup both kept and removed.
      const order = [...plan.keep, ...plan.remove].map((b) => b.at)
      expect(
        plan.keep.map((b) => b.at),
        label,
      ).toEqual([...plan.keep.map((b) => b.at)].sort((a, b) => b - a))
      expect(new Set(order).size, label).toBe(times.size)
    }
  })
})

/**
 * The rule read plainly: for each level, list the periods that hold backups, newest
 * period first; the first N periods each keep their newest backup; plus the newest of all.
 */
function reference(times: number[], policy: RetentionPolicy): Set<number> {
  const keep = new Set<number>()
  if (times.length === 0) return keep
  keep.add(Math.max(...times))
  for (const level of Object.keys(policy) as RetentionLevel[]) {
    const byPeriod = new Map<string, number>()
    for (const t of times) {
      const p = periodOf(level, t)
      byPeriod.set(p, Math.max(byPeriod.get(p) ?? -Infinity, t))
    }
    const newestPeriods = [...byPeriod.values()].sort((a, b) => b - a).slice(0, policy[level] ?? 0)
    for (const t of newestPeriods) keep.add(t)
  }
  return keep
}

/** mulberry32: a small seeded generator, so a failing case can be run again. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function shuffle<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[list[i], list[j]] = [list[j] as T, list[i] as T]
  }
}
