/**
 * Decoding signed entries from untrusted bytes (the layout is in entry.ts): a few
 * bounds-checked reads in place, never a throw, one accepted byte form per body.
 */
import { ED25519_SIGNATURE_BYTES, sha256Hex } from '../crypto.ts'
import type { ChangeHash, DocId, EntryHash, MemberKey } from '../ids.ts'
import {
  bodyProblem,
  type DecodeResult,
  ENTRY_DOMAIN,
  ENTRY_LIMITS,
  type Entry,
  FLAG_DOC,
  FLAG_PREV,
  FLAG_SCOPE,
  SCOPE_BYTES,
  type SignedEntry,
} from './entry.ts'
import {
  actionText,
  authHeadsHex,
  authorHex,
  docText,
  hexOf,
  rangeEquals,
  readU32,
  readU64,
  resourceText,
  scopeHex,
} from './entry-bytes.ts'
import { decodeDetails, NON_CANONICAL } from './entry-details.ts'

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

function fail(reason: string, kind?: 'oversize'): DecodeResult {
  return kind === undefined ? { ok: false, reason } : { ok: false, reason, kind }
}
