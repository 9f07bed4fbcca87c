import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import {
  type ChangeHash,
  type DocId,
  decodeEntry,
  ENTRY_DOMAIN,
  ENTRY_LIMITS,
  type Entry,
  type EntryBody,
  type EntryHash,
  ed25519Verify,
  encodeEntryBody,
  fromHex,
  type JsonValue,
  type MemberKey,
  packEntry,
  sha256,
  signEntry,
  toHex,
  unpackEntry,
} from '../../../crdt/index.ts'
import { bodyOf, buildChain, entryBody, fakeHash, makeSigner, signedForm } from '../../helpers/signer.ts'

ed.hashes.sha512 = sha512

const signer = makeSigner()
const other = makeSigner()
const [first, second] = buildChain(signer, 2) as [Entry, Entry]

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** The decoded wire map of an entry (keys and hashes as bytes). */
function wireOf(bytes: Uint8Array): Record<string, unknown> {
  return dagCbor.decode(bytes.subarray(ENTRY_DOMAIN.length)) as Record<string, unknown>
}

/** Domain plus the dag-cbor encoding of a wire map, bypassing `encodeEntryBody`'s checks. */
function rawEntry(wire: Record<string, unknown>): Uint8Array {
  return concat(ENTRY_DOMAIN, dagCbor.encode(wire))
}

/** A CBOR map (< 24 keys) with its pairs in the given key order, encoded by hand. */
function mapInOrder(wire: Record<string, unknown>, keys: readonly string[]): Uint8Array {
  return concat(
    new Uint8Array([0xa0 + keys.length]),
    ...keys.flatMap((k) => [dagCbor.encode(k), dagCbor.encode(wire[k])]),
  )
}

/** A signed (validly, by `signer`) entry of arbitrary bytes: decoding must still refuse it. */
function signedRaw(bytes: Uint8Array) {
  return { bytes, signature: signer.sign(bytes) }
}

describe('entry codec: round trip', () => {
  it('decodes what signEntry produced into the same body, bytes, signature and hash', () => {
    for (const entry of [first, second]) {
      const decoded = decodeEntry(signedForm(entry))
      expect(decoded.ok).toBe(true)
      if (!decoded.ok) return
      expect(bodyOf(decoded.entry)).toEqual(bodyOf(entry))
      expect(decoded.entry.bytes).toEqual(entry.bytes)
      expect(decoded.entry.signature).toEqual(entry.signature)
      expect(decoded.entry.hash).toBe(entry.hash)
      expect(encodeEntryBody(bodyOf(decoded.entry))).toEqual(entry.bytes)
    }
  })

  it('canonical bytes are ENTRY_DOMAIN || dag-cbor(body), hash is sha256 of them, signature is over them', () => {
    expect(new TextDecoder().decode(ENTRY_DOMAIN)).toBe('verseguy/chain-entry/v1\n')
    expect(first.bytes.subarray(0, ENTRY_DOMAIN.length)).toEqual(ENTRY_DOMAIN)
    const wire = wireOf(first.bytes)
    expect(concat(ENTRY_DOMAIN, dagCbor.encode(wire))).toEqual(first.bytes)
    expect(wire.author).toEqual(signer.publicKey)
    expect(first.hash).toBe(toHex(sha256(first.bytes)))
    expect(ed25519Verify(signer.publicKey, first.bytes, first.signature)).toBe(true)
    expect(ed25519Verify(signer.publicKey, second.bytes, first.signature)).toBe(false)
    expect(ed25519Verify(other.publicKey, first.bytes, first.signature)).toBe(false)
  })

  it('encoding is deterministic: details key order does not change the bytes', () => {
    const a = encodeEntryBody(entryBody(signer.memberKey, 1, null, { details: { z: 1, a: { y: 2, b: 3 } } }))
    const b = encodeEntryBody(entryBody(signer.memberKey, 1, null, { details: { a: { b: 3, y: 2 }, z: 1 } }))
    expect(a).toEqual(b)
  })

  it('packEntry / unpackEntry round trip the storage form (signature first)', () => {
    const packed = packEntry(second)
    expect(packed.length).toBe(64 + second.bytes.length)
    expect(packed.subarray(0, 64)).toEqual(second.signature)
    const back = unpackEntry(packed)
    expect(back.signature).toEqual(second.signature)
    expect(back.bytes).toEqual(second.bytes)
    const decoded = decodeEntry(back)
    expect(decoded.ok && decoded.entry.hash).toBe(second.hash)
  })

  it('signEntry refuses a body whose author is not the signer', () => {
    expect(() => signEntry(entryBody(other.memberKey, 1, null), signer)).toThrow(TypeError)
  })

  it('accepts the limits exactly: 1024 changes, 64 authHeads, 256-character resource', () => {
    const body = entryBody(signer.memberKey, 1, null, {
      doc: 'test:doc' as DocId,
      changes: Array.from({ length: ENTRY_LIMITS.maxChanges }, (_, i) => fakeHash<ChangeHash>(`c${i}`)),
      authHeads: Array.from({ length: ENTRY_LIMITS.maxAuthHeads }, (_, i) => fakeHash<ChangeHash>(`h${i}`)),
      resource: 'r'.repeat(ENTRY_LIMITS.maxResource),
    })
    const entry = signEntry(body, signer)
    const decoded = decodeEntry(signedForm(entry))
    expect(decoded.ok).toBe(true)
    if (decoded.ok) expect(bodyOf(decoded.entry)).toEqual(body)
  })
})

describe('entry codec: cross-check with @noble', () => {
  it('a node:crypto signature verifies with @noble/ed25519, and a bad one does not', () => {
    for (const entry of [first, second]) {
      expect(ed.verify(entry.signature, entry.bytes, signer.publicKey)).toBe(true)
      const bad = Uint8Array.from(entry.signature)
      bad[10] = (bad[10] ?? 0) ^ 1
      expect(ed.verify(bad, entry.bytes, signer.publicKey)).toBe(false)
      expect(ed.verify(entry.signature, entry.bytes, other.publicKey)).toBe(false)
    }
  })

  it('a signature made with @noble/ed25519 from the same seed is byte-identical (Ed25519 is deterministic)', () => {
    const seed = new Uint8Array(32).fill(7)
    const seeded = makeSigner(seed)
    expect(ed.getPublicKey(seed)).toEqual(seeded.publicKey)
    const [entry] = buildChain(seeded, 1)
    if (entry === undefined) throw new Error('no entry')
    expect(ed.sign(entry.bytes, seed)).toEqual(entry.signature)
  })

  it('the entry hash equals @noble/hashes sha256 of the bytes', () => {
    for (const entry of [first, second]) expect(entry.hash).toBe(toHex(nobleSha256(entry.bytes)))
  })
})

describe('entry codec: decodeEntry refuses', () => {
  it('a wrong domain prefix (another version, a flipped prefix byte, no prefix)', () => {
    const body = second.bytes.subarray(ENTRY_DOMAIN.length)
    const v2 = concat(new TextEncoder().encode('verseguy/chain-entry/v2\n'), body)
    expect(decodeEntry(signedRaw(v2))).toEqual({ ok: false, reason: 'wrong domain prefix' })
    for (let i = 0; i < ENTRY_DOMAIN.length; i++) {
      const bytes = Uint8Array.from(second.bytes)
      bytes[i] = (bytes[i] ?? 0) ^ 0x20
      expect(decodeEntry(signedRaw(bytes))).toEqual({ ok: false, reason: 'wrong domain prefix' })
    }
    expect(decodeEntry(signedRaw(Uint8Array.from(body)))).toEqual({
      ok: false,
      reason: 'wrong domain prefix',
    })
  })

  it('every truncation of the bytes', () => {
    for (let len = 0; len < second.bytes.length; len++) {
      const result = decodeEntry({ bytes: second.bytes.slice(0, len), signature: second.signature })
      expect(result.ok, `truncated to ${len}`).toBe(false)
    }
  })

  it('extra trailing bytes', () => {
    for (const extra of [[0], [0xa0], [0xf6], [1, 2, 3]]) {
      const bytes = concat(second.bytes, new Uint8Array(extra))
      expect(decodeEntry(signedRaw(bytes))).toEqual({ ok: false, reason: 'undecodable entry body' })
    }
  })

  it('non-canonical CBOR: the same body map with its keys in another order', () => {
    const wire = wireOf(second.bytes)
    const canonical = Object.keys(wire)
    expect(concat(ENTRY_DOMAIN, mapInOrder(wire, canonical))).toEqual(second.bytes)
    const orders = [
      [...canonical].reverse(),
      [...canonical].sort(),
      [...canonical.slice(1), canonical[0] ?? ''],
    ]
    for (const order of orders) {
      const bytes = concat(ENTRY_DOMAIN, mapInOrder(wire, order))
      expect(bytes.length).toBe(second.bytes.length)
      expect(decodeEntry(signedRaw(bytes))).toEqual({ ok: false, reason: 'non-canonical encoding' })
    }
  })

  it('non-canonical CBOR: a whole number encoded as a float, a non-minimal length or integer, an indefinite map', () => {
    const wire = wireOf(second.bytes)
    const keys = Object.keys(wire)
    const withValue = (key: string, value: Uint8Array) =>
      concat(
        ENTRY_DOMAIN,
        new Uint8Array([0xa0 + keys.length]),
        ...keys.flatMap((k) => [dagCbor.encode(k), k === key ? value : dagCbor.encode(wire[k])]),
      )
    const float = new Uint8Array(9)
    float[0] = 0xfb
    new DataView(float.buffer).setFloat64(1, wire.time as number)
    expect(decodeEntry(signedRaw(withValue('time', float))).ok).toBe(false)
    expect(decodeEntry(signedRaw(withValue('seq', new Uint8Array([0x18, 2])))).ok).toBe(false)
    const body = second.bytes.subarray(ENTRY_DOMAIN.length)
    const longHeader = concat(ENTRY_DOMAIN, new Uint8Array([0xb8, keys.length]), body.subarray(1))
    expect(decodeEntry(signedRaw(longHeader)).ok).toBe(false)
    const indefinite = concat(ENTRY_DOMAIN, new Uint8Array([0xbf]), body.subarray(1), new Uint8Array([0xff]))
    expect(decodeEntry(signedRaw(indefinite)).ok).toBe(false)
  })

  it('a duplicated map key', () => {
    const wire = wireOf(second.bytes)
    const keys = Object.keys(wire)
    const bytes = concat(
      ENTRY_DOMAIN,
      new Uint8Array([0xa0 + keys.length + 1]),
      ...keys.flatMap((k) => [dagCbor.encode(k), dagCbor.encode(wire[k])]),
      dagCbor.encode('seq'),
      dagCbor.encode(3),
    )
    expect(decodeEntry(signedRaw(bytes)).ok).toBe(false)
  })

  it('a signature of the wrong length', () => {
    for (const length of [0, 1, 32, 63, 65, 128]) {
      const signature = new Uint8Array(length)
      signature.set(second.signature.subarray(0, Math.min(length, 64)))
      expect(decodeEntry({ bytes: second.bytes, signature })).toEqual({
        ok: false,
        reason: 'signature is not 64 bytes',
      })
    }
  })

  it('things that are not bytes', () => {
    const notBytes = [
      { bytes: Array.from(second.bytes), signature: second.signature },
      { bytes: second.bytes, signature: Array.from(second.signature) },
      { bytes: toHex(second.bytes), signature: second.signature },
    ] as unknown as Parameters<typeof decodeEntry>[0][]
    for (const signed of notBytes) expect(decodeEntry(signed)).toEqual({ ok: false, reason: 'not bytes' })
  })

  it('an oversized entry, and details over their own limit', () => {
    const wire = wireOf(first.bytes)
    const huge = rawEntry({ ...wire, details: 'x'.repeat(ENTRY_LIMITS.maxBytes) })
    expect(huge.length).toBeGreaterThan(ENTRY_LIMITS.maxBytes)
    expect(decodeEntry(signedRaw(huge))).toEqual({ ok: false, reason: 'entry too large' })
    const bigDetails = rawEntry({ ...wire, details: 'x'.repeat(ENTRY_LIMITS.maxDetailsBytes + 1) })
    expect(bigDetails.length).toBeLessThan(ENTRY_LIMITS.maxBytes)
    expect(decodeEntry(signedRaw(bigDetails))).toEqual({ ok: false, reason: 'details too large' })
  })

  it('a body that is not a map, or has missing or extra fields', () => {
    const wire = wireOf(first.bytes)
    const { doc: _doc, ...missing } = wire
    const cases: [unknown, string][] = [
      [[1, 2, 3], 'malformed entry field body: not a map'],
      ['text', 'malformed entry field body: not a map'],
      [null, 'malformed entry field body: not a map'],
      [missing, 'malformed entry field body: wrong set of fields'],
      [{ ...wire, extra: 1 }, 'malformed entry field body: wrong set of fields'],
      [{ ...missing, docs: null }, 'malformed entry field body: wrong set of fields'],
    ]
    for (const [raw, reason] of cases) {
      expect(decodeEntry(signedRaw(concat(ENTRY_DOMAIN, dagCbor.encode(raw))))).toEqual({ ok: false, reason })
    }
  })
})

describe('entry codec: malformed fields', () => {
  const key = signer.memberKey
  const h = (label: string) => fakeHash<EntryHash>(label)
  const c = (label: string) => fakeHash<ChangeHash>(label)
  const u8 = new Uint8Array([1, 2])
  /** [what, body, field named in the error] */
  const cases: [string, EntryBody, string][] = [
    ['seq 0', entryBody(key, 0, null), 'seq'],
    ['negative seq', entryBody(key, -1, null), 'seq'],
    ['fractional seq', entryBody(key, 1.5, null), 'seq'],
    ['unsafe seq', entryBody(key, 2 ** 53, h('p')), 'seq'],
    ['prev present on seq 1', entryBody(key, 1, h('p')), 'prev'],
    ['prev missing on seq 2', entryBody(key, 2, null), 'prev'],
    ['author of 31 bytes', entryBody(key.slice(2) as MemberKey, 1, null), 'author'],
    ['negative time', entryBody(key, 1, null, { time: -1 }), 'time'],
    ['fractional time', entryBody(key, 1, null, { time: 1.5 }), 'time'],
    ['action with upper case', entryBody(key, 1, null, { action: 'Org.create' }), 'action'],
    ['action without a dot', entryBody(key, 1, null, { action: 'org' }), 'action'],
    ['action with an empty word', entryBody(key, 1, null, { action: 'org..create' }), 'action'],
    ['action ending in a dot', entryBody(key, 1, null, { action: 'org.' }), 'action'],
    ['action starting with a digit', entryBody(key, 1, null, { action: '1org.create' }), 'action'],
    ['action with a space', entryBody(key, 1, null, { action: 'org.cre ate' }), 'action'],
    ['action over 64 characters', entryBody(key, 1, null, { action: `org.${'a'.repeat(61)}` }), 'action'],
    ['empty resource', entryBody(key, 1, null, { resource: '' }), 'resource'],
    ['resource over 256 characters', entryBody(key, 1, null, { resource: 'r'.repeat(257) }), 'resource'],
    [
      'details with a Uint8Array',
      entryBody(key, 1, null, { details: { b: u8 } as unknown as JsonValue }),
      'details',
    ],
    [
      'details with undefined',
      entryBody(key, 1, null, { details: { u: undefined } as unknown as JsonValue }),
      'details',
    ],
    ['details undefined', entryBody(key, 1, null, { details: undefined as unknown as JsonValue }), 'details'],
    ['details with NaN', entryBody(key, 1, null, { details: [Number.NaN] }), 'details'],
    [
      'details with Infinity',
      entryBody(key, 1, null, { details: { x: Number.POSITIVE_INFINITY } }),
      'details',
    ],
    [
      'details with a Date',
      entryBody(key, 1, null, { details: { d: new Date(0) } as unknown as JsonValue }),
      'details',
    ],
    [
      'details with a Map',
      entryBody(key, 1, null, { details: new Map() as unknown as JsonValue }),
      'details',
    ],
    [
      'details with a bigint',
      entryBody(key, 1, null, { details: { n: 1n } as unknown as JsonValue }),
      'details',
    ],
    ['doc that is not a document id', entryBody(key, 1, null, { doc: 'no-colon' as DocId }), 'doc'],
    ['changes without doc', entryBody(key, 1, null, { doc: null, changes: [c('x')] }), 'doc'],
    [
      'more than 1024 changes',
      entryBody(key, 1, null, {
        doc: 'test:doc' as DocId,
        changes: Array.from({ length: 1025 }, (_, i) => c(`c${i}`)),
      }),
      'changes',
    ],
    [
      'a change hash of 31 bytes',
      entryBody(key, 2, h('p'), { changes: [c('x').slice(2) as ChangeHash] }),
      'changes',
    ],
    [
      'more than 64 authHeads',
      entryBody(key, 1, null, { authHeads: Array.from({ length: 65 }, (_, i) => c(`a${i}`)) }),
      'authHeads',
    ],
  ]

  for (const [what, body, field] of cases) {
    it(`encodeEntryBody throws a TypeError naming ${field} for ${what}`, () => {
      expect(() => encodeEntryBody(body)).toThrow(TypeError)
      expect(() => encodeEntryBody(body)).toThrow(new RegExp(`invalid entry field ${field}:`))
    })
  }

  it('encodeEntryBody throws a TypeError for a key or hash that is not lower-case hex', () => {
    const bad: EntryBody[] = [
      entryBody(key.toUpperCase() as MemberKey, 1, null),
      entryBody(key, 2, 'zz' as EntryHash),
      entryBody(key, 2, h('p'), { changes: ['abc' as ChangeHash] }),
      entryBody(key, 1, null, { authHeads: ['g0' as ChangeHash] }),
    ]
    for (const body of bad) expect(() => encodeEntryBody(body)).toThrow(/not hex/)
  })

  it('encodeEntryBody throws a TypeError for an entry or details over the size limits', () => {
    const tooLarge = entryBody(key, 1, null, { details: 'x'.repeat(ENTRY_LIMITS.maxBytes) })
    expect(() => encodeEntryBody(tooLarge)).toThrow(new TypeError('invalid entry: too large'))
    const bigDetails = entryBody(key, 1, null, { details: 'x'.repeat(ENTRY_LIMITS.maxDetailsBytes) })
    expect(() => encodeEntryBody(bigDetails)).toThrow(new TypeError('invalid entry: details too large'))
    const fits = entryBody(key, 1, null, { details: 'x'.repeat(ENTRY_LIMITS.maxDetailsBytes - 8) })
    expect(encodeEntryBody(fits).length).toBeGreaterThan(ENTRY_LIMITS.maxDetailsBytes)
  })

  /** The same malformations, signed validly and arriving as bytes: decodeEntry refuses each one. */
  const wire = wireOf(second.bytes)
  const wireCases: [string, Record<string, unknown>, string][] = [
    ['seq 0', { ...wire, seq: 0 }, 'seq'],
    ['seq as a string', { ...wire, seq: '2' }, 'seq'],
    ['prev present on seq 1', { ...wire, seq: 1 }, 'prev'],
    ['prev missing on seq 2', { ...wire, prev: null }, 'prev'],
    ['prev of 31 bytes', { ...wire, prev: fromHex(h('p')).subarray(1) }, 'prev'],
    ['author as hex text', { ...wire, author: key }, 'author'],
    ['negative time', { ...wire, time: -5 }, 'time'],
    ['action not dotted lower-case', { ...wire, action: 'Test.Change' }, 'action'],
    ['empty resource', { ...wire, resource: '' }, 'resource'],
    ['details with a byte string', { ...wire, details: { b: u8 } }, 'details'],
    ['doc that is not a document id', { ...wire, doc: 'nope' }, 'doc'],
    ['changes without doc', { ...wire, doc: null }, 'doc'],
    ['changes not a list', { ...wire, changes: fromHex(c('x')) }, 'changes'],
    ['authHeads with a text hash', { ...wire, authHeads: [c('x')] }, 'authHeads'],
  ]
  for (const [what, raw, field] of wireCases) {
    it(`decodeEntry refuses a validly signed entry with ${what} (field ${field})`, () => {
      const result = decodeEntry(signedRaw(rawEntry(raw)))
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.reason).toMatch(new RegExp(`^malformed entry field ${field}:`))
    })
  }
})

describe('entry codec: text that UTF-8 cannot carry', () => {
  // A lone UTF-16 surrogate would be written as U+FFFD by the encoder, so two bodies
  // would share one byte form: such text is refused.
  const lone = '\ud800'
  const bodies: [string, EntryBody][] = [
    ['details', entryBody(signer.memberKey, 1, null, { details: { note: `a${lone}b` } })],
    ['a details key', entryBody(signer.memberKey, 1, null, { details: { [`k${lone}`]: 1 } })],
    ['resource', entryBody(signer.memberKey, 1, null, { resource: `test:${lone}` })],
  ]
  for (const [where, body] of bodies) {
    it(`a lone surrogate in ${where} is refused by encodeEntryBody`, () => {
      expect(() => signEntry(body, signer)).toThrow(TypeError)
    })
  }

  it('U+FFFD itself is ordinary text and round trips', () => {
    const body = entryBody(signer.memberKey, 1, null, { details: '\ufffd' })
    const decoded = decodeEntry(signedForm(signEntry(body, signer)))
    expect(decoded.ok && bodyOf(decoded.entry)).toEqual(body)
  })
})
