/**
 * One signed entry of an author's append-only chain: the audit record of one action
 * and the proof of authorship of the Automerge changes it produced.
 *
 * Canonical bytes are `ENTRY_DOMAIN` followed by a fixed binary layout (below); the
 * signature is Ed25519 over exactly those bytes and the entry hash is SHA-256 of them.
 * Every field sits at a fixed place or behind an exact length, unknown flag bits and
 * trailing bytes are refused, text is strict UTF-8, and `details` is deterministic
 * dag-cbor checked by re-encoding: one body has exactly one accepted byte form.
 *
 * Layout after the domain prefix (integers big-endian):
 *   author 32 | seq u64 | time u64 | flags u8 (1: prev, 2: doc, 4: scope) | scope 16? | prev 32?
 *   | action u8-len | resource u16-len | doc u8-len? | changes u16-count × 32
 *   | authHeads u8-count × 32 | details u32-len (dag-cbor)
 * It decodes with a few bounds-checked reads (~5 µs), which matters on catch-up.
 *
 * A chain is one author's entries in one scope: the org the entries belong to (a 16-byte
 * id, given in hex), or none for the node-local chain (node-only events, never sent).
 * seq and prev link within one (scope, author) chain. This layer treats a scope as an
 * opaque id; what belongs to which scope is the domain's rule.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { bytesEqual, ED25519_SIGNATURE_BYTES, fromHex, sha256Hex, toHex } from '../crypto.ts'
import type { ChangeHash, DocId, EntryHash, MemberKey } from '../ids.ts'
import { isDocId } from '../ids.ts'
import { isJsonValue, type JsonValue } from '../json.ts'

export const ENTRY_DOMAIN = new TextEncoder().encode('verseguy/chain-entry/v2\n')

export const ENTRY_LIMITS = {
  maxBytes: 64 * 1024,
  maxDetailsBytes: 16 * 1024,
  maxChanges: 1024,
  maxAuthHeads: 64,
  maxResource: 256,
} as const

const ACTION = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/

/** A chain's scope: an org id (32 lower-case hex characters), or null for the node-local chain. */
export type EntryScope = string | null

const SCOPE = /^[0-9a-f]{32}$/

/** Whether `value` can be the scope of a shared chain (an org id). */
export function isScope(value: unknown): value is string {
  return typeof value === 'string' && SCOPE.test(value)
}

/** The signed content of an entry. */
export interface EntryBody {
  /** The chain's scope (see `EntryScope`): part of the signed bytes, so it cannot be moved. */
  readonly scope: EntryScope
  readonly author: MemberKey
  /** 1 for an author's first entry in the scope, then +1 per entry. */
  readonly seq: number
  /** Hash of the author's previous entry in the scope; null for seq 1. */
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

/** A refusal is `malformed` unless it says the entry was past a declared bound (`kind: 'oversize'`). */
export type DecodeResult = { ok: true; entry: Entry } | { ok: false; reason: string; kind?: 'oversize' }

const FLAG_PREV = 1
const FLAG_DOC = 2
const FLAG_SCOPE = 4
const SCOPE_BYTES = 16
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Why a body cannot be an entry, naming the field; null when it can. `decoded`: the
 * keys and hashes came from the decoder's own hex conversion, so their form is known.
 */
function bodyProblem(b: EntryBody, decoded = false): string | null {
  if (typeof b !== 'object' || b === null) return 'body: not an object'
  if (!decoded && b.scope !== null && !isScope(b.scope)) return 'scope: must be 16 bytes of hex or null'
  if (!decoded && !/^[0-9a-f]{64}$/.test(b.author)) return 'author: must be 32 bytes of hex'
  if (!Number.isSafeInteger(b.seq) || b.seq < 1) return 'seq: must be a whole number from 1'
  if (!decoded && b.prev !== null && !/^[0-9a-f]{64}$/.test(b.prev))
    return 'prev: must be 32 bytes of hex or null'
  if ((b.seq === 1) !== (b.prev === null)) return 'prev: must be null exactly for seq 1'
  if (!Number.isSafeInteger(b.time) || b.time < 0) return 'time: must be whole milliseconds since the epoch'
  if (b.action !== validAction) {
    if (typeof b.action !== 'string' || b.action.length > 64 || !ACTION.test(b.action))
      return 'action: must be dotted lower-case words (e.g. org.create)'
    validAction = b.action
  }
  if (
    typeof b.resource !== 'string' ||
    b.resource.length < 1 ||
    b.resource.length > ENTRY_LIMITS.maxResource ||
    !b.resource.isWellFormed()
  ) {
    return `resource: must be 1 to ${ENTRY_LIMITS.maxResource} characters`
  }
  if (b.doc !== null && b.doc !== validDoc) {
    if (!isDocId(b.doc)) return 'doc: not a document id'
    validDoc = b.doc
  }
  if (
    !Array.isArray(b.changes) ||
    b.changes.length > ENTRY_LIMITS.maxChanges ||
    (!decoded && !b.changes.every(isHex64))
  ) {
    return `changes: must be at most ${ENTRY_LIMITS.maxChanges} hashes of 32 bytes`
  }
  if (b.doc === null && b.changes.length > 0) return 'doc: changes need a document'
  if (
    !Array.isArray(b.authHeads) ||
    b.authHeads.length > ENTRY_LIMITS.maxAuthHeads ||
    (!decoded && !b.authHeads.every(isHex64))
  ) {
    return `authHeads: must be at most ${ENTRY_LIMITS.maxAuthHeads} hashes of 32 bytes`
  }
  if (!knownJson.has(b.details as object) && !isJsonValue(b.details)) return 'details: not plain JSON data'
  return null
}

/**
 * The last action and document id found valid (checks of a value, so remembering them
 * changes no answer): a batch repeats the same few thousands of times.
 */
let validAction: string | null = null
let validDoc: string | null = null

const isHex64 = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)

/** Canonical bytes of a body. Throws `TypeError` naming the field for a body that cannot be an entry. */
export function encodeEntryBody(body: EntryBody): Uint8Array {
  const problem = bodyProblem(body)
  if (problem !== null) throw new TypeError(`invalid entry field ${problem}`)
  const details = dagCbor.encode(body.details)
  if (details.length > ENTRY_LIMITS.maxDetailsBytes) throw new TypeError('invalid entry: details too large')
  const action = utf8.encode(body.action)
  const resource = utf8.encode(body.resource)
  const doc = body.doc === null ? null : utf8.encode(body.doc)
  const size =
    ENTRY_DOMAIN.length +
    32 +
    8 +
    8 +
    1 +
    (body.scope === null ? 0 : SCOPE_BYTES) +
    (body.prev === null ? 0 : 32) +
    1 +
    action.length +
    2 +
    resource.length +
    (doc === null ? 0 : 1 + doc.length) +
    2 +
    32 * body.changes.length +
    1 +
    32 * body.authHeads.length +
    4 +
    details.length
  if (size > ENTRY_LIMITS.maxBytes) throw new TypeError('invalid entry: too large')
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  const put = (bytes: Uint8Array) => {
    out.set(bytes, at)
    at += bytes.length
  }
  put(ENTRY_DOMAIN)
  put(fromHex(body.author))
  view.setBigUint64(at, BigInt(body.seq))
  view.setBigUint64(at + 8, BigInt(body.time))
  out[at + 16] =
    (body.prev === null ? 0 : FLAG_PREV) |
    (doc === null ? 0 : FLAG_DOC) |
    (body.scope === null ? 0 : FLAG_SCOPE)
  at += 17
  if (body.scope !== null) put(fromHex(body.scope))
  if (body.prev !== null) put(fromHex(body.prev))
  out[at++] = action.length
  put(action)
  view.setUint16(at, resource.length)
  at += 2
  put(resource)
  if (doc !== null) {
    out[at++] = doc.length
    put(doc)
  }
  view.setUint16(at, body.changes.length)
  at += 2
  for (const c of body.changes) put(fromHex(c))
  out[at++] = body.authHeads.length
  for (const h of body.authHeads) put(fromHex(h))
  view.setUint32(at, details.length)
  at += 4
  put(details)
  return out
}

/** Signs a body into an entry. */
export function signEntry(body: EntryBody, signer: Signer): Entry {
  if (body.author !== signer.memberKey) throw new TypeError('entry author is not the signer')
  const bytes = encodeEntryBody(body)
  return { ...body, bytes, signature: signer.sign(bytes), hash: sha256Hex(bytes) as EntryHash }
}

/** Whether `bytes[start, start + length)` equals `other`. */
function rangeEquals(bytes: Uint8Array, start: number, length: number, other: Uint8Array): boolean {
  if (other.length !== length) return false
  for (let i = 0; i < length; i++) if (bytes[start + i] !== other[i]) return false
  return true
}

/**
 * Strict UTF-8 of `bytes[start, start + length)`, remembering the last value per field:
 * a batch repeats the same action and document id thousands of times. Throws
 * `TypeError` for bytes that are not UTF-8.
 */
function memoText(): (bytes: Uint8Array, start: number, length: number) => string {
  let lastBytes: Uint8Array = new Uint8Array(0)
  let lastText = ''
  return (bytes, start, length) => {
    if (!rangeEquals(bytes, start, length, lastBytes)) {
      lastText = utf8Text(bytes, start, length)
      lastBytes = bytes.slice(start, start + length)
    }
    return lastText
  }
}

/** Strict UTF-8 of a range: ASCII (every id and name our nodes write) read natively, else decoded. */
function utf8Text(bytes: Uint8Array, start: number, length: number): string {
  for (let i = start; i < start + length; i++)
    if ((bytes[i] as number) >= 0x80) return strictUtf8.decode(bytes.subarray(start, start + length))
  return bufferOver(bytes).toString('latin1', bytes.byteOffset + start, bytes.byteOffset + start + length)
}

/** Hex of a fixed-size range, remembering the last value (one author, the same roster heads). */
function memoHex<T>(
  convert: (bytes: Uint8Array, start: number, length: number) => T,
): (bytes: Uint8Array, start: number, length: number) => T {
  let lastBytes: Uint8Array | null = null
  let last: T
  return (bytes, start, length) => {
    if (lastBytes === null || !rangeEquals(bytes, start, length, lastBytes)) {
      last = convert(bytes, start, length)
      lastBytes = bytes.slice(start, start + length)
    }
    return last
  }
}
const hexOf = (bytes: Uint8Array, start: number, length: number): string =>
  bufferOver(bytes).toString('hex', bytes.byteOffset + start, bytes.byteOffset + start + length)
const authorHex = memoHex(hexOf)
const scopeHex = memoHex(hexOf)
/** Shared between entries, so frozen. */
const authHeadsHex = memoHex((bytes, start, length) => {
  const out: string[] = []
  for (let at = start; at < start + length; at += 32) out.push(hexOf(bytes, at, 32))
  return Object.freeze(out) as string[]
})
const actionText = memoText()
const resourceText = memoText()
const docText = memoText()

/**
 * A Buffer over all of `bytes`' memory, kept while calls come from it (a frame's entries
 * share one): native hex and latin1 slices without a Buffer per field.
 */
function bufferOver(bytes: Uint8Array): Buffer {
  if (bytes.buffer !== sliceSource) {
    sliceSource = bytes.buffer
    sliceView = Buffer.from(bytes.buffer)
  }
  return sliceView
}
let sliceSource: ArrayBufferLike | null = null
let sliceView: Buffer = Buffer.alloc(0)

/** A big-endian u64 at `at` (8 bytes known to be there), or null past the safe integers. */
function readU64(bytes: Uint8Array, at: number): number | null {
  const hi = readU32(bytes, at)
  if (hi >= 0x200000) return null
  return hi * 0x100000000 + readU32(bytes, at + 4)
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  )
}

/** Bytes of the fixed part after the domain prefix: author, seq, time, flags. */
const FIXED_BYTES = 32 + 8 + 8 + 1

/**
 * Decodes and checks the form of a signed entry from untrusted bytes. Never throws.
 * Does not check the signature.
 */
export function decodeEntry(signed: SignedEntry): DecodeResult {
  if (typeof signed !== 'object' || signed === null) return fail('not an entry')
  const { bytes, signature } = signed
  if (!(bytes instanceof Uint8Array) || !(signature instanceof Uint8Array)) return fail('not bytes')
  if (signature.length !== ED25519_SIGNATURE_BYTES) return fail('signature is not 64 bytes')
  if (bytes.length > ENTRY_LIMITS.maxBytes) return fail('entry too large', 'oversize')
  if (!rangeEquals(bytes, 0, ENTRY_DOMAIN.length, ENTRY_DOMAIN)) return fail('wrong domain prefix')
  // Every read is bounds-checked against the end first; fields are read in place.
  const end = bytes.length
  let at = ENTRY_DOMAIN.length
  if (at + FIXED_BYTES > end) return fail('truncated entry')
  try {
    const author = authorHex(bytes, at, 32)
    const seq = readU64(bytes, at + 32)
    const time = readU64(bytes, at + 40)
    const flags = bytes[at + 48] as number
    at += FIXED_BYTES
    if (seq === null || seq < 1) return fail('malformed entry field seq')
    if (time === null) return fail('malformed entry field time')
    if ((flags & ~(FLAG_PREV | FLAG_DOC | FLAG_SCOPE)) !== 0) return fail('malformed entry field flags')
    let scope: string | null = null
    if (flags & FLAG_SCOPE) {
      if (at + SCOPE_BYTES > end) return fail('truncated entry')
      scope = scopeHex(bytes, at, SCOPE_BYTES)
      at += SCOPE_BYTES
    }
    let prev: string | null = null
    if (flags & FLAG_PREV) {
      if (at + 32 > end) return fail('truncated entry')
      prev = hexOf(bytes, at, 32)
      at += 32
    }
    if (at + 1 > end) return fail('truncated entry')
    const actionLength = bytes[at++] as number
    if (at + actionLength + 2 > end) return fail('truncated entry')
    const action = actionText(bytes, at, actionLength)
    at += actionLength
    const resourceLength = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
    at += 2
    if (at + resourceLength > end) return fail('truncated entry')
    const resource = resourceText(bytes, at, resourceLength)
    at += resourceLength
    let doc: string | null = null
    if (flags & FLAG_DOC) {
      if (at + 1 > end) return fail('truncated entry')
      const docLength = bytes[at++] as number
      if (at + docLength > end) return fail('truncated entry')
      doc = docText(bytes, at, docLength)
      at += docLength
    }
    if (at + 2 > end) return fail('truncated entry')
    const changeCount = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
    at += 2
    if (at + 32 * changeCount + 1 > end) return fail('truncated entry')
    const changes: string[] = new Array(changeCount)
    for (let i = 0; i < changeCount; i++, at += 32) changes[i] = hexOf(bytes, at, 32)
    const headCount = bytes[at++] as number
    if (at + 32 * headCount + 4 > end) return fail('truncated entry')
    const authHeads = authHeadsHex(bytes, at, 32 * headCount)
    at += 32 * headCount
    const detailsLength = readU32(bytes, at)
    at += 4
    if (at + detailsLength > end) return fail('truncated entry')
    if (at + detailsLength !== end) return fail('trailing bytes')
    if (detailsLength > ENTRY_LIMITS.maxDetailsBytes) return fail('details too large', 'oversize')
    const details = decodeDetails(bytes.subarray(at, end))
    if (details === undefined) return fail('malformed entry field details')
    const entry: Entry = {
      scope,
      author: author as MemberKey,
      seq,
      prev: prev as EntryHash | null,
      time,
      action,
      resource,
      details: details === NON_CANONICAL ? null : details,
      doc: doc as DocId | null,
      changes: changes as ChangeHash[],
      authHeads: authHeads as ChangeHash[],
      bytes,
      signature,
      hash: sha256Hex(bytes) as EntryHash,
    }
    const problem = bodyProblem(entry, true)
    if (problem !== null) {
      const over =
        resource.length > ENTRY_LIMITS.maxResource ||
        changes.length > ENTRY_LIMITS.maxChanges ||
        authHeads.length > ENTRY_LIMITS.maxAuthHeads
      return fail(`malformed entry field ${problem}`, over ? 'oversize' : undefined)
    }
    if (details === NON_CANONICAL) return fail('non-canonical encoding')
    return { ok: true, entry }
  } catch (err) {
    if (err instanceof TypeError) return fail('malformed entry field text: not UTF-8')
    return fail('undecodable entry body')
  }
}

const NON_CANONICAL = Symbol('non-canonical')

/**
 * Recently seen small `details` encodings and their values, deep-frozen: a batch repeats
 * a few shapes thousands of times, and each costs a decode (and, off the fast path of
 * `readCanonical`, a CBOR decode and re-encode).
 */
const detailsSeen = new Map<string, JsonValue>()
const DETAILS_CACHE = { maxBytes: 96, maxEntries: 512 }

/**
 * The value of a `details` field; NON_CANONICAL when it is not the deterministic
 * encoding of that value (one body, one byte form); undefined when it does not decode.
 */
function decodeDetails(bytes: Uint8Array): JsonValue | typeof NON_CANONICAL | undefined {
  const cacheable = bytes.length <= DETAILS_CACHE.maxBytes
  const key = cacheable
    ? bufferOver(bytes).toString('latin1', bytes.byteOffset, bytes.byteOffset + bytes.length)
    : ''
  const seen = cacheable ? detailsSeen.get(key) : undefined
  if (seen !== undefined) return seen
  let value: JsonValue
  const simple = readCanonical(bytes)
  if (simple !== NOT_SIMPLE) value = simple
  else {
    try {
      value = dagCbor.decode(bytes)
    } catch {
      return undefined
    }
    if (!isJsonValue(value)) return value
    if (!bytesEqual(dagCbor.encode(value), bytes)) return NON_CANONICAL
  }
  if (cacheable && isJsonValue(value)) {
    if (detailsSeen.size >= DETAILS_CACHE.maxEntries) detailsSeen.clear()
    detailsSeen.set(key, deepFreeze(value))
    if (typeof value === 'object' && value !== null) knownJson.add(value)
  }
  return value
}

/** Cached `details` values: checked to be plain JSON once, when first decoded. */
const knownJson = new WeakSet<object>()

/** `readCanonical`'s answer for bytes it leaves to dag-cbor. */
export const NOT_SIMPLE = Symbol('not simple')
const MAX_SIMPLE_DEPTH = 16

/**
 * A fast path for the common `details`: the value, if `bytes` are exactly dag-cbor's
 * deterministic encoding of it (minimal lengths and integers, map keys text in dag-cbor
 * order, no duplicates) built only of maps, arrays, text, small integers, booleans and
 * null. Anything else, valid or not (floats, big integers, deep nesting, damage), is
 * NOT_SIMPLE and goes to dag-cbor itself, which stays the judge: this never accepts
 * bytes that decode differently there or that it would not write
 * (tests/crdt/chain/entry.test.ts checks both on random values and mutated bytes).
 */
export function readCanonical(bytes: Uint8Array): JsonValue | typeof NOT_SIMPLE {
  let at = 0
  const head = (): [major: number, arg: number] | null => {
    const b = bytes[at++]
    if (b === undefined) return null
    const info = b & 0x1f
    const major = b >> 5
    if (info < 24) return [major, info]
    let arg: number
    if (info === 24) {
      arg = bytes[at++] ?? -1
      if (arg < 24) return null
    } else if (info === 25) {
      if (at + 2 > bytes.length) return null
      arg = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
      at += 2
      if (arg < 0x100) return null
    } else if (info === 26) {
      if (at + 4 > bytes.length) return null
      arg =
        (bytes[at] as number) * 0x1000000 +
        (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
      at += 4
      if (arg < 0x10000) return null
    } else return null // 8-byte arguments and indefinite lengths: the general path
    return [major, arg]
  }
  const text = (length: number): string | null => {
    if (at + length > bytes.length) return null
    const slice = bytes.subarray(at, at + length)
    at += length
    try {
      return strictUtf8.decode(slice)
    } catch {
      return null
    }
  }
  const item = (depth: number): JsonValue | typeof NOT_SIMPLE => {
    if (depth > MAX_SIMPLE_DEPTH) return NOT_SIMPLE
    const h = head()
    if (h === null) return NOT_SIMPLE
    const [major, arg] = h
    switch (major) {
      case 0:
        return arg
      case 1:
        return -1 - arg
      case 3:
        return text(arg) ?? NOT_SIMPLE
      case 4: {
        const out: JsonValue[] = []
        for (let i = 0; i < arg; i++) {
          const v = item(depth + 1)
          if (v === NOT_SIMPLE) return NOT_SIMPLE
          out.push(v)
        }
        return out
      }
      case 5: {
        const out: { [key: string]: JsonValue } = {}
        let previous: Uint8Array | null = null
        for (let i = 0; i < arg; i++) {
          const k = head()
          if (k === null || k[0] !== 3) return NOT_SIMPLE
          const keyBytes = bytes.subarray(at, at + k[1])
          // dag-cbor order: shorter keys first, then bytewise; strictly (no duplicates).
          if (previous !== null && compareKeys(previous, keyBytes) >= 0) return NOT_SIMPLE
          previous = keyBytes
          const key = text(k[1])
          if (key === null || key === '__proto__') return NOT_SIMPLE
          const v = item(depth + 1)
          if (v === NOT_SIMPLE) return NOT_SIMPLE
          out[key] = v
        }
        return out
      }
      case 7:
        // Only false, true and null; floats and other simple values: the general path.
        if (arg === 20) return false
        if (arg === 21) return true
        if (arg === 22) return null
        return NOT_SIMPLE
      default:
        return NOT_SIMPLE // byte strings, tags
    }
  }
  const value = item(0)
  return at === bytes.length ? value : NOT_SIMPLE
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return 0
}

function deepFreeze(value: JsonValue): JsonValue {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

function fail(reason: string, kind?: 'oversize'): DecodeResult {
  return kind === undefined ? { ok: false, reason } : { ok: false, reason, kind }
}

/**
 * The document and change hashes of an entry this node stored (so verified when it
 * arrived), read without decoding the rest: serving a catch-up reads thousands. Null if
 * the bytes do not have the layout (damage; `decodeEntry` says why).
 */
export function entryRefs(bytes: Uint8Array): { doc: DocId | null; changes: ChangeHash[] } | null {
  const found = entryDocAt(bytes)
  if (found === null) return null
  const { doc } = found
  let { at } = found
  if (at + 2 > bytes.length) return null
  const n = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
  at += 2
  if (at + 32 * n > bytes.length) return null
  const changes: ChangeHash[] = []
  for (let i = 0; i < n; i++, at += 32) changes.push(toHex(bytes.subarray(at, at + 32)) as ChangeHash)
  return { doc, changes }
}

/**
 * The document of a stored entry (null: none), read as `entryRefs` reads it but without
 * its change hashes; undefined if the bytes do not have the layout.
 */
export function entryDoc(bytes: Uint8Array): DocId | null | undefined {
  return entryDocAt(bytes)?.doc
}

/** An entry's document and the offset just past it, or null if the layout does not hold. */
function entryDocAt(bytes: Uint8Array): { doc: DocId | null; at: number } | null {
  let at = ENTRY_DOMAIN.length + 32 + 8 + 8
  if (bytes.length < at + 1) return null
  const flags = bytes[at++] as number
  if (flags & FLAG_SCOPE) at += SCOPE_BYTES
  if (flags & FLAG_PREV) at += 32
  at += 1 + (bytes[at] ?? 0)
  if (at + 2 > bytes.length) return null
  at += 2 + (((bytes[at] as number) << 8) | (bytes[at + 1] as number))
  let doc: string | null = null
  if (flags & FLAG_DOC) {
    const len = bytes[at] ?? 0
    if (at + 1 + len > bytes.length) return null
    try {
      doc = docText(bytes, at + 1, len)
    } catch {
      return null // not UTF-8
    }
    at += 1 + len
  }
  return { doc: doc as DocId | null, at }
}

/**
 * The scope of signed entry bytes, read at its fixed place without decoding the rest
 * (undefined when the bytes are too short to say: `decodeEntry` refuses them).
 */
export function entryScope(bytes: Uint8Array): EntryScope | undefined {
  const at = ENTRY_DOMAIN.length + 32 + 8 + 8
  const flags = bytes[at]
  if (flags === undefined) return undefined
  if ((flags & FLAG_SCOPE) === 0) return null
  if (bytes.length < at + 1 + SCOPE_BYTES) return undefined
  return scopeHex(bytes, at + 1, SCOPE_BYTES)
}

/** Storage / wire form: 64-byte signature followed by the canonical bytes. */
export function packEntry(entry: SignedEntry): Uint8Array {
  const { signature: sig, bytes } = entry
  // Unpacked from this form (as every received entry is): the same bytes, no copy.
  if (sig.buffer === bytes.buffer && sig.byteOffset + sig.length === bytes.byteOffset)
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.length + bytes.length)
  const out = new Uint8Array(entry.signature.length + entry.bytes.length)
  out.set(entry.signature)
  out.set(entry.bytes, entry.signature.length)
  return out
}

export function unpackEntry(packed: Uint8Array): SignedEntry {
  return {
    signature: packed.subarray(0, ED25519_SIGNATURE_BYTES),
    bytes: packed.subarray(ED25519_SIGNATURE_BYTES),
  }
}
