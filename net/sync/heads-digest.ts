/**
 * The digest of a node's chain heads for an org (sync protocol 1.1.0): SHA-256 over a
 * domain prefix, the org id and every `author:seq` in author order. Two nodes whose
 * digests match hold the same heads for the org, so a pull between them needs no heads
 * exchange (one frame each way); any difference (an author more or less, a seq higher or
 * lower) changes the digest and the full exchange follows.
 *
 * Computed once per heads map: a source that hands back the same map while its heads
 * are unchanged (see `SyncSource.heads`) pays for the hash once per change, not per pull.
 */
import { createHash } from 'node:crypto'

/** Length of a heads digest in bytes. */
export const HEADS_DIGEST_BYTES = 32

const PREFIX = 'verseguy/sync/heads-digest/1\n'
const byMap = new WeakMap<ReadonlyMap<string, number>, { org: string; digest: Uint8Array }>()

/** The digest of `heads` (author → highest seq held) for `org`. */
export function headsDigest(org: string, heads: ReadonlyMap<string, number>): Uint8Array {
  const hit = byMap.get(heads)
  if (hit !== undefined && hit.org === org) return hit.digest
  const authors = [...heads.keys()].sort()
  const h = createHash('sha256').update(PREFIX).update(org).update('\n')
  for (const a of authors) h.update(`${a}:${heads.get(a)}\n`)
  const digest = new Uint8Array(h.digest())
  byMap.set(heads, { org, digest })
  return digest
}

/** Whether two digests are the same bytes. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
