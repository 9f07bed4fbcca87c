/**
 * The `details` field of an entry: deterministic dag-cbor, read by a fast path for the
 * common small values (checked against dag-cbor itself) and cached per byte form.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { bytesEqual } from '../crypto.ts'
import { isJsonValue, type JsonValue } from '../json.ts'
import { bufferOver, strictUtf8 } from './entry-bytes.ts'

export const NON_CANONICAL = Symbol('non-canonical')

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
export function decodeDetails(bytes: Uint8Array): JsonValue | typeof NON_CANONICAL | undefined {
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
export const knownJson = new WeakSet<object>()

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
