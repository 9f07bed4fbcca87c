/**
 * What every import format is mapped to: the fleet service's ship input plus where the
 * ship was in the file and its pledge id, and the checks the formats share (text within
 * the hangar's bounds, costs, dates), each failure naming the format, row and column.
 */
import { ImportFileError } from '../errors.ts'
import { HANGAR_LIMITS } from '../hangar-limits.ts'
import type { ImportFormat, Insurance } from '../hangar-schema.ts'

/** The bounds of one import, checked before anything is parsed. */
export const IMPORT_LIMITS = {
  /** Bytes of an import file: a pretty-printed HangarXPLOR export of 1,000 ships is ~0.6 MB. */
  fileBytes: 1024 * 1024,
  /** Entries (ships and anything else) in one file: a hangar holds at most this many ships. */
  entries: HANGAR_LIMITS.shipsPerHangar,
} as const

export interface ImportedShip {
  /** Where the ship is in the file: its entry (JSON, from 1) or its line (CSV). */
  readonly row: number
  readonly model: string
  readonly manufacturer: string
  /** Its own (custom) name, '' when it has none. */
  readonly name: string
  readonly role: string
  readonly insurance: Insurance
  readonly pledgeDate: string | null
  /** USD. */
  readonly cost: number
  /** The store's pledge id, '' when the format has none. */
  readonly pledgeId: string
}

/** An entry of the file that is not a ship (an upgrade, a wish-list entry): skipped. */
export interface NotAShip {
  readonly row: number
  readonly model: string
  readonly reason: string
}

export interface ParsedImport {
  readonly format: ImportFormat
  readonly ships: readonly ImportedShip[]
  readonly notShips: readonly NotAShip[]
}

/** Where a value is, for errors. */
export interface At {
  readonly format: ImportFormat
  readonly row: number
  readonly column: string
}

export const fail = (at: At, message: string) => new ImportFileError(message, at)

/**
 * A text value: strings as given (trimmed), numbers as digits, absent or null as `''`;
 * longer than `max`, or any other type, is an error naming the row and column.
 */
export function textOf(v: unknown, max: number, at: At): string {
  if (v === undefined || v === null) return ''
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v
  if (typeof s !== 'string') return throwFail(at, `must be text, not ${kindOf(v)}`)
  const t = s.trim()
  if (t.length > max) return throwFail(at, `longer than ${max} characters`)
  return t
}

/** A text value that must be there. */
export function requiredText(v: unknown, max: number, at: At): string {
  const t = textOf(v, max, at)
  if (t === '') return throwFail(at, 'is missing')
  return t
}

/** A yes/no value: true, "true", "yes", 1 are yes; absent is no. */
export function flagOf(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v === 1
  if (typeof v === 'string') return ['true', 'yes', '1'].includes(v.trim().toLowerCase())
  return false
}

const MONEY = /^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(?:USD)?$/i

/** A cost in USD: a number, or text as the store shows it (`$1,234.50 USD`); absent is 0. */
export function costOf(v: unknown, at: At): number {
  if (v === undefined || v === null || v === '') return 0
  let n: number
  if (typeof v === 'number') n = v
  else if (typeof v === 'string') {
    const m = MONEY.exec(v.trim())
    if (m === null) return throwFail(at, `${JSON.stringify(v.slice(0, 40))} is not a cost in USD`)
    n = Number(`${(m[1] ?? '').replaceAll(',', '')}${m[2] ?? ''}`)
  } else return throwFail(at, `must be a cost, not ${kindOf(v)}`)
  if (!Number.isFinite(n) || n < 0 || n > HANGAR_LIMITS.cost)
    return throwFail(at, `cost must be 0 to ${HANGAR_LIMITS.cost} USD`)
  return Math.round(n * 100) / 100
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]
const LONG_DATE = /^([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})$/

/** A date as YYYY-MM-DD: given so, or as the store shows it (`November 30, 2019`); absent is null. */
export function dateOf(v: unknown, at: At): string | null {
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') return throwFail(at, `must be a date, not ${kindOf(v)}`)
  const s = v
    .trim()
    .replace(/^created:\s*/i, '')
    .slice(0, 10 + 30)
  let iso: string | null = null
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) iso = s
  else {
    const m = LONG_DATE.exec(s)
    const month = m === null ? -1 : MONTHS.indexOf((m[1] ?? '').toLowerCase())
    if (m !== null && month >= 0)
      iso = `${m[3]}-${String(month + 1).padStart(2, '0')}-${(m[2] ?? '').padStart(2, '0')}`
  }
  const t = iso === null ? Number.NaN : Date.parse(`${iso}T00:00:00Z`)
  if (iso === null || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== iso)
    return throwFail(
      at,
      `${JSON.stringify(v.slice(0, 40))} is not a date (YYYY-MM-DD or "November 30, 2019")`,
    )
  return iso
}

function throwFail(at: At, message: string): never {
  throw fail(at, message)
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`
}

/**
 * A JSON export that is a list of objects, read entry by entry: the shape and the entry
 * count are checked first (`shape` shows what the list should look like); `read` makes
 * each entry a ship, or says why it is not one.
 */
export function readJsonList(
  json: unknown,
  format: ImportFormat,
  shape: string,
  read: (e: Record<string, unknown>, row: number, at: (column: string) => At) => ImportedShip | NotAShip,
): ParsedImport {
  if (!Array.isArray(json)) throw new ImportFileError(`wrong shape: ${shape}`, { format })
  if (json.length > IMPORT_LIMITS.entries)
    throw fail(
      { format, row: IMPORT_LIMITS.entries + 1, column: '' },
      `more than ${IMPORT_LIMITS.entries} entries (a hangar holds at most ${HANGAR_LIMITS.shipsPerHangar} ships)`,
    )
  const ships: ImportedShip[] = []
  const notShips: NotAShip[] = []
  json.forEach((item: unknown, i) => {
    const row = i + 1
    const at = (column: string): At => ({ format, row, column })
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw fail(at(''), 'wrong shape: each entry must be an object')
    const got = read(item as Record<string, unknown>, row, at)
    if ('reason' in got) notShips.push(got)
    else ships.push(got)
  })
  return { format, ships, notShips }
}
