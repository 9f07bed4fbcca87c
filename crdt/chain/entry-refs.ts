/**
 * Fields of stored or received entry bytes read at their fixed places without decoding
 * the rest (the layout is in entry.ts): serving a catch-up reads thousands.
 */
import { toHex } from '../crypto.ts'
import type { ChangeHash, DocId } from '../ids.ts'
import { ENTRY_DOMAIN, type EntryScope, FLAG_DOC, FLAG_PREV, FLAG_SCOPE, SCOPE_BYTES } from './entry.ts'
import { docText, scopeHex } from './entry-bytes.ts'

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
