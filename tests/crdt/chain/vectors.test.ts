/**
 * Fixed test vectors (tests/vectors/chain-vectors.json, generated once from fixed seeds
 * and times). They pin the entry format: if the encoding, the domain, the hash or the
 * signature scheme ever changes, these fail.
 */
import { readFileSync } from 'node:fs'
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import {
  type ChainStatus,
  decodeEntry,
  type EntryBody,
  type EntryHash,
  encodeEntryBody,
  fromHex,
  type MemberKey,
  type SignedEntry,
  sha256,
  signEntry,
  toHex,
  verifyChain,
} from '../../../crdt/index.ts'
import { bodyOf, makeSigner } from '../../helpers/signer.ts'

ed.hashes.sha512 = sha512

interface HexEntry {
  readonly bytes: string
  readonly signature: string
}

interface Vectors {
  readonly seed: string
  readonly publicKey: MemberKey
  readonly otherSeed: string
  readonly otherPublicKey: MemberKey
  readonly bodies: readonly EntryBody[]
  readonly hashes: readonly EntryHash[]
  readonly chains: readonly {
    readonly name: string
    readonly entries: readonly HexEntry[]
    readonly knownHead?: HexEntry
    readonly expected: { readonly status: ChainStatus; readonly verified: number; readonly headSeq: number }
  }[]
}

const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/chain-vectors.json', import.meta.url), 'utf8'),
) as Vectors

const fromHexEntry = (e: HexEntry): SignedEntry => ({
  bytes: fromHex(e.bytes),
  signature: fromHex(e.signature),
})
const valid = vectors.chains.find((c) => c.name === 'valid')

describe('chain vectors: keys and the valid chain', () => {
  it('the public keys derive from the fixed seeds (node:crypto and @noble/ed25519)', () => {
    for (const [seed, key] of [
      [vectors.seed, vectors.publicKey],
      [vectors.otherSeed, vectors.otherPublicKey],
    ] as const) {
      expect(makeSigner(fromHex(seed)).memberKey).toBe(key)
      expect(toHex(ed.getPublicKey(fromHex(seed)))).toBe(key)
    }
  })

  it('covers every verdict', () => {
    const names = vectors.chains.map((c) => c.name)
    for (const name of [
      'valid',
      'tampered-signature',
      'tampered-byte',
      'gap',
      'fork',
      'truncated',
      'out-of-order',
      'another-author-spliced',
    ])
      expect(names).toContain(name)
    const statuses = new Set(vectors.chains.map((c) => c.expected.status))
    expect([...statuses].sort()).toEqual(['fork', 'gap', 'ok', 'tampered', 'truncated'])
  })

  it('the pinned bodies encode to exactly the pinned bytes, with the pinned hashes', () => {
    if (valid === undefined) throw new Error('no valid chain')
    expect(vectors.bodies).toHaveLength(valid.entries.length)
    vectors.bodies.forEach((body, i) => {
      const bytes = encodeEntryBody(body)
      expect(toHex(bytes)).toBe(valid.entries[i]?.bytes)
      expect(toHex(sha256(bytes))).toBe(vectors.hashes[i])
    })
  })

  it('the pinned bytes decode to the pinned bodies and hashes', () => {
    if (valid === undefined) throw new Error('no valid chain')
    valid.entries.forEach((e, i) => {
      const d = decodeEntry(fromHexEntry(e))
      if (!d.ok) throw new Error(d.reason)
      expect(bodyOf(d.entry)).toEqual(vectors.bodies[i])
      expect(d.entry.hash).toBe(vectors.hashes[i])
    })
  })

  it('signing the pinned bodies with the seed reproduces the pinned signatures (node:crypto and @noble)', () => {
    if (valid === undefined) throw new Error('no valid chain')
    const signer = makeSigner(fromHex(vectors.seed))
    vectors.bodies.forEach((body, i) => {
      const entry = signEntry(body, signer)
      expect(toHex(entry.signature)).toBe(valid.entries[i]?.signature)
      expect(toHex(ed.sign(entry.bytes, fromHex(vectors.seed)))).toBe(valid.entries[i]?.signature)
      expect(entry.hash).toBe(vectors.hashes[i])
    })
  })
})

describe('chain vectors: verdicts', () => {
  for (const c of vectors.chains) {
    for (const mode of ['all', 'head'] as const) {
      it(`${c.name}: ${c.expected.status} (signatures: ${mode})`, () => {
        const report = verifyChain(vectors.publicKey, c.entries.map(fromHexEntry), {
          signatures: mode,
          ...(c.knownHead ? { knownHead: fromHexEntry(c.knownHead) } : {}),
        })
        expect({
          status: report.status,
          verified: report.verified,
          headSeq: report.head?.seq ?? 0,
        }).toEqual(c.expected)
        if (report.head !== null) expect(report.head.hash).toBe(vectors.hashes[report.head.seq - 1])
      })
    }
  }
})
