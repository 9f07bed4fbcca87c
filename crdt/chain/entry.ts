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
 * It decodes with a few bounds-checked reads (~5 µs, entry-decode.ts), which matters on
 * catch-up; entry-refs.ts reads single fields in place, entry-details.ts the details.
 *
 * A chain is one author's entries in one scope: the org the entries belong to (a 16-byte
 * id, given in hex), or none for the node-local chain (node-only events, never sent).
 * seq and prev link within one (scope, author) chain. This layer treats a scope as an
 * opaque id; what belongs to which scope is the domain's rule.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { ED25519_SIGNATURE_BYTES, fromHex, sha256Hex } from '../crypto.ts'
import type { ChangeHash, DocId, EntryHash, MemberKey } from '../ids.ts'
import { isDocId } from '../ids.ts'
import { isJsonValue, type JsonValue } from '../json.ts'
import { knownJson } from './entry-details.ts'

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

export const FLAG_PREV = 1
export const FLAG_DOC = 2
export const FLAG_SCOPE = 4
export const SCOPE_BYTES = 16
const utf8 = new TextEncoder()

/**
 * Why a body cannot be an entry, naming the field; null when it can. `decoded`: the
 * keys and hashes came from the decoder's own hex conversion, so their form is known.
 */
export function bodyProblem(b: EntryBody, decoded = false): string | null {
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
