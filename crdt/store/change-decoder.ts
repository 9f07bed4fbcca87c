/**
 * A JavaScript decoder for Automerge change chunks, for the receive path: it yields
 * exactly what `A.decodeChange` yields (hash, header and ops) at a fraction of the cost,
 * because it builds plain objects instead of crossing into WebAssembly per field.
 *
 * It decodes only the canonical form Automerge's own encoder writes: an uncompressed
 * change chunk, known columns in order, each column empty or holding exactly one value
 * per op, scalar values of known types, no marks, no extra bytes. Anything else (a
 * compressed chunk, a mark, a column it does not know, damage) goes to `A.decodeChange`,
 * which stays the judge of what is valid: this decoder never accepts bytes that it does
 * not read the same way Automerge does (tests/crdt/store/change-decoder.test.ts checks it
 * against `A.decodeChange` on random documents and on mutated bytes). Its parts:
 * chunk-reader.ts (numbers and bytes), change-columns.ts (op columns and values).
 */
import { hash as digest } from 'node:crypto'
import * as A from '@automerge/automerge'
import { toHex } from '../crypto.ts'
import { ChangeBoundsError } from '../errors.ts'
import { CHANGE_BOUNDS, type ChangeOutline, isProblem, outlineChange } from './change-bounds.ts'
import { booleans, deltas, rleStrings, rleUints, scalar, utf8Text } from './change-columns.ts'
import { hexDigit, NO_BYTES, NotCanonical, notCanonical, Reader } from './chunk-reader.ts'

type Op = A.DecodedChange['ops'][number]

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const
const CHANGE_CHUNK = 1

/** Column specs (id << 4 | type) of a change's op columns, in the order they are written. */
/** Counters above this (no real document comes near) are left to Automerge to judge. */
const MAX_COUNTER = 2 ** 31

const COL = {
  objActor: 0x01,
  objCtr: 0x02,
  keyActor: 0x11,
  keyCtr: 0x13,
  keyStr: 0x15,
  insert: 0x34,
  action: 0x42,
  valMeta: 0x56,
  valRaw: 0x57,
  predGroup: 0x70,
  predActor: 0x71,
  predCtr: 0x73,
  expand: 0x94,
  markName: 0xa5,
} as const
/** Each known column's slot in a decode's column table, by spec (-1: unknown). */
const SLOT_OF = new Int8Array(0x100).fill(-1)
for (const [i, spec] of Object.values(COL).entries()) SLOT_OF[spec] = i
const COLUMN_SLOTS = Object.keys(COL).length
/** A decode's column specs and sizes (decoding is synchronous: one pair of buffers serves all). */
const SPEC_BUFFER = new Float64Array(COLUMN_SLOTS)
const SIZE_BUFFER = new Float64Array(COLUMN_SLOTS)

const ACTIONS = ['makeMap', 'set', 'makeList', 'del', 'makeText', 'inc', 'makeTable'] as const
const SET = 1
const INC = 5

/** Not the canonical form this decoder reads: let Automerge decode it. */

/**
 * Decodes a change, falling back to Automerge's own decoder for anything unusual. Throws
 * as `A.decodeChange` does, and `ChangeBoundsError` for a change past the bounds (or
 * whose structure does not parse) before either decoder expands anything.
 */
export function decodeChange(bytes: Uint8Array): A.DecodedChange {
  const outline = outlineChange(bytes)
  if (isProblem(outline)) throw new ChangeBoundsError(outline.kind, outline.reason)
  return decodeCanonicalChange(bytes) ?? A.decodeChange(bytes)
}

/**
 * Decodes a change the caller has already outlined within the bounds (`outlineChange`,
 * which hashed it): the receive path, which does that before it decodes anything, so the
 * hash and the dependencies are not read twice (the decoded change shares the outline's
 * `deps` array: neither is ever changed).
 */
export function decodeOutlinedChange(bytes: Uint8Array, outline: ChangeOutline): A.DecodedChange {
  return decodeCanonicalChange(bytes, outline.hash, outline.deps) ?? A.decodeChange(bytes)
}

/**
 * The change, if it is in the canonical form this decoder reads; else null. `hash`: its
 * chunk hash, if known; `deps`: its dependencies as `outlineChange` read them from these
 * very bytes, if known.
 *
 * Bounded by itself: every column must hold one value per op (or per predecessor), at
 * most `CHANGE_BOUNDS.maxOps` of them, checked before a run is expanded; so a change it
 * reads is one `outlineChange` finds within the bounds, with the same hash, dependencies,
 * actor and op count (the receive path relies on it to read a change once; tested).
 * `maxOps`: a tighter bound on its ops, for a caller with less of its budget left (a
 * change with more is not read past its action column: null).
 */
export function decodeCanonicalChange(
  bytes: Uint8Array,
  hash?: string,
  deps?: readonly string[],
  maxOps: number = CHANGE_BOUNDS.maxOps,
): A.DecodedChange | null {
  try {
    return decodeCanonical(bytes, hash, deps, Math.min(maxOps, CHANGE_BOUNDS.maxOps))
  } catch (err) {
    if (err instanceof NotCanonical) return null
    throw err
  } finally {
    // The column readers hold no buffer between calls.
    for (const reader of COLUMN_READERS) reader.reset(NO_BYTES, 0, 0)
  }
}

/** A change's hash: SHA-256 of its chunk (type, length, body) when uncompressed, else Automerge's. */
export function changeHash(bytes: Uint8Array): string {
  if (bytes.length > 8 && bytes[8] === CHANGE_CHUNK) return digest('sha256', bytes.subarray(8), 'hex')
  return A.decodeChange(bytes).hash
}

const DOCUMENT_CHUNK = 0

/**
 * The heads a document snapshot (`A.save`) names in its header, read without loading it:
 * a cheap way to skip loading a snapshot that cannot be the history wanted. Only a
 * claim: `A.load` checks it against the content. Null when the header does not parse.
 */
export function snapshotHeads(bytes: Uint8Array): string[] | null {
  try {
    if (bytes.length < 9 || MAGIC.some((m, i) => bytes[i] !== m) || bytes[8] !== DOCUMENT_CHUNK) return null
    const r = new Reader(bytes, 9, bytes.length)
    r.uleb() // chunk length
    for (let actors = r.uleb(); actors > 0; actors--) {
      const length = r.uleb()
      r.pos += length
    }
    const count = r.uleb()
    if (r.pos + 32 * count > bytes.length) return null
    const heads: string[] = []
    for (let i = 0; i < count; i++, r.pos += 32) heads.push(toHex(bytes.subarray(r.pos, r.pos + 32)))
    return heads
  } catch (err) {
    if (err instanceof NotCanonical) return null
    throw err
  }
}

/**
 * One reader per column slot and the slots' table, reused by every decode (a decode is
 * synchronous and never re-entered): a catch-up decodes thousands of changes, each with
 * about ten columns.
 */
const COLUMN_READERS: readonly Reader[] = Array.from(
  { length: COLUMN_SLOTS },
  () => new Reader(NO_BYTES, 0, 0),
)
const COLUMNS: (Reader | undefined)[] = new Array(COLUMN_SLOTS)

function decodeCanonical(
  bytes: Uint8Array,
  knownHash: string | undefined,
  knownDeps: readonly string[] | undefined,
  maxOps: number,
): A.DecodedChange {
  if (bytes.length < 9) throw notCanonical
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw notCanonical
  if (bytes[8] !== CHANGE_CHUNK) throw notCanonical
  const head = new Reader(bytes, 9, bytes.length)
  const length = head.uleb()
  if (head.pos + length !== bytes.length) throw notCanonical
  const hash = knownHash ?? digest('sha256', bytes.subarray(8), 'hex')
  // The checksum is the hash's first four bytes.
  for (let i = 0; i < 4; i++)
    if (hexDigit(hash.charCodeAt(2 * i)) * 16 + hexDigit(hash.charCodeAt(2 * i + 1)) !== bytes[4 + i])
      throw notCanonical

  const r = head
  let deps: string[]
  const depCount = r.uleb()
  // Past the bound `outlineChange` refuses: not read here (see `decodeCanonicalChange`).
  if (depCount > CHANGE_BOUNDS.maxDeps) throw notCanonical
  if (knownDeps !== undefined && knownDeps.length === depCount) {
    // Read by `outlineChange` from these bytes: passed over, not turned into hex again.
    r.bytes(32 * depCount)
    deps = knownDeps as string[]
  } else {
    deps = []
    for (let n = depCount; n > 0; n--) deps.push(r.hex(32))
  }
  const actor = r.actorHex(r.uleb())
  const seq = r.uleb()
  const startOp = r.uleb()
  // Automerge refuses a zero start op, and start ops past what its counters hold; a zero
  // or huge seq is not what it writes either: all go to Automerge to decide.
  if (seq === 0 || startOp === 0 || seq > MAX_COUNTER || startOp > MAX_COUNTER) throw notCanonical
  const time = r.sleb()
  const messageLength = r.uleb()
  const message = messageLength === 0 ? null : utf8Text(r.bytes(messageLength))
  const actors = [actor]
  for (let n = r.uleb(); n > 0; n--) actors.push(r.hex(r.uleb()))

  // Column specs and sizes first (the data follows them), into reused buffers: at most
  // one of each known column, ascending.
  const n = r.uleb()
  if (n > SPEC_BUFFER.length) throw notCanonical
  for (let i = 0; i < n; i++) {
    SPEC_BUFFER[i] = r.uleb()
    SIZE_BUFFER[i] = r.uleb()
  }
  const columns = COLUMNS
  columns.fill(undefined)
  let at = r.pos
  let lastSpec = -1
  for (let i = 0; i < n; i++) {
    const spec = SPEC_BUFFER[i] as number
    const size = SIZE_BUFFER[i] as number
    // Ascending, known, uncompressed columns only.
    const slot = spec < SLOT_OF.length ? (SLOT_OF[spec] as number) : -1
    if (spec <= lastSpec || slot < 0) throw notCanonical
    lastSpec = spec
    if (size > bytes.length - at) throw notCanonical
    if (size > 0) columns[slot] = (COLUMN_READERS[slot] as Reader).reset(bytes, at, at + size)
    at += size
  }
  if (at !== bytes.length || columns[SLOT_OF[COL.markName] as number] !== undefined) throw notCanonical
  const column = (spec: number): Reader | undefined => columns[SLOT_OF[spec] as number]

  // Read first, and only up to the bound: every other column is sized by it.
  const actions = rleUints(column(COL.action), -maxOps)
  const count = actions.length
  const objActor = rleUints(column(COL.objActor), count)
  const objCtr = rleUints(column(COL.objCtr), count)
  const keyActor = rleUints(column(COL.keyActor), count)
  const keyCtr = deltas(column(COL.keyCtr), count)
  const keyStr = rleStrings(column(COL.keyStr), count)
  const insert = booleans(column(COL.insert), count)
  const expand = booleans(column(COL.expand), count)
  const valMeta = rleUints(column(COL.valMeta), count)
  const raw = column(COL.valRaw) ?? new Reader(bytes, 0, 0)
  const predCount = rleUints(column(COL.predGroup), count)
  let preds = 0
  for (const n of predCount) if (n !== null) preds += n
  if (preds > CHANGE_BOUNDS.maxOps) throw notCanonical
  const predActor = rleUints(column(COL.predActor), preds)
  const predCtr = deltas(column(COL.predCtr), preds)
  if (!raw.done && valMeta.length === 0) throw notCanonical

  // Counter 0 is never an operation: Automerge reads an object id with counter 0 as the
  // root whatever its actor, which canonical bytes never say that way.
  const opId = (ctr: number | null, actorIndex: number | null): string => {
    if (ctr === null || ctr === 0 || actorIndex === null || actorIndex >= actors.length) throw notCanonical
    return `${ctr}@${actors[actorIndex]}`
  }
  const ops: Op[] = new Array(count)
  let p = 0
  for (let i = 0; i < count; i++) {
    const action = actions[i] as number | null
    if (action === null || action >= ACTIONS.length || expand[i]) throw notCanonical
    const oa = objActor[i] ?? null
    const oc = objCtr[i] ?? null
    const obj = oa === null && oc === null ? '_root' : opId(oc, oa)
    const op: Record<string, unknown> = { action: ACTIONS[action], obj }
    const ks = keyStr[i] ?? null
    const ka = keyActor[i] ?? null
    const kc = keyCtr[i] ?? null
    if (ks !== null) {
      if (ka !== null || kc !== null) throw notCanonical
      op.key = ks
    } else if (ka === null) {
      if (kc !== 0) throw notCanonical
      op.elemId = '_head'
    } else {
      if (kc === null || kc === 0) throw notCanonical
      op.elemId = opId(kc, ka)
    }
    if (insert[i]) op.insert = true
    const meta = valMeta.length === 0 ? 0 : valMeta[i]
    if (meta === null || meta === undefined) throw notCanonical
    const value = scalar(meta, raw)
    if (action === SET) {
      if (value.datatype !== undefined) op.datatype = value.datatype
      op.value = value.value
    } else if (action === INC) {
      if (value.datatype !== 'int' && value.datatype !== 'uint') throw notCanonical
      op.value = value.value
    } else if (meta !== 0) throw notCanonical
    const pred: string[] = []
    const n = predCount.length === 0 ? 0 : predCount[i]
    if (n === null || n === undefined) throw notCanonical
    for (let k = 0; k < n; k++, p++) pred.push(opId(predCtr[p] ?? null, predActor[p] ?? null))
    op.pred = pred
    ops[i] = op as unknown as Op
  }
  if (!raw.done) throw notCanonical
  // The type names an `author` field that A.decodeChange never sets: left out, as there.
  return { actor, hash, seq, startOp, time, message, deps, ops } as Omit<
    A.DecodedChange,
    'author'
  > as A.DecodedChange
}
