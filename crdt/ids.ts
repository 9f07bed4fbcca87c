/**
 * Branded identifiers. Values are checked once at the edge (`parse*`) and trusted
 * inside. All are lower-case hex or short ASCII strings, safe in LevelDB keys.
 */
declare const brand: unique symbol
type Brand<T, B extends string> = T & { readonly [brand]: B }

/** A member's Ed25519 public key, 64 lower-case hex characters. */
export type MemberKey = Brand<string, 'MemberKey'>
/** An Automerge change hash, 64 lower-case hex characters. */
export type ChangeHash = Brand<string, 'ChangeHash'>
/** SHA-256 of a chain entry's signed bytes, 64 lower-case hex characters. */
export type EntryHash = Brand<string, 'EntryHash'>
/** A document id: lower-case letters, digits, `-`, `_` and `.`, with an optional `type:` prefix. */
export type DocId = Brand<string, 'DocId'>

const HEX64 = /^[0-9a-f]{64}$/
const DOC_ID = /^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9_.-]{1,128}$/

export function isHex64(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value)
}

export function isMemberKey(value: unknown): value is MemberKey {
  return isHex64(value)
}

export function isChangeHash(value: unknown): value is ChangeHash {
  return isHex64(value)
}

export function isDocId(value: unknown): value is DocId {
  return typeof value === 'string' && DOC_ID.test(value)
}

function parseWith<T>(guard: (v: unknown) => v is T, what: string, value: unknown): T {
  if (!guard(value)) throw new TypeError(`invalid ${what}: ${JSON.stringify(value)?.slice(0, 80)}`)
  return value
}

export const parseMemberKey = (v: unknown): MemberKey => parseWith(isMemberKey, 'member key', v)
export const parseChangeHash = (v: unknown): ChangeHash => parseWith(isChangeHash, 'change hash', v)
export const parseDocId = (v: unknown): DocId => parseWith(isDocId, 'document id (type:name)', v)
