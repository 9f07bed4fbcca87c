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
 *
 * Its parts: bounds-cursor.ts (a bounded cursor, the chunk header, the problem thrown
 * inside) and column-counts.ts (counting what columns declare, inflating within a budget).
 */
import { hash as digest } from 'node:crypto'
import { toHex } from '../crypto.ts'
import {
  type BoundsKind,
  CHANGE_CHUNK,
  chunkBody,
  DOCUMENT_CHUNK,
  malformed,
  oversize,
  Problem,
} from './bounds-cursor.ts'
import { changeColumnOps, checkCounts, columnMeta, readColumns } from './column-counts.ts'

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

export type { BoundsKind } from './bounds-cursor.ts'

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
