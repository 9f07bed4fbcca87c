/**
 * The op columns of a change chunk, read for the change decoder (change-decoder.ts): RLE,
 * delta and boolean columns and scalar values, each bounded by the op count it must hold
 * before a run is expanded.
 */
import { notCanonical, type Reader } from './chunk-reader.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Short ASCII strings (keys, most values) without a TextDecoder call each. */
export function utf8Text(b: Uint8Array): string {
  if (b.length <= 64) {
    let s = ''
    for (let i = 0; i < b.length; i++) {
      const c = b[i] as number
      if (c >= 0x80) return utf8Decoded(b)
      s += String.fromCharCode(c)
    }
    return s
  }
  return utf8Decoded(b)
}

function utf8Decoded(b: Uint8Array): string {
  try {
    return utf8.decode(b)
  } catch {
    throw notCanonical
  }
}

/**
 * Reads an RLE column: runs of one value, literal runs, and runs of nulls, each value
 * read by `read`. An absent column is all nulls; a present one must hold exactly
 * `count` values (a negative `count`: as many as it holds, at most `-count`). A run is
 * checked against the bound before it is expanded.
 */
export function rle<T>(col: Reader | undefined, count: number, read: (col: Reader) => T): (T | null)[] {
  if (col === undefined) return NO_VALUES
  const max = Math.abs(count)
  // Sized up front when the count is known: a change of one op has columns of one value.
  const out: (T | null)[] = count >= 0 ? new Array(count) : []
  let n = 0
  while (!col.done) {
    const run = col.sleb()
    if (run > 0) {
      if (n + run > max) throw notCanonical
      const v = read(col)
      for (let k = 0; k < run; k++) out[n++] = v
    } else if (run < 0) {
      if (n - run > max) throw notCanonical
      for (let k = 0; k < -run; k++) out[n++] = read(col)
    } else {
      const nulls = col.uleb()
      if (nulls === 0) throw notCanonical
      if (n + nulls > max) throw notCanonical
      for (let k = 0; k < nulls; k++) out[n++] = null
    }
  }
  if (count >= 0 && n !== count) throw notCanonical
  return out
}

/** An absent column (shared: never written to). */
const NO_VALUES: never[] = []

export const rleUints = (col: Reader | undefined, count: number) => rle(col, count, (c) => c.uleb())
export const rleStrings = (col: Reader | undefined, count: number) =>
  rle(col, count, (c) => utf8Text(c.bytes(c.uleb())))

/** A delta column: an RLE of signed differences, summed; nulls leave the sum alone. */
export function deltas(col: Reader | undefined, count: number): (number | null)[] {
  const out = rle(col, count, (c) => c.sleb())
  let sum = 0
  for (let i = 0; i < out.length; i++) {
    const d = out[i]
    if (d === null || d === undefined) continue
    sum += d
    if (!Number.isSafeInteger(sum) || sum < 0) throw notCanonical
    out[i] = sum
  }
  return out
}

/** A boolean column: alternating run lengths, starting with false. Absent: all false. */
export function booleans(col: Reader | undefined, count: number): boolean[] {
  if (col === undefined) return NO_VALUES
  const out: boolean[] = new Array(count)
  let n = 0
  let value = false
  while (!col.done) {
    const run = col.uleb()
    if ((run === 0 && n > 0) || n + run > count) throw notCanonical
    for (let k = 0; k < run; k++) out[n++] = value
    value = !value
  }
  if (n !== count) throw notCanonical
  return out
}

export interface Scalar {
  readonly value: unknown
  readonly datatype?: 'int' | 'uint' | 'float64' | 'counter' | 'timestamp'
}

const NULL: Scalar = { value: null }
const FALSE: Scalar = { value: false }
const TRUE: Scalar = { value: true }

/** One value: its metadata (length << 4 | type) says how many raw bytes it takes. */
export function scalar(meta: number, raw: Reader): Scalar {
  const type = meta % 16
  const length = Math.floor(meta / 16)
  const end = raw.pos + length
  if (length > raw.end - raw.pos) throw notCanonical
  let out: Scalar
  switch (type) {
    case 0:
      out = NULL
      break
    case 1:
      out = FALSE
      break
    case 2:
      out = TRUE
      break
    case 3:
      out = { value: raw.uleb(), datatype: 'uint' }
      break
    case 4:
      out = { value: raw.sleb(), datatype: 'int' }
      break
    case 5: {
      if (length !== 8) throw notCanonical
      const b = raw.bytes(8)
      out = { value: new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true), datatype: 'float64' }
      break
    }
    case 6:
      out = { value: utf8Text(raw.bytes(length)) }
      break
    case 7:
      // Automerge decodes bytes to an array of numbers.
      out = { value: Array.from(raw.bytes(length)) }
      break
    case 8:
      out = { value: raw.sleb(), datatype: 'counter' }
      break
    case 9:
      out = { value: raw.sleb(), datatype: 'timestamp' }
      break
    default:
      throw notCanonical
  }
  if (raw.pos !== end) throw notCanonical
  return out
}
