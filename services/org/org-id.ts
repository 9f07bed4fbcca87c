import { randomBytes } from 'node:crypto'
import { fromHex, type MemberKey, sha256, toHex } from '../../crdt/index.ts'

const DOMAIN = new TextEncoder().encode('verseguy/org-id/v1\n')

/**
 * An org id is bound to its founder: SHA-256 of the founder's key and a nonce, so no one
 * else can write a first change for the same roster document.
 */
export function deriveOrgId(founder: MemberKey, nonce: string): string {
  const key = fromHex(founder)
  const n = fromHex(nonce)
  const input = new Uint8Array(DOMAIN.length + key.length + n.length)
  input.set(DOMAIN)
  input.set(key, DOMAIN.length)
  input.set(n, DOMAIN.length + key.length)
  return toHex(sha256(input).subarray(0, 16))
}

export function newNonce(): string {
  return randomBytes(16).toString('hex')
}

export const ORG_ID = /^[0-9a-f]{32}$/

export function isOrgId(value: unknown): value is string {
  return typeof value === 'string' && ORG_ID.test(value)
}
