/**
 * Grandfather-father-son retention of a backup folder, as a pure function: for each level
 * (hourly, daily, weekly, monthly, yearly) with a count N, the N newest periods of that
 * level that hold a backup each keep their newest backup. A backup kept by any level
 * stays, the newest backup always stays, and everything else is to be removed. Periods
 * are UTC: hours, days, ISO weeks (Monday to Sunday), months, years.
 *
 * Only backups are judged: a file whose name is not a backup's (`backup-name.ts`) is
 * returned in `ignored` and never in `remove`.
 *
 * @example
 * planRetention(names.map((name) => ({ name })), { daily: 7, weekly: 4, monthly: 12 })
 */
import { InvalidInputError } from '../org/index.ts'
import { parseBackupFileName } from './backup-name.ts'

export const RETENTION_LEVELS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const
export type RetentionLevel = (typeof RETENTION_LEVELS)[number]

/** How many periods of each level keep a backup; a level left out keeps none. */
export type RetentionPolicy = Partial<Record<RetentionLevel, number>>

/** The most periods one level may keep (a century of hours is far past any real need). */
export const MAX_KEEP = 1_000_000

/** Why a backup is kept: the newest of all, or the newest of one period of a level. */
export type KeepReason =
  | { readonly level: 'newest' }
  | { readonly level: RetentionLevel; readonly period: string }

export type Dated<T> = T & { readonly at: number }
export type Kept<T> = Dated<T> & { readonly reasons: readonly KeepReason[] }

export interface RetentionPlan<T> {
  /** Backups to keep, newest first, each with every reason it is kept. */
  readonly keep: readonly Kept<T>[]
  /** Backups to remove, newest first. */
  readonly remove: readonly Dated<T>[]
  /** Entries whose name is not a backup's: never judged, never removed. */
  readonly ignored: readonly T[]
}

/** Checks a policy: each count a whole number from 0 to `MAX_KEEP`; throws `InvalidInputError`. */
export function checkRetentionPolicy(policy: RetentionPolicy): void {
  for (const [level, n] of Object.entries(policy)) {
    if (!(RETENTION_LEVELS as readonly string[]).includes(level))
      throw new InvalidInputError(level, `is not a retention level (${RETENTION_LEVELS.join(', ')})`)
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0 || n > MAX_KEEP))
      throw new InvalidInputError(level, `must be a whole number from 0 to ${MAX_KEEP} (got ${n})`)
  }
}

/** Which backups `policy` keeps and which it removes; `entries` in any order. */
export function planRetention<T extends { readonly name: string }>(
  entries: readonly T[],
  policy: RetentionPolicy,
): RetentionPlan<T> {
  checkRetentionPolicy(policy)
  const ignored: T[] = []
  const backups: Dated<T>[] = []
  for (const entry of entries) {
    const at = parseBackupFileName(entry.name)
    if (at === null) ignored.push(entry)
    else backups.push({ ...entry, at })
  }
  // Newest first; a name breaks a tie (two entries of one second), so the plan is deterministic.
  backups.sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0))
  const reasons = new Map<Dated<T>, KeepReason[]>()
  const give = (backup: Dated<T>, reason: KeepReason) => {
    const list = reasons.get(backup)
    if (list === undefined) reasons.set(backup, [reason])
    else list.push(reason)
  }
  if (backups[0] !== undefined) give(backups[0], { level: 'newest' })
  for (const level of RETENTION_LEVELS) {
    const slots = policy[level] ?? 0
    let filled = 0
    let last: string | undefined
    // Walking newest first, the first backup met in a period is that period's newest.
    for (const backup of backups) {
      if (filled >= slots) break
      const period = periodOf(level, backup.at)
      if (period === last) continue
      last = period
      filled++
      give(backup, { level, period })
    }
  }
  const keep: Kept<T>[] = []
  const remove: Dated<T>[] = []
  for (const backup of backups) {
    const why = reasons.get(backup)
    if (why === undefined) remove.push(backup)
    else keep.push({ ...backup, reasons: why })
  }
  return { keep, remove, ignored }
}

/** A reason as people read it: `daily 2026-12-03`, `weekly 2026-W49`, `newest`. */
export function describeReason(reason: KeepReason): string {
  return reason.level === 'newest' ? 'newest' : `${reason.level} ${reason.period}`
}

const DAY_MS = 86_400_000

/** The UTC period of `level` that holds `at`, as a label that names it (`2026-12`, `2026-W49`). */
export function periodOf(level: RetentionLevel, at: number): string {
  const iso = new Date(at).toISOString() // 2026-12-03T02:15:09.000Z
  switch (level) {
    case 'hourly':
      return `${iso.slice(0, 13)}h`
    case 'daily':
      return iso.slice(0, 10)
    case 'monthly':
      return iso.slice(0, 7)
    case 'yearly':
      return iso.slice(0, 4)
    case 'weekly':
      return isoWeek(at)
  }
}

/** The ISO 8601 week of `at` (UTC), `2026-W49`: Monday to Sunday; week 1 holds the year's first Thursday. */
function isoWeek(at: number): string {
  const day = Math.floor(at / DAY_MS)
  const weekday = (((day + 3) % 7) + 7) % 7 // 0 = Monday (1970-01-01 was a Thursday)
  const thursday = day - weekday + 3
  const year = new Date(thursday * DAY_MS).getUTCFullYear()
  const week = Math.floor((thursday - Date.UTC(year, 0, 1) / DAY_MS) / 7) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}
