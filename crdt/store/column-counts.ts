/**
 * Counting what a chunk's columns declare for the bounds checks (change-bounds.ts), run
 * by run, summing run lengths and never expanding them; deflated columns are inflated
 * only within a byte budget.
 */
import { inflateRawSync } from 'node:zlib'
import { Cursor, malformed, oversize } from './bounds-cursor.ts'

/** A column spec's flag for a deflated column. */
const DEFLATE = 0x08
/** Column types (the low three bits of a column spec). */
const GROUP = 0
const DELTA = 3
const BOOLEAN = 4
const STRING = 5
const VALUE_META = 6
const VALUE_RAW = 7
const ACTION_COLUMN = 0x42

/** What a column expands to (see `countColumn`); one object reused, filled per call. */
interface ColumnCount {
  /** Values the column expands to. */
  items: number
  /** For a group column: the sum of its values (items of the columns it groups). */
  sum: number
  /** For a value-metadata column: bytes of raw values it claims. */
  valueBytes: number
}

/**
 * Counts what the column in `c` (from its position to its end) expands to, run by run,
 * without expanding it: refused as soon as the count passes `max`. Fills `out`.
 */
function countColumn(type: number, c: Cursor, max: number, out: ColumnCount): ColumnCount {
  let items = 0
  let sum = 0
  let valueBytes = 0
  if (type === VALUE_RAW) {
    // Nothing to count: raw bytes are claimed by the value-metadata column.
  } else if (type === BOOLEAN) {
    while (!c.done) {
      items += c.uleb()
      if (items > max) throw tooManyItems(max)
    }
  } else {
    // Run by run (no closures: a catch-up counts the columns of thousands of changes).
    while (!c.done) {
      let run = c.sleb()
      let values: number
      if (run > 0) values = 1
      else if (run < 0) {
        run = -run
        values = run
      } else {
        run = c.uleb()
        values = 0
      }
      items += run
      if (items > max) throw tooManyItems(max)
      // A repeated value counts once per item it stands for; literal values once each.
      const times = values === 1 ? run : 1
      for (let k = 0; k < values; k++) {
        if (type === STRING) c.pass(c.uleb())
        else if (type === DELTA) c.sleb()
        else {
          const v = c.uleb()
          if (type === GROUP) sum += v * times
          if (type === VALUE_META) valueBytes += Math.floor(v / 16) * times
          if (sum > max || valueBytes > Number.MAX_SAFE_INTEGER) throw tooManyItems(max)
        }
      }
    }
  }
  out.items = items
  out.sum = sum
  out.valueBytes = valueBytes
  return out
}

const tooManyItems = (max: number) => oversize(`a column declares more than ${max} items`)

/** Column specs and their bytes, inflating deflated ones within `budget.left` bytes. */
export function readColumns(
  r: Cursor,
  meta: readonly [number, number][],
  budget: { left: number },
): { spec: number; data: Uint8Array }[] {
  const out: { spec: number; data: Uint8Array }[] = []
  for (const [spec, length] of meta) {
    let data = r.skip(length)
    if (spec & DEFLATE) {
      if (budget.left <= 0) throw oversize('deflated columns inflate past the bound')
      try {
        data = inflateRawSync(data, { maxOutputLength: budget.left })
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          throw oversize('deflated columns inflate past the bound')
        throw malformed('a deflated column does not inflate')
      }
      budget.left -= data.length
    }
    out.push({ spec: spec & ~DEFLATE, data })
  }
  return out
}

export function columnMeta(r: Cursor): [number, number][] {
  const meta: [number, number][] = []
  for (let n = r.uleb(); n > 0; n--) {
    if (meta.length > 256) throw malformed('too many columns')
    meta.push([r.uleb(), r.uleb()])
  }
  return meta
}

/** Checks the columns' counts: each within `max`, groups' sums too, raw values within the raw bytes. */
export function checkCounts(columns: readonly { spec: number; data: Uint8Array }[], max: number): number {
  let ops = 0
  let claimed = 0
  let raw = 0
  const count: ColumnCount = { items: 0, sum: 0, valueBytes: 0 }
  for (const { spec, data } of columns) {
    const type = spec & 7
    if (type === VALUE_RAW) {
      raw += data.length
      continue
    }
    countColumn(type, new Cursor(data), max, count)
    if (spec === ACTION_COLUMN) ops = count.items
    claimed += count.valueBytes
  }
  if (claimed > raw) throw malformed('values claim more bytes than the chunk holds')
  return ops
}

/** Column specs and byte ranges of a change, in reused buffers (a change has a few dozen). */
const SPECS: number[] = []
const STARTS: number[] = []
const ENDS: number[] = []

/**
 * `checkCounts(readColumns(r, columnMeta(r), { left: 0 }), max)` for a change chunk, in
 * place: the same checks in the same order (every column's bytes present and none
 * deflated, then the counts), without a copy or an object per column. The ops declared.
 */
export function changeColumnOps(r: Cursor, max: number): number {
  let columns = 0
  for (let n = r.uleb(); n > 0; n--) {
    if (columns > 256) throw malformed('too many columns')
    SPECS[columns] = r.uleb()
    ENDS[columns] = r.uleb() // the length, for now
    columns++
  }
  for (let i = 0; i < columns; i++) {
    const length = ENDS[i] as number
    if (length > r.end - r.pos) throw malformed('truncated')
    STARTS[i] = r.pos
    r.pos += length
    ENDS[i] = r.pos
    if ((SPECS[i] as number) & DEFLATE) throw oversize('deflated columns inflate past the bound')
  }
  let ops = 0
  let claimed = 0
  let raw = 0
  const c = new Cursor(r.buf, 0, 0)
  const count: ColumnCount = { items: 0, sum: 0, valueBytes: 0 }
  for (let i = 0; i < columns; i++) {
    const spec = SPECS[i] as number
    const type = spec & 7
    if (type === VALUE_RAW) {
      raw += (ENDS[i] as number) - (STARTS[i] as number)
      continue
    }
    c.pos = STARTS[i] as number
    c.end = ENDS[i] as number
    countColumn(type, c, max, count)
    if (spec === ACTION_COLUMN) ops = count.items
    claimed += count.valueBytes
  }
  if (claimed > raw) throw malformed('values claim more bytes than the chunk holds')
  return ops
}
