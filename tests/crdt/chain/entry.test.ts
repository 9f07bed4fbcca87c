import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NOT_SIMPLE, readCanonical } from '../../../crdt/chain/entry-details.ts'
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
  entryDoc,
  entryRefs,
  entryScope,
  fromHex,
  type JsonValue,
  type MemberKey,
  packEntry,
  type SignedEntry,
  sha256,
  signEntry,
  toHex,
  unpackEntry,
} from '../../../crdt/index.ts'
import {
  bodyOf,
  buildChain,
  entryBody,
  fakeHash,
  makeSigner,
  signedForm,
  TEST_SCOPE,
} from '../../helpers/signer.ts'

ed.hashes.sha512 = sha512

const signer = makeSigner()
const other = makeSigner()
const [first, second] = buildChain(signer, 2) as [Entry, Entry]
const utf8 = new TextEncoder()

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Big-endian byte writer, to build entries by hand without `encodeEntryBody`. */
class Writer {
  private readonly out: number[] = []
  u8(n: number): this {
    this.out.push(n & 0xff)
    return this
  }
  u16(n: number): this {
    return this.u8(n >>> 8).u8(n)
  }
  u32(n: number): this {
    return this.u16(n >>> 16).u16(n & 0xffff)
  }
  u64(n: bigint): this {
    return this.u32(Number((n >> 32n) & 0xffffffffn)).u32(Number(n & 0xffffffffn))
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.out.push(x)
    return this
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out)
  }
}

/**
 * The fields of the byte layout, as raw as the layout carries them. `flags` is written
 * as given, independently of whether `prev` and `doc` are present, so it can lie.
 */
interface Wire {
  scope: Uint8Array | null
  author: Uint8Array
  seq: bigint
  time: bigint
  flags: number
  prev: Uint8Array | null
  action: Uint8Array
  resource: Uint8Array
  doc: Uint8Array | null
  changes: Uint8Array[]
  authHeads: Uint8Array[]
  details: Uint8Array
}

/** The wire fields of a valid body (what `encodeEntryBody` should lay out). */
function wireOf(body: EntryBody): Wire {
  return {
    scope: body.scope === null ? null : fromHex(body.scope),
    author: fromHex(body.author),
    seq: BigInt(body.seq),
    time: BigInt(body.time),
    flags: (body.prev === null ? 0 : 1) | (body.doc === null ? 0 : 2) | (body.scope === null ? 0 : 4),
    prev: body.prev === null ? null : fromHex(body.prev),
    action: utf8.encode(body.action),
    resource: utf8.encode(body.resource),
    doc: body.doc === null ? null : utf8.encode(body.doc),
    changes: body.changes.map(fromHex),
    authHeads: body.authHeads.map(fromHex),
    details: dagCbor.encode(body.details),
  }
}

/**
 * Domain plus the documented layout, written by hand:
 *   author 32 | seq u64 | time u64 | flags u8 | scope 16? | prev 32? | action u8-len | resource u16-len
 *   | doc u8-len? | changes u16-count × 32 | authHeads u8-count × 32 | details u32-len
 */
function layout(w: Wire): Uint8Array {
  const out = new Writer().bytes(ENTRY_DOMAIN).bytes(w.author).u64(w.seq).u64(w.time).u8(w.flags)
  if (w.scope !== null) out.bytes(w.scope)
  if (w.prev !== null) out.bytes(w.prev)
  out.u8(w.action.length).bytes(w.action)
  out.u16(w.resource.length).bytes(w.resource)
  if (w.doc !== null) out.u8(w.doc.length).bytes(w.doc)
  out.u16(w.changes.length)
  for (const c of w.changes) out.bytes(c)
  out.u8(w.authHeads.length)
  for (const h of w.authHeads) out.bytes(h)
  return out.u32(w.details.length).bytes(w.details).done()
}

/** A signed (validly, by `signer`) entry of arbitrary bytes: decoding must still refuse it. */
function signedRaw(bytes: Uint8Array): SignedEntry {
  return { bytes, signature: signer.sign(bytes) }
}

/** The refusal reason for some bytes, or 'ok'. */
function reasonOf(bytes: Uint8Array): string {
  const result = decodeEntry(signedRaw(bytes))
  return result.ok ? 'ok' : result.reason
}

/** The wire of `second` (seq 2: prev, doc and two changes) with some fields replaced. */
const secondWire = wireOf(bodyOf(second))
const withWire = (patch: Partial<Wire>): Uint8Array => layout({ ...secondWire, ...patch })
/** The wire of `second` with its details replaced by hand-built dag-cbor bytes. */
const withDetails = (details: Uint8Array | number[]): Uint8Array =>
  withWire({ details: Uint8Array.from(details) })

/** A CBOR map (< 24 pairs) with its pairs in exactly the given order, encoded by hand. */
function cborMap(pairs: [string, Uint8Array][]): Uint8Array {
  return concat(new Uint8Array([0xa0 + pairs.length]), ...pairs.flatMap(([k, v]) => [dagCbor.encode(k), v]))
}

/** Small seeded PRNG (mulberry32), so the random tests are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KNOWN_REASONS = new Set([
  'truncated entry',
  'trailing bytes',
  'details too large',
  'non-canonical encoding',
  'malformed entry field seq',
  'malformed entry field time',
  'malformed entry field flags',
  'malformed entry field details',
  'malformed entry field text: not UTF-8',
])
const FIELD_REASON =
  /^malformed entry field (author|seq|prev|time|action|resource|details|doc|changes|authHeads): /

/**
 * Decodes untrusted bytes and checks the contract: no throw, a known reason on refusal,
 * and on acceptance the one byte form (re-encoding the body gives the same bytes).
 * Returns the reason, or 'ok'.
 */
function decodeChecked(bytes: Uint8Array): string {
  const signature = new Uint8Array(64)
  let result: ReturnType<typeof decodeEntry> | undefined
  expect(() => {
    result = decodeEntry({ bytes, signature })
  }).not.toThrow()
  if (result === undefined) throw new Error('no result')
  if (result.ok) {
    expect(encodeEntryBody(bodyOf(result.entry))).toEqual(bytes)
    return 'ok'
  }
  const { reason } = result
  expect(KNOWN_REASONS.has(reason) || FIELD_REASON.test(reason), reason).toBe(true)
  return reason
}

const c = (label: string) => fakeHash<ChangeHash>(label)
const h = (label: string) => fakeHash<EntryHash>(label)

/** JSON nested `depth` arrays deep around 1 (depth 0 is the number itself). */
function nested(depth: number): JsonValue {
  let value: JsonValue = 1
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

const MAX_DOC = `${'d'.repeat(32)}:${'D'.repeat(128)}` as DocId

/** The largest body the limits allow: every list full, every text at its longest in bytes. */
const largest = entryBody(signer.memberKey, 2, h('p'), {
  action: `org.${'a'.repeat(60)}`,
  resource: '€'.repeat(ENTRY_LIMITS.maxResource),
  doc: MAX_DOC,
  changes: Array.from({ length: ENTRY_LIMITS.maxChanges }, (_, i) => c(`c${i}`)),
  authHeads: Array.from({ length: ENTRY_LIMITS.maxAuthHeads }, (_, i) => c(`h${i}`)),
  // A string of 256..65535 bytes has a 3-byte dag-cbor header.
  details: 'x'.repeat(ENTRY_LIMITS.maxDetailsBytes - 3),
  time: Number.MAX_SAFE_INTEGER,
  seq: Number.MAX_SAFE_INTEGER,
})

/** Details of every JSON kind, nested. */
const rich = entryBody(signer.memberKey, 1, null, {
  details: {
    '': [],
    a: {},
    'ключ 🔑': ['€', '\ufffd', '\u0000'],
    numbers: [0, -1, 23, 24, 255, 256, 65536, -(2 ** 31), 2 ** 32, 2 ** 53, -(2 ** 53), 1.5, -0.25, 1e300],
    flags: [true, false, null],
    deep: { deeper: { deepest: [{ x: 'y' }] } },
    bb: 1,
    c: 2,
  },
})

/** Varied valid bodies: every optional part present and absent, text and lists at their limits. */
const variedBodies: [string, EntryBody][] = [
  ['seq 1, no prev, no doc, no changes', entryBody(signer.memberKey, 1, null)],
  ['seq 2, prev, doc and changes', entryBody(signer.memberKey, 2, h('p'))],
  ['a doc but no changes', entryBody(signer.memberKey, 3, h('p'), { doc: 'test:doc' as DocId })],
  ['no authHeads', entryBody(signer.memberKey, 1, null, { authHeads: [] })],
  ['time 0', entryBody(signer.memberKey, 1, null, { time: 0 })],
  [
    'unicode resource (2-, 3- and 4-byte UTF-8)',
    entryBody(signer.memberKey, 1, null, { resource: 'ship:Ærø-€-日本-🚀' }),
  ],
  [
    'a resource starting with a byte-order mark',
    entryBody(signer.memberKey, 1, null, { resource: '\ufeffx' }),
  ],
  [
    'a resource of 256 UTF-16 units, all surrogate pairs',
    entryBody(signer.memberKey, 1, null, {
      resource: '🚀'.repeat(ENTRY_LIMITS.maxResource / 2),
    }),
  ],
  ['a NUL in the resource', entryBody(signer.memberKey, 1, null, { resource: 'a\u0000b' })],
  ['details null', entryBody(signer.memberKey, 1, null, { details: null })],
  ['details an empty string', entryBody(signer.memberKey, 1, null, { details: '' })],
  ['details 32 levels deep', entryBody(signer.memberKey, 1, null, { details: nested(32) })],
  ['nested details of every JSON kind', rich],
  ['the largest body the limits allow', largest],
]

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

  it('canonical bytes are ENTRY_DOMAIN followed by the documented layout; hash and signature are over them', () => {
    expect(new TextDecoder().decode(ENTRY_DOMAIN)).toBe('verseguy/chain-entry/v2\n')
    for (const entry of [first, second]) {
      expect(entry.bytes.subarray(0, ENTRY_DOMAIN.length)).toEqual(ENTRY_DOMAIN)
      expect(layout(wireOf(bodyOf(entry)))).toEqual(entry.bytes)
    }
    for (const [, body] of variedBodies) expect(encodeEntryBody(body)).toEqual(layout(wireOf(body)))
    expect(first.hash).toBe(toHex(sha256(first.bytes)))
    expect(ed25519Verify(signer.publicKey, first.bytes, first.signature)).toBe(true)
    expect(ed25519Verify(signer.publicKey, second.bytes, first.signature)).toBe(false)
    expect(ed25519Verify(other.publicKey, first.bytes, first.signature)).toBe(false)
  })

  it('fields sit at their documented offsets (second: scope, prev and doc present)', () => {
    const b = second.bytes
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
    let at = ENTRY_DOMAIN.length
    expect(b.subarray(at, at + 32)).toEqual(signer.publicKey)
    expect(view.getBigUint64(at + 32)).toBe(2n)
    expect(view.getBigUint64(at + 40)).toBe(BigInt(second.time))
    expect(b[at + 48]).toBe(0b111)
    expect(b.subarray(at + 49, at + 65)).toEqual(fromHex(TEST_SCOPE))
    expect(b.subarray(at + 65, at + 97)).toEqual(fromHex(first.hash))
    at += 97
    expect(b[at]).toBe(second.action.length)
    expect(new TextDecoder().decode(b.subarray(at + 1, at + 1 + (b[at] ?? 0)))).toBe(second.action)
    // first: scope, no prev, no doc, so flags 4 and action follows the scope directly.
    expect(first.bytes[ENTRY_DOMAIN.length + 48]).toBe(0b100)
    expect(first.bytes[ENTRY_DOMAIN.length + 65]).toBe(first.action.length)
    // A node-local entry: no scope, flags 0, action follows the flags byte directly.
    const local = signEntry({ ...bodyOf(first), scope: null }, signer)
    expect(local.bytes[ENTRY_DOMAIN.length + 48]).toBe(0)
    expect(local.bytes[ENTRY_DOMAIN.length + 49]).toBe(first.action.length)
    // Details are last: a u32 length, then dag-cbor, then the end.
    const details = dagCbor.encode(second.details)
    expect(view.getUint32(b.length - details.length - 4)).toBe(details.length)
    expect(b.subarray(b.length - details.length)).toEqual(details)
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

  it('decodes bytes that are a view at an odd offset into a larger buffer', () => {
    const buffer = new Uint8Array(second.bytes.length + 11)
    buffer.set(second.bytes, 7)
    const decoded = decodeEntry({
      bytes: buffer.subarray(7, 7 + second.bytes.length),
      signature: second.signature,
    })
    expect(decoded.ok).toBe(true)
    if (decoded.ok) expect(bodyOf(decoded.entry)).toEqual(bodyOf(second))
  })

  it('signEntry refuses a body whose author is not the signer', () => {
    expect(() => signEntry(entryBody(other.memberKey, 1, null), signer)).toThrow(TypeError)
  })

  it('accepts the limits exactly: 1024 changes, 64 authHeads, 256-character resource', () => {
    const body = entryBody(signer.memberKey, 1, null, {
      doc: 'test:doc' as DocId,
      changes: Array.from({ length: ENTRY_LIMITS.maxChanges }, (_, i) => c(`c${i}`)),
      authHeads: Array.from({ length: ENTRY_LIMITS.maxAuthHeads }, (_, i) => c(`h${i}`)),
      resource: 'r'.repeat(ENTRY_LIMITS.maxResource),
    })
    const entry = signEntry(body, signer)
    const decoded = decodeEntry(signedForm(entry))
    expect(decoded.ok).toBe(true)
    if (decoded.ok) expect(bodyOf(decoded.entry)).toEqual(body)
  })

  it('the largest body the limits allow encodes below maxBytes and round trips', () => {
    const bytes = encodeEntryBody(largest)
    const expected =
      ENTRY_DOMAIN.length +
      32 +
      8 +
      8 +
      1 +
      16 +
      32 +
      (1 + 64) +
      (2 + 3 * ENTRY_LIMITS.maxResource) +
      (1 + MAX_DOC.length) +
      (2 + 32 * ENTRY_LIMITS.maxChanges) +
      (1 + 32 * ENTRY_LIMITS.maxAuthHeads) +
      (4 + ENTRY_LIMITS.maxDetailsBytes)
    expect(bytes.length).toBe(expected)
    // So no valid body reaches `invalid entry: too large`: only details can, and they hit their own limit first.
    expect(bytes.length).toBeLessThan(ENTRY_LIMITS.maxBytes)
    const decoded = decodeEntry(signedRaw(bytes))
    expect(decoded.ok && bodyOf(decoded.entry)).toEqual(largest)
  })

  describe('one body, one byte form: a decoded entry re-encodes to the identical bytes', () => {
    for (const [what, body] of variedBodies) {
      it(what, () => {
        const entry = signEntry(body, signer)
        const decoded = decodeEntry(signedForm(entry))
        expect(decoded.ok).toBe(true)
        if (!decoded.ok) return
        expect(bodyOf(decoded.entry)).toEqual(body)
        expect(encodeEntryBody(bodyOf(decoded.entry))).toEqual(entry.bytes)
        expect(decoded.entry.hash).toBe(entry.hash)
      })
    }
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
    for (const version of ['v1', 'v3']) {
      const other = concat(utf8.encode(`verseguy/chain-entry/${version}\n`), body)
      expect(decodeEntry(signedRaw(other))).toEqual({ ok: false, reason: 'wrong domain prefix' })
    }
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

  it('every truncation: a short prefix is a wrong domain, anything past it a truncated entry', () => {
    const long = signEntry(rich, signer)
    for (const entry of [first, second, long]) {
      for (let len = 0; len < entry.bytes.length; len++) {
        const bytes = entry.bytes.slice(0, len)
        let result: ReturnType<typeof decodeEntry> | undefined
        expect(() => {
          result = decodeEntry({ bytes, signature: entry.signature })
        }).not.toThrow()
        const reason = len < ENTRY_DOMAIN.length ? 'wrong domain prefix' : 'truncated entry'
        expect(result, `truncated to ${len}`).toEqual({ ok: false, reason })
      }
    }
  })

  it('extra trailing bytes', () => {
    for (const extra of [[0], [0xa0], [0xf6], [1, 2, 3]]) {
      const bytes = concat(second.bytes, new Uint8Array(extra))
      expect(decodeEntry(signedRaw(bytes))).toEqual({ ok: false, reason: 'trailing bytes' })
    }
    expect(reasonOf(concat(first.bytes, new Uint8Array([0])))).toBe('trailing bytes')
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
      { signature: second.signature },
    ] as unknown as SignedEntry[]
    for (const signed of notBytes) expect(decodeEntry(signed)).toEqual({ ok: false, reason: 'not bytes' })
  })

  it('things that are not an entry', () => {
    for (const signed of [null, undefined, 5, 'entry'] as unknown as SignedEntry[]) {
      expect(decodeEntry(signed)).toEqual({ ok: false, reason: 'not an entry' })
    }
  })

  it('an oversized entry (checked before anything else in the bytes)', () => {
    const huge = new Uint8Array(ENTRY_LIMITS.maxBytes + 1)
    huge.set(second.bytes)
    expect(reasonOf(huge)).toBe('entry too large')
    const atLimit = huge.subarray(0, ENTRY_LIMITS.maxBytes)
    expect(reasonOf(atLimit)).toBe('trailing bytes')
  })

  it('details over their own limit, and accepts them exactly at it', () => {
    const over = dagCbor.encode('x'.repeat(ENTRY_LIMITS.maxDetailsBytes - 2))
    expect(over.length).toBe(ENTRY_LIMITS.maxDetailsBytes + 1)
    expect(reasonOf(withDetails(over))).toBe('details too large')
    const at = dagCbor.encode('x'.repeat(ENTRY_LIMITS.maxDetailsBytes - 3))
    expect(at.length).toBe(ENTRY_LIMITS.maxDetailsBytes)
    expect(reasonOf(withDetails(at))).toBe('ok')
  })
})

describe('entry codec: hand-built bytes', () => {
  it('the writer reproduces a valid entry exactly (the baseline every case below changes)', () => {
    expect(withWire({})).toEqual(second.bytes)
    expect(reasonOf(withWire({}))).toBe('ok')
  })

  it('seq 0, and seq beyond 2^53 - 1, are refused; 2^53 - 1 is accepted', () => {
    for (const seq of [0n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      expect(reasonOf(withWire({ seq })), `seq ${seq}`).toBe('malformed entry field seq')
    }
    expect(reasonOf(withWire({ seq: 2n ** 53n - 1n }))).toBe('ok')
  })

  it('time beyond 2^53 - 1 is refused; 0 and 2^53 - 1 are accepted', () => {
    for (const time of [2n ** 53n, 2n ** 64n - 1n]) {
      expect(reasonOf(withWire({ time })), `time ${time}`).toBe('malformed entry field time')
    }
    for (const time of [0n, 2n ** 53n - 1n]) expect(reasonOf(withWire({ time }))).toBe('ok')
  })

  it('unknown flag bits', () => {
    for (const bit of [8, 16, 32, 64, 128]) {
      expect(reasonOf(withWire({ flags: 0b111 | bit })), `flag ${bit}`).toBe('malformed entry field flags')
    }
    expect(reasonOf(withWire({ flags: 0xff }))).toBe('malformed entry field flags')
    const plain = wireOf(bodyOf(first))
    expect(reasonOf(layout({ ...plain, flags: 0b1100 }))).toBe('malformed entry field flags')
  })

  it('the prev flag set on seq 1, or missing on seq 2, naming prev', () => {
    expect(reasonOf(withWire({ seq: 1n }))).toMatch(/^malformed entry field prev:/)
    expect(reasonOf(withWire({ flags: 0b110, prev: null }))).toMatch(/^malformed entry field prev:/)
    const plain = wireOf(bodyOf(first))
    expect(reasonOf(layout({ ...plain, seq: 2n }))).toMatch(/^malformed entry field prev:/)
  })

  it('invalid UTF-8 in resource, action or doc', () => {
    const invalid = [
      [0xff], // never valid
      [0xc0, 0xaf], // overlong '/'
      [0xe0, 0x80, 0xaf], // overlong, three bytes
      [0xed, 0xa0, 0x80], // an encoded surrogate (U+D800)
      [0xe2, 0x82], // '€' cut short
      [0x80], // a lone continuation byte
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    ]
    for (const bad of invalid) {
      const text = concat(utf8.encode('test:'), Uint8Array.from(bad), utf8.encode('x'))
      for (const patch of [{ resource: text }, { action: text }, { doc: text }]) {
        expect(reasonOf(withWire(patch)), `${Object.keys(patch)} ${bad}`).toBe(
          'malformed entry field text: not UTF-8',
        )
      }
    }
  })

  it('an action that is not dotted lower-case words, naming action', () => {
    for (const action of [
      'Test.Change',
      'test',
      '',
      'test..change',
      'test.',
      'test.chänge',
      `org.${'a'.repeat(61)}`,
    ]) {
      expect(reasonOf(withWire({ action: utf8.encode(action) })), action).toMatch(
        /^malformed entry field action:/,
      )
    }
  })

  it('an empty or overlong resource, naming resource', () => {
    for (const resource of [
      '',
      'r'.repeat(ENTRY_LIMITS.maxResource + 1),
      '€'.repeat(ENTRY_LIMITS.maxResource + 1),
      // Near the u16 length's reach: still a clean refusal (the ASCII fast path copes).
      'r'.repeat(60_000),
      '€'.repeat(20_000),
    ]) {
      expect(reasonOf(withWire({ resource: utf8.encode(resource) }))).toMatch(
        /^malformed entry field resource:/,
      )
    }
  })

  it('changes with the doc flag unset, and a doc that is not a document id, naming doc', () => {
    expect(reasonOf(withWire({ flags: 0b101, doc: null }))).toBe(
      'malformed entry field doc: changes need a document',
    )
    for (const doc of ['', 'nope', 'Test:doc', 'test:', `${'d'.repeat(33)}:x`]) {
      expect(reasonOf(withWire({ doc: utf8.encode(doc) })), doc).toMatch(/^malformed entry field doc:/)
    }
  })

  it('more changes or authHeads than the limits allow', () => {
    const changes = Array.from({ length: ENTRY_LIMITS.maxChanges + 1 }, (_, i) => fromHex(c(`c${i}`)))
    expect(reasonOf(withWire({ changes }))).toMatch(/^malformed entry field changes:/)
    expect(reasonOf(withWire({ changes: changes.slice(1) }))).toBe('ok')
    for (const n of [ENTRY_LIMITS.maxAuthHeads + 1, 255]) {
      const authHeads = Array.from({ length: n }, (_, i) => fromHex(c(`a${i}`)))
      expect(reasonOf(withWire({ authHeads }))).toMatch(/^malformed entry field authHeads:/)
    }
  })

  it('lengths and counts that claim more or fewer bytes than there are', () => {
    const ok = withWire({})
    const actionAt = ENTRY_DOMAIN.length + 32 + 8 + 8 + 1 + 16 + 32
    const detailsAt = ok.length - secondWire.details.length - 4
    const patched = (write: (v: DataView) => void): string => {
      const bytes = Uint8Array.from(ok)
      write(new DataView(bytes.buffer))
      return reasonOf(bytes)
    }
    expect(ok[actionAt]).toBe(second.action.length)
    expect(new DataView(ok.buffer).getUint32(detailsAt)).toBe(secondWire.details.length)
    // A longer action length shifts every later field: refused, whatever it then reads.
    expect(patched((v) => v.setUint8(actionAt, 255))).not.toBe('ok')
    expect(patched((v) => v.setUint32(detailsAt, 0xffffffff))).toBe('truncated entry')
    expect(patched((v) => v.setUint32(detailsAt, secondWire.details.length + 1))).toBe('truncated entry')
    expect(patched((v) => v.setUint32(detailsAt, secondWire.details.length - 1))).toBe('trailing bytes')
    expect(patched((v) => v.setUint32(detailsAt, 0))).toBe('trailing bytes')
  })

  describe('details that are not plain JSON', () => {
    const cases: [string, number[] | Uint8Array, string][] = [
      ['a byte string', [0x42, 1, 2], 'malformed entry field details: not plain JSON data'],
      [
        'a byte string inside a map',
        cborMap([['b', Uint8Array.from([0x42, 1, 2])]]),
        'malformed entry field details: not plain JSON data',
      ],
      [
        'a CID (tag 42)',
        [0xd8, 0x2a, 0x58, 0x25, 0x00, 0x01, 0x55, 0x12, 0x20, ...new Array(32).fill(7)],
        'malformed entry field details: not plain JSON data',
      ],
      ['a date (tag 1)', [0xc1, 0x01], 'malformed entry field details'],
      ['a bignum tag (tag 2)', [0xc2, 0x41, 0x01], 'malformed entry field details'],
      [
        'an integer beyond 2^53 (a bigint)',
        [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        'malformed entry field details: not plain JSON data',
      ],
      ['NaN', [0xf9, 0x7e, 0x00], 'malformed entry field details'],
      ['Infinity', [0xf9, 0x7c, 0x00], 'malformed entry field details'],
      ['a simple value', [0xe0], 'malformed entry field details'],
      ['nothing at all', [], 'malformed entry field details'],
      ['two values', [0x01, 0x02], 'malformed entry field details'],
      ['an indefinite-length array', [0x9f, 0x01, 0xff], 'malformed entry field details'],
      [
        'a duplicated map key',
        cborMap([
          ['a', dagCbor.encode(1)],
          ['a', dagCbor.encode(2)],
        ]),
        'malformed entry field details',
      ],
      ['a map key that is not text', [0xa1, 0x01, 0x02], 'malformed entry field details'],
      ['33 levels deep', dagCbor.encode(nested(33)), 'malformed entry field details: not plain JSON data'],
    ]
    for (const [what, details, reason] of cases) {
      it(what, () => expect(reasonOf(withDetails(details))).toBe(reason))
    }
  })

  describe('details in a non-canonical form of a valid value', () => {
    const detailsOfSecond = second.details as Record<string, JsonValue>
    const canonicalOrder = ['i', 'tags', 'nested']
    it('(baseline) the canonical pair order, written by hand, is accepted', () => {
      const pairs = canonicalOrder.map((k): [string, Uint8Array] => [k, dagCbor.encode(detailsOfSecond[k])])
      expect(cborMap(pairs)).toEqual(secondWire.details)
      expect(reasonOf(withDetails(cborMap(pairs)))).toBe('ok')
    })

    const cases: [string, Uint8Array | number[]][] = [
      [
        'the same map as second with its keys reversed',
        cborMap([...canonicalOrder].reverse().map((k) => [k, dagCbor.encode(detailsOfSecond[k])])),
      ],
      [
        'keys in plain lexical order rather than length-first',
        cborMap([
          ['aa', dagCbor.encode(1)],
          ['b', dagCbor.encode(2)],
        ]),
      ],
      [
        'unsorted keys in a nested map',
        cborMap([
          [
            'x',
            cborMap([
              ['b', dagCbor.encode(1)],
              ['a', dagCbor.encode(2)],
            ]),
          ],
        ]),
      ],
      ['a whole number as a 64-bit float', [0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]],
      ['1.5 as a 16-bit float', [0xf9, 0x3e, 0x00]],
      ['1.5 as a 32-bit float', [0xfa, 0x3f, 0xc0, 0, 0]],
      ['-0 as a float', [0xfb, 0x80, 0, 0, 0, 0, 0, 0, 0]],
      ['undefined (read as null)', [0xf7]],
    ]
    for (const [what, details] of cases) {
      it(`${what}: 'non-canonical encoding'`, () => {
        expect(reasonOf(withDetails(details))).toBe('non-canonical encoding')
      })
    }

    // Integers and lengths in a longer form than needed never reach the re-encoding check:
    // dag-cbor's strict decoder refuses them first, so the reason names the details field.
    const longForms: [string, number[]][] = [
      ['the integer 5 in two bytes', [0x18, 0x05]],
      ['the integer 5 in nine bytes', [0x1b, 0, 0, 0, 0, 0, 0, 0, 0x05]],
      ['a string length in a longer form', [0x78, 0x01, 0x61]],
      ['a map length in a longer form', [0xb8, 0x01, 0x61, 0x61, 0x01]],
    ]
    for (const [what, details] of longForms) {
      it(`${what}: refused as malformed details`, () => {
        expect(reasonOf(withDetails(details))).toBe('malformed entry field details')
      })
    }
  })

  it('never throws for 2,000 random byte strings after the domain prefix', () => {
    const random = prng(0x5eed)
    const seen = new Map<string, number>()
    for (let n = 0; n < 2000; n++) {
      const tail = Uint8Array.from({ length: Math.floor(random() * 400) }, () => Math.floor(random() * 256))
      // Every other one with a plausible header (small seq, valid flags), so the parse goes deeper.
      if (n % 2 === 1 && tail.length >= 49) {
        const view = new DataView(tail.buffer)
        view.setBigUint64(32, BigInt(1 + Math.floor(random() * 3)))
        view.setBigUint64(40, BigInt(Math.floor(random() * 2 ** 40)))
        tail[48] = Math.floor(random() * 4)
      }
      const reason = decodeChecked(concat(ENTRY_DOMAIN, tail))
      seen.set(reason, (seen.get(reason) ?? 0) + 1)
    }
    expect(seen.get('truncated entry')).toBeGreaterThan(0)
    expect(seen.get('malformed entry field seq')).toBeGreaterThan(0)
  })

  it('never throws for 2,000 mutations of valid entries, and accepts only the one byte form', () => {
    const random = prng(0xc0dec)
    const bases = [
      first.bytes,
      second.bytes,
      ...variedBodies.filter(([, b]) => b !== largest).map(([, b]) => encodeEntryBody(b)),
    ]
    const seen = new Map<string, number>()
    for (let n = 0; n < 2000; n++) {
      const base = bases[n % bases.length] as Uint8Array
      let bytes: Uint8Array = Uint8Array.from(base)
      for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
        const at = ENTRY_DOMAIN.length + Math.floor(random() * (bytes.length - ENTRY_DOMAIN.length))
        const kind = Math.floor(random() * 4)
        if (kind === 0) bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(random() * 8))
        else if (kind === 1) bytes[at] = Math.floor(random() * 256)
        else if (kind === 2) bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1))
        else
          bytes = concat(bytes.subarray(0, at), Uint8Array.of(Math.floor(random() * 256)), bytes.subarray(at))
      }
      const reason = decodeChecked(bytes)
      seen.set(reason, (seen.get(reason) ?? 0) + 1)
    }
    // Mutations inside author, hashes and text usually leave a valid (different) entry.
    expect(seen.get('ok')).toBeGreaterThan(0)
    expect(seen.size).toBeGreaterThan(5)
  })
})

describe('entry codec: malformed fields', () => {
  const key = signer.memberKey
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
    ['unsafe time', entryBody(key, 1, null, { time: 2 ** 53 }), 'time'],
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
    ['details 33 levels deep', entryBody(key, 1, null, { details: nested(33) }), 'details'],
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

  it('encodeEntryBody throws a TypeError naming the field for a key or hash that is not lower-case hex', () => {
    const bad: [EntryBody, string][] = [
      [entryBody(key.toUpperCase() as MemberKey, 1, null), 'author'],
      [entryBody(key, 2, 'zz' as EntryHash), 'prev'],
      [entryBody(key, 2, h('p').toUpperCase() as EntryHash), 'prev'],
      [entryBody(key, 2, h('p'), { changes: ['abc' as ChangeHash] }), 'changes'],
      [entryBody(key, 2, h('p'), { changes: [`${c('x').slice(2)}zz` as ChangeHash] }), 'changes'],
      [entryBody(key, 1, null, { authHeads: ['g0' as ChangeHash] }), 'authHeads'],
    ]
    for (const [body, field] of bad) {
      expect(() => encodeEntryBody(body)).toThrow(TypeError)
      expect(() => encodeEntryBody(body)).toThrow(new RegExp(`^invalid entry field ${field}:`))
    }
  })

  it('encodeEntryBody throws a TypeError for details over their size limit', () => {
    const huge = entryBody(key, 1, null, { details: 'x'.repeat(ENTRY_LIMITS.maxBytes) })
    expect(() => encodeEntryBody(huge)).toThrow(new TypeError('invalid entry: details too large'))
    const bigDetails = entryBody(key, 1, null, { details: 'x'.repeat(ENTRY_LIMITS.maxDetailsBytes - 2) })
    expect(() => encodeEntryBody(bigDetails)).toThrow(new TypeError('invalid entry: details too large'))
    const atLimit = entryBody(key, 1, null, { details: 'x'.repeat(ENTRY_LIMITS.maxDetailsBytes - 3) })
    expect(encodeEntryBody(atLimit).length).toBeGreaterThan(ENTRY_LIMITS.maxDetailsBytes)
  })

  // Sparse arrays hold `undefined` in their holes: not plain JSON data.
  it('encodeEntryBody throws a TypeError naming details for a sparse array in details', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
    const body = entryBody(key, 1, null, { details: [1, , 2] as unknown as JsonValue })
    expect(() => encodeEntryBody(body)).toThrow(TypeError)
    expect(() => encodeEntryBody(body)).toThrow(/^invalid entry field details:/)
  })
})

describe('entry codec: text that UTF-8 cannot carry', () => {
  // A lone UTF-16 surrogate would be written as U+FFFD by the encoder, so two bodies
  // would share one byte form: such text is refused.
  const lone = '\ud800'
  const bodies: [string, EntryBody][] = [
    ['details', entryBody(signer.memberKey, 1, null, { details: { note: `a${lone}b` } })],
    ['a details key', entryBody(signer.memberKey, 1, null, { details: { [`k${lone}`]: 1 } })],
    ['resource', entryBody(signer.memberKey, 1, null, { resource: `test:${lone}` })],
    ['resource (a lone low surrogate)', entryBody(signer.memberKey, 1, null, { resource: 'test:\udc00' })],
  ]
  for (const [where, body] of bodies) {
    it(`a lone surrogate in ${where} is refused by encodeEntryBody`, () => {
      expect(() => signEntry(body, signer)).toThrow(TypeError)
    })
  }

  it('U+FFFD itself is ordinary text and round trips', () => {
    for (const body of [
      entryBody(signer.memberKey, 1, null, { details: '\ufffd' }),
      entryBody(signer.memberKey, 1, null, { resource: 'test:\ufffd' }),
    ]) {
      const decoded = decodeEntry(signedForm(signEntry(body, signer)))
      expect(decoded.ok && bodyOf(decoded.entry)).toEqual(body)
    }
  })
})

describe('entry codec: the fast path for details', () => {
  /** What dag-cbor makes of `bytes`: the value if it decodes and re-encodes to the same bytes. */
  const reference = (bytes: Uint8Array): { value: unknown } | 'other' => {
    try {
      const value = dagCbor.decode(bytes)
      return Buffer.from(dagCbor.encode(value)).equals(bytes) ? { value } : 'other'
    } catch {
      return 'other'
    }
  }
  const json = fc.jsonValue({ maxDepth: 5 })

  it('reads every value dag-cbor writes for small JSON data as dag-cbor does, or leaves it to dag-cbor', () => {
    let fast = 0
    fc.assert(
      fc.property(json, (v) => {
        const bytes = dagCbor.encode(JSON.parse(JSON.stringify(v)))
        const got = readCanonical(bytes)
        if (got === NOT_SIMPLE) return
        fast++
        expect(reference(bytes)).toEqual({ value: got })
      }),
      { numRuns: 2_000 },
    )
    expect(fast).toBeGreaterThan(500)
    expect(readCanonical(dagCbor.encode({ name: 'Refit 1', cost: 3, tags: ['a', null, true] }))).toEqual({
      name: 'Refit 1',
      cost: 3,
      tags: ['a', null, true],
    })
  })

  it('never reads mutated, reordered or truncated bytes differently from dag-cbor', () => {
    fc.assert(
      fc.property(json, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (v, where, xor, cut) => {
        const bytes = Uint8Array.from(dagCbor.encode(JSON.parse(JSON.stringify(v))))
        const at = where % bytes.length
        const mutated = cut
          ? bytes.subarray(0, at)
          : Uint8Array.from(bytes, (b, i) => (i === at ? b ^ xor : b))
        const got = readCanonical(mutated)
        if (got !== NOT_SIMPLE) expect(reference(mutated)).toEqual({ value: got })
      }),
      { numRuns: 5_000 },
    )
    // Keys out of dag-cbor order, a duplicate key, a non-minimal length, a float: not taken.
    const a1 = Uint8Array.from([0xa2, 0x62, 0x62, 0x62, 0x01, 0x61, 0x61, 0x02]) // {"bb":1,"a":2}
    const dup = Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02])
    const longLength = Uint8Array.from([0x78, 0x01, 0x61])
    const float = dagCbor.encode(1.5)
    for (const b of [a1, dup, longLength, float]) expect(readCanonical(b)).toBe(NOT_SIMPLE)
  })
})

describe('entry codec: the scope', () => {
  it('round trips an org scope and the node-local scope (null), and is part of the signed bytes', () => {
    for (const scope of [TEST_SCOPE, 'ab'.repeat(16), null]) {
      const entry = signEntry({ ...bodyOf(second), scope }, signer)
      const decoded = decodeEntry(signedForm(entry))
      expect(decoded.ok && decoded.entry.scope).toBe(scope)
      expect(entryScope(entry.bytes)).toBe(scope)
      expect(encodeEntryBody(bodyOf(entry))).toEqual(entry.bytes)
    }
    // The same body in another scope is another entry: other bytes, other hash.
    const moved = signEntry({ ...bodyOf(second), scope: 'ab'.repeat(16) }, signer)
    expect(moved.hash).not.toBe(second.hash)
    // Moving a signed entry to another scope breaks its signature.
    const bytes = Uint8Array.from(second.bytes)
    bytes.set(fromHex('ab'.repeat(16)), ENTRY_DOMAIN.length + 49)
    const d = decodeEntry({ bytes, signature: second.signature })
    expect(d.ok && d.entry.scope).toBe('ab'.repeat(16))
    expect(ed25519Verify(signer.publicKey, bytes, second.signature)).toBe(false)
  })

  it('a scope flag with the scope cut short, or a scope without its flag, is refused', () => {
    expect(reasonOf(withWire({ scope: fromHex(TEST_SCOPE).subarray(0, 15) }))).not.toBe('ok')
    expect(reasonOf(withWire({ flags: 0b011 }))).not.toBe('ok')
    expect(reasonOf(withWire({ flags: 0b111, scope: null }))).not.toBe('ok')
    expect(reasonOf(concat(withWire({}), new Uint8Array(16)))).toBe('trailing bytes')
  })

  it('encodeEntryBody refuses a scope that is not 16 bytes of lower-case hex, naming scope', () => {
    for (const scope of ['', 'AB'.repeat(16), 'ab'.repeat(15), 'ab'.repeat(17), 'local', 42])
      expect(() => encodeEntryBody({ ...bodyOf(second), scope: scope as string })).toThrow(
        /invalid entry field scope/,
      )
  })
})

describe('entry codec: document and changes read in place', () => {
  it('entryDoc and entryRefs read what decodeEntry does from every kind of body; damage reads as none', () => {
    const withDoc = entryBody(signer.memberKey, 1, null, {
      doc: 'hangar:ab.cd' as DocId,
      changes: [fakeHash('c1') as ChangeHash, fakeHash('c2') as ChangeHash],
    })
    for (const body of [withDoc, ...variedBodies.map(([, b]) => b)]) {
      const entry = signEntry(body, signer)
      const decoded = decodeEntry(signedForm(entry))
      if (!decoded.ok) throw new Error(decoded.reason)
      expect(entryDoc(entry.bytes)).toBe(decoded.entry.doc)
      expect(entryRefs(entry.bytes)).toEqual({ doc: decoded.entry.doc, changes: decoded.entry.changes })
    }
    const entry = signEntry(withDoc, signer)
    expect(entryDoc(entry.bytes)).toBe('hangar:ab.cd')
    const name = Buffer.from(entry.bytes).indexOf('hangar:ab.cd')
    expect(name).toBeGreaterThan(0)
    // Cut inside the document name: neither reads.
    const cut = entry.bytes.subarray(0, name + 5)
    expect(entryDoc(cut)).toBeUndefined()
    expect(entryRefs(cut)).toBeNull()
    // Cut inside the change hashes: the document reads, the changes do not.
    const short = entry.bytes.subarray(0, name + 'hangar:ab.cd'.length + 2 + 40)
    expect(entryDoc(short)).toBe('hangar:ab.cd')
    expect(entryRefs(short)).toBeNull()
    expect(entryDoc(new Uint8Array(3))).toBeUndefined()
  })
})
