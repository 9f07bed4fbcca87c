/**
 * Bounds on Automerge chunks from peers, checked before anything is decoded or loaded.
 *
 * Automerge stores columns run-length encoded, and may deflate them: a few bytes can
 * declare billions of ops, and a small deflated column can inflate to gigabytes. Neither
 * Automerge nor a decoder that expands runs as it reads can be handed such bytes. This
 * module reads only the chunk's structure and the run lengths (summing them, never
 * expanding them), inflates a deflated column only up to a byte budget, and refuses what
 * declares more than the bounds: `oversize` when a declared size is past a bound,
 * `malformed` when the structure does not parse.
 *
 * A change's hash is read the same way (SHA-256 of its chunk), so a batch's changes can be
 * matched to the entries that cover them without decoding any of them.
 */
import { hash as digest } from 'node:crypto'
import { inflateRawSync } from 'node:zlib'
import { toHex } from '../crypto.ts'

export const CHANGE_BOUNDS = {
  /** Ops in one change, and in all the changes one entry covers. */
  maxOps: 100_000,
  /** Bytes of one change chunk. */
  maxChangeBytes: 4 * 1024 * 1024,
  /**
   * Bytes a snapshot's deflated columns may inflate to, in all: this many times the
   * snapshot's own size (at least 1 MB), and never more than `maxInflatedBytes`.
   */
  inflateRatio: 20,
  maxInflatedBytes: 32 * 1024 * 1024,
  /** Items (ops, changes) any one column of a snapshot may declare. */
  maxSnapshotItems: 2_000_000,
  /** Dependencies of one change. */
  maxDeps: 1024,
} as const

export type BoundsKind = 'oversize' | 'malformed'

export interface BoundsProblem {
  readonly kind: BoundsKind
  readonly reason: string
}

/** What a change chunk declares, read without decoding its ops. */
export interface ChangeOutline {
  readonly hash: string
  readonly deps: readonly string[]
  /** The change's actor (hex). */
  readonly actor: string
  /** Ops the change declares (the length of its action column). */
  readonly ops: number
}

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const
const DOCUMENT_CHUNK = 0
const CHANGE_CHUNK = 1
const DEFLATE = 0x08
/** Column types (the low three bits of a column spec). */
const GROUP = 0
const DELTA = 3
const BOOLEAN = 4
const STRING = 5
const VALUE_META = 6
const VALUE_RAW = 7
const ACTION_COLUMN = 0x42

class Problem extends Error {
  readonly kind: BoundsKind
  constructor(kind: BoundsKind, reason: string) {
    super(reason)
    this.kind = kind
  }
}
const malformed = (reason: string) => new Problem('malformed', reason)
const oversize = (reason: string) => new Problem('oversize', reason)

/** A cursor over bytes that refuses to read past `end`. Lenient on LEB form (as Automerge is). */
class Cursor {
  pos: number
  buf: Uint8Array
  end: number
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }
  get done(): boolean {
    return this.pos >= this.end
  }
  uleb(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated number')
      const byte = this.buf[this.pos++] as number
      result += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return result
      scale *= 128
    }
    throw malformed('number too long')
  }
  sleb(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated number')
      const byte = this.buf[this.pos++] as number
      // The sign byte's weight is added as a negative number: exact, where adding and then
      // subtracting a larger power of two would round.
      if ((byte & 0x80) === 0) return result + (byte & 0x40 ? (byte & 0x7f) - 128 : byte) * scale
      result += (byte & 0x7f) * scale
      scale *= 128
    }
    throw malformed('number too long')
  }
  skip(n: number): Uint8Array {
    if (n > this.end - this.pos) throw malformed('truncated')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  /** `skip` for bytes nobody reads: no view made. */
  pass(n: number): void {
    if (n > this.end - this.pos) throw malformed('truncated')
    this.pos += n
  }
}

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
function readColumns(
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

function columnMeta(r: Cursor): [number, number][] {
  const meta: [number, number][] = []
  for (let n = r.uleb(); n > 0; n--) {
    if (meta.length > 256) throw malformed('too many columns')
    meta.push([r.uleb(), r.uleb()])
  }
  return meta
}

/** Checks the columns' counts: each within `max`, groups' sums too, raw values within the raw bytes. */
function checkCounts(columns: readonly { spec: number; data: Uint8Array }[], max: number): number {
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
function changeColumnOps(r: Cursor, max: number): number {
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

/** Header of a chunk: magic, checksum, type, length; the body's cursor. */
function chunkBody(bytes: Uint8Array, type: number): Cursor {
  if (!(bytes instanceof Uint8Array) || bytes.length < 9) throw malformed('not an Automerge chunk')
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw malformed('not an Automerge chunk')
  if (bytes[8] !== type)
    throw malformed(type === CHANGE_CHUNK ? 'not an uncompressed change chunk' : 'not a document chunk')
  const r = new Cursor(bytes, 9)
  const length = r.uleb()
  if (r.pos + length !== bytes.length) throw malformed('chunk length does not match')
  return r
}

/**
 * The hash of an uncompressed change chunk (SHA-256 of its type, length and body), read
 * without looking inside it; else the problem. Enough to match a change to the entry
 * that covers it before spending anything more on it.
 */
export function changeChunkHash(bytes: Uint8Array): string | BoundsProblem {
  try {
    chunkBody(bytes, CHANGE_CHUNK)
    if (bytes.length > CHANGE_BOUNDS.maxChangeBytes) throw oversize('change too large')
    return digest('sha256', bytes.subarray(8), 'hex')
  } catch (err) {
    if (err instanceof Problem) return { kind: err.kind, reason: err.message }
    throw err
  }
}

/**
 * What an uncompressed change chunk declares, within the bounds; else the problem. Our
 * nodes never send compressed change chunks (Automerge returns changes uncompressed), so
 * a compressed one is refused as malformed rather than inflated.
 */
export function outlineChange(bytes: Uint8Array, knownHash?: string): ChangeOutline | BoundsProblem {
  try {
    const r = chunkBody(bytes, CHANGE_CHUNK)
    // `knownHash`: the caller's `changeChunkHash` of these very bytes (not hashed twice).
    const hash = knownHash ?? digest('sha256', bytes.subarray(8), 'hex')
    for (let i = 0; i < 4; i++) if (hexByte(hash, i) !== bytes[4 + i]) throw malformed('bad checksum')
    const deps: string[] = []
    for (let n = r.uleb(); n > 0; n--) {
      if (deps.length >= CHANGE_BOUNDS.maxDeps) throw oversize('too many dependencies')
      deps.push(toHex(r.skip(32)))
    }
    const actor = actorHex(r.skip(r.uleb()))
    r.uleb() // seq
    r.uleb() // start op
    r.sleb() // time
    r.pass(r.uleb()) // message
    for (let n = r.uleb(); n > 0; n--) r.pass(r.uleb()) // other actors
    const ops = changeColumnOps(r, CHANGE_BOUNDS.maxOps)
    return { hash, deps, actor, ops }
  } catch (err) {
    if (err instanceof Problem) return { kind: err.kind, reason: err.message }
    throw err
  }
}

/** The value of the `i`th byte of a lowercase hex string (NaN for other characters). */
function hexByte(hex: string, i: number): number {
  return hexDigit(hex.charCodeAt(2 * i)) * 16 + hexDigit(hex.charCodeAt(2 * i + 1))
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  return Number.NaN
}

/** Hex of an actor id: a batch repeats the same few actors, so the last one is kept. */
function actorHex(b: Uint8Array): string {
  const last = lastActor.bytes
  let same = last.length === b.length
  for (let i = 0; same && i < b.length; i++) same = last[i] === b[i]
  if (!same) lastActor = { bytes: b.slice(), hex: Buffer.from(b).toString('hex') }
  return lastActor.hex
}

let lastActor = { bytes: new Uint8Array(0), hex: '' }

/** Whether `outlineChange` found a problem. */
export function isProblem(x: ChangeOutline | BoundsProblem): x is BoundsProblem {
  return 'kind' in x
}

/**
 * A document snapshot's problem, or null when it is within the bounds: its deflated
 * columns inflate within the budget (`CHANGE_BOUNDS.inflateRatio`), and it declares at most
 * `limits.changes` changes and `limits.ops` ops (what the history it stands for holds).
 */
export function snapshotProblem(
  bytes: Uint8Array,
  limits: { readonly changes: number; readonly ops: number },
): BoundsProblem | null {
  try {
    const r = chunkBody(bytes, DOCUMENT_CHUNK)
    for (let n = r.uleb(); n > 0; n--) r.pass(r.uleb()) // actors
    const heads = r.uleb()
    r.pass(32 * heads)
    const changeMeta = columnMeta(r)
    const opMeta = columnMeta(r)
    const budget = {
      left: Math.min(
        CHANGE_BOUNDS.maxInflatedBytes,
        Math.max(1 << 20, CHANGE_BOUNDS.inflateRatio * bytes.length),
      ),
    }
    const changeColumns = readColumns(r, changeMeta, budget)
    const opColumns = readColumns(r, opMeta, budget)
    const cap = (n: number) => Math.min(CHANGE_BOUNDS.maxSnapshotItems, Math.max(1, n))
    // A change column holds a value per change or per dependency; an op column a value
    // per op or per successor (an op's successors are later ops): at most twice the ops.
    checkCounts(changeColumns, cap(limits.changes * 64))
    if (checkCounts(opColumns, cap(limits.ops * 2)) > limits.ops)
      throw oversize('the snapshot declares more ops than its history holds')
    return null
  } catch (err) {
    if (err instanceof Problem) return { kind: err.kind, reason: err.message }
    throw err
  }
}
