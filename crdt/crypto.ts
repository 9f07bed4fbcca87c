/**
 * Ed25519 and SHA-256 on node:crypto: the hot path. Public keys are turned into
 * KeyObjects once and cached (building one per call costs a third of a verify).
 * `@noble/ed25519` / `@noble/hashes` cross-check these in the tests.
 */
import { createPrivateKey, createPublicKey, hash, type KeyObject, sign, verify } from 'node:crypto'

export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SEED_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64
export const SHA256_BYTES = 32

// PKCS#8 / SPKI DER prefixes for raw Ed25519 keys (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const publicKeyCache = new Map<string, KeyObject>()
const PUBLIC_KEY_CACHE_LIMIT = 4096

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', data, 'buffer'))
}

/** SHA-256 of `data` as lower-case hex (one native call). */
export function sha256Hex(data: Uint8Array): string {
  return hash('sha256', data, 'hex')
}

/** A KeyObject for a raw 32-byte Ed25519 public key, cached by key. */
export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new TypeError('Ed25519 public key must be 32 bytes')
  const id = Buffer.from(publicKey).toString('hex')
  let key = publicKeyCache.get(id)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.clear()
    publicKeyCache.set(id, key)
  }
  return key
}

/** A KeyObject for a raw 32-byte Ed25519 seed (private key). Never cached globally. */
export function ed25519PrivateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_SEED_BYTES) throw new TypeError('Ed25519 seed must be 32 bytes')
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

/** The raw 32-byte public key of an Ed25519 private KeyObject. */
export function ed25519RawPublicKey(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(SPKI_PREFIX.length))
}

/** Signs `data` with an Ed25519 private KeyObject. */
export function ed25519Sign(privateKey: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, data, privateKey))
}

/** Verifies an Ed25519 signature; false (never a throw) for malformed keys or signatures. */
export function ed25519Verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false
  try {
    return verify(null, data, ed25519PublicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}

/** Constant-time-irrelevant byte equality (for public data such as hashes). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Lower-case hex of bytes. Native, and a flat string: a string built by concatenation
 * is a rope that V8 flattens again each time it becomes a Map key (3× slower overall).
 */
export function toHex(bytes: Uint8Array): string {
  // One Buffer over the whole underlying memory, kept while calls come from it (a frame's
  // entries share one): making a Buffer per call was a fifth of decoding an entry.
  if (bytes.buffer !== hexSource) {
    hexSource = bytes.buffer
    hexView = Buffer.from(bytes.buffer)
  }
  return hexView.toString('hex', bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
}
let hexSource: ArrayBufferLike | null = null
let hexView: Buffer = Buffer.alloc(0)

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TypeError('not lower-case hex')
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
