/**
 * One signed entry of an author's append-only chain: the audit record of one action
 * and the proof of authorship of the Automerge changes it produced.
 *
 * Canonical bytes are `ENTRY_DOMAIN || dag-cbor(body)`; the signature is Ed25519 over
 * exactly those bytes and the entry hash is SHA-256 of them. dag-cbor is deterministic
 * (sorted keys, minimal integers), and decoding re-encodes and compares, so one body
 * has exactly one accepted byte form.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { bytesEqual, ED25519_SIGNATURE_BYTES, fromHex, sha256, toHex } from '../crypto.ts'
import type { ChangeHash, DocId, EntryHash, MemberKey } from '../ids.ts'
import { isDocId } from '../ids.ts'
import { isJsonValue, type JsonValue } from '../json.ts'

export const ENTRY_DOMAIN = new TextEncoder().encode('verseguy/chain-entry/v1\n')

export const ENTRY_LIMITS = {
  maxBytes: 64 * 1024,
  maxDetailsBytes: 16 * 1024,
  maxChanges: 1024,
  maxAuthHeads: 64,
  maxResource: 256,
} as const

const ACTION = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/

/** The signed content of an entry. */
export interface EntryBody {
  readonly author: MemberKey
  /** 1 for an author's first entry, then +1 per entry. */
  readonly seq: number
  /** Hash of the author's previous entry; null for seq 1. */
  readonly prev: EntryHash | null
  /** Milliseconds since the epoch, as the author's clock said. Advisory: order is seq. */
  readonly time: number
  /** Dotted action name, e.g. `org.create`. */
  readonly action: string
  /** What the action touched, e.g. `org:7f3a…` or `ship:…`. */
  readonly resource: string
  readonly details: JsonValue
  /** The document the covered changes belong to, or null for an entry with no changes. */
  readonly doc: DocId | null
  /** Hashes of the Automerge changes this action produced (all in `doc`). */
  readonly changes: readonly ChangeHash[]
  /** Heads of the org's authorization document the author had seen. */
  readonly authHeads: readonly ChangeHash[]
}

/** The form that travels and is stored: canonical bytes plus signature. */
export interface SignedEntry {
  readonly bytes: Uint8Array
  readonly signature: Uint8Array
}

/** A decoded entry. Decoding checks form only; see `verifyEntrySignature`. */
export interface Entry extends EntryBody, SignedEntry {
  readonly hash: EntryHash
}

/** Signs with the member key. Implemented by the identity service. */
export interface Signer {
  readonly memberKey: MemberKey
  sign(data: Uint8Array): Uint8Array
}

export type DecodeResult = { ok: true; entry: Entry } | { ok: false; reason: string }

/** The decoded CBOR form: keys and hashes as bytes. */
interface WireBody {
  author: Uint8Array
  seq: number
  prev: Uint8Array | null
  time: number
  action: string
  resource: string
  details: JsonValue
  doc: string | null
  changes: Uint8Array[]
  authHeads: Uint8Array[]
}

const WIRE_KEYS = [
  'action',
  'authHeads',
  'author',
  'changes',
  'details',
  'doc',
  'prev',
  'resource',
  'seq',
  'time',
]

const is32 = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/**
 * Checks the shape of a wire body (hand-written: this runs once per received entry).
 * Returns the name of the first bad field and why, or null.
 */
function wireProblem(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'body: not a map'
  const w = raw as Record<string, unknown>
  const keys = Object.keys(w)
  if (keys.length !== WIRE_KEYS.length || !WIRE_KEYS.every((k) => k in w)) return 'body: wrong set of fields'
  if (!is32(w.author)) return 'author: must be 32 bytes'
  if (!isCount(w.seq) || w.seq < 1) return 'seq: must be a whole number from 1'
  if (w.prev !== null && !is32(w.prev)) return 'prev: must be 32 bytes or null'
  if (!isCount(w.time)) return 'time: must be whole milliseconds since the epoch'
  if (typeof w.action !== 'string' || w.action.length > 64 || !ACTION.test(w.action))
    return 'action: must be dotted lower-case words (e.g. org.create)'
  if (
    typeof w.resource !== 'string' ||
    w.resource.length < 1 ||
    w.resource.length > ENTRY_LIMITS.maxResource ||
    !w.resource.isWellFormed()
  )
    return `resource: must be 1 to ${ENTRY_LIMITS.maxResource} characters`
  if (!isJsonValue(w.details)) return 'details: not plain JSON data'
  if (w.doc !== null && !isDocId(w.doc)) return 'doc: not a document id'
  if (!Array.isArray(w.changes) || w.changes.length > ENTRY_LIMITS.maxChanges || !w.changes.every(is32))
    return 'changes: must be at most 1024 hashes of 32 bytes'
  if (
    !Array.isArray(w.authHeads) ||
    w.authHeads.length > ENTRY_LIMITS.maxAuthHeads ||
    !w.authHeads.every(is32)
  )
    return 'authHeads: must be at most 64 hashes of 32 bytes'
  if ((w.seq === 1) !== (w.prev === null)) return 'prev: must be null exactly for seq 1'
  if (w.doc === null && w.changes.length > 0) return 'doc: changes need a document'
  return null
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** Canonical bytes of a body. Throws `TypeError` naming the field for a body that cannot be an entry. */
export function encodeEntryBody(body: EntryBody): Uint8Array {
  let wire: Record<string, unknown>
  try {
    wire = {
      author: fromHex(body.author),
      seq: body.seq,
      prev: body.prev === null ? null : fromHex(body.prev),
      time: body.time,
      action: body.action,
      resource: body.resource,
      details: body.details,
      doc: body.doc,
      changes: body.changes.map(fromHex),
      authHeads: body.authHeads.map(fromHex),
    }
  } catch (cause) {
    throw new TypeError('invalid entry: a key or hash is not hex', { cause })
  }
  const problem = wireProblem(wire)
  if (problem !== null) throw new TypeError(`invalid entry field ${problem}`)
  let bytes: Uint8Array
  try {
    bytes = concat(ENTRY_DOMAIN, dagCbor.encode(wire))
  } catch (cause) {
    throw new TypeError('invalid entry field details: not plain JSON data', { cause })
  }
  const size = sizeProblem(wire as unknown as WireBody, bytes)
  if (size !== null) throw new TypeError(`invalid entry: ${size}`)
  return bytes
}

function sizeProblem(w: WireBody, bytes: Uint8Array): string | null {
  if (bytes.length > ENTRY_LIMITS.maxBytes) return 'too large'
  // Cheap bound first; encode details only when the whole entry is near the limit.
  if (
    bytes.length > ENTRY_LIMITS.maxDetailsBytes &&
    dagCbor.encode(w.details).length > ENTRY_LIMITS.maxDetailsBytes
  )
    return 'details too large'
  return null
}

/** Signs a body into an entry. */
export function signEntry(body: EntryBody, signer: Signer): Entry {
  if (body.author !== signer.memberKey) throw new TypeError('entry author is not the signer')
  const bytes = encodeEntryBody(body)
  return { ...body, bytes, signature: signer.sign(bytes), hash: toHex(sha256(bytes)) as EntryHash }
}

/**
 * Decodes and checks the form of a signed entry from untrusted bytes. Never throws.
 * Does not check the signature.
 */
export function decodeEntry(signed: SignedEntry): DecodeResult {
  if (typeof signed !== 'object' || signed === null) return fail('not an entry')
  const { bytes, signature } = signed
  if (!(bytes instanceof Uint8Array) || !(signature instanceof Uint8Array)) return fail('not bytes')
  if (signature.length !== ED25519_SIGNATURE_BYTES) return fail('signature is not 64 bytes')
  if (bytes.length > ENTRY_LIMITS.maxBytes) return fail('entry too large')
  if (!bytesEqual(bytes.subarray(0, ENTRY_DOMAIN.length), ENTRY_DOMAIN)) return fail('wrong domain prefix')
  const body = bytes.subarray(ENTRY_DOMAIN.length)
  let raw: unknown
  try {
    raw = dagCbor.decode(body)
  } catch {
    return fail('undecodable entry body')
  }
  const problem = wireProblem(raw)
  if (problem !== null) return fail(`malformed entry field ${problem}`)
  const w = raw as WireBody
  const size = sizeProblem(w, bytes)
  if (size !== null) return fail(size)
  // One body, one byte form: anything that does not re-encode identically is refused.
  if (!bytesEqual(dagCbor.encode(raw), body)) return fail('non-canonical encoding')
  return {
    ok: true,
    entry: {
      author: toHex(w.author) as MemberKey,
      seq: w.seq,
      prev: w.prev === null ? null : (toHex(w.prev) as EntryHash),
      time: w.time,
      action: w.action,
      resource: w.resource,
      details: w.details as JsonValue,
      doc: w.doc as DocId | null,
      changes: w.changes.map((c) => toHex(c) as ChangeHash),
      authHeads: w.authHeads.map((c) => toHex(c) as ChangeHash),
      bytes,
      signature,
      hash: toHex(sha256(bytes)) as EntryHash,
    },
  }
}

function fail(reason: string): DecodeResult {
  return { ok: false, reason }
}

/** Storage / wire form: 64-byte signature followed by the canonical bytes. */
export function packEntry(entry: SignedEntry): Uint8Array {
  return concat(entry.signature, entry.bytes)
}

export function unpackEntry(packed: Uint8Array): SignedEntry {
  return {
    signature: packed.subarray(0, ED25519_SIGNATURE_BYTES),
    bytes: packed.subarray(ED25519_SIGNATURE_BYTES),
  }
}
