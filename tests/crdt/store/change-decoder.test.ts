/**
 * The receive path's JavaScript change decoder must read every change exactly as
 * Automerge does, and never accept bytes Automerge refuses or reads differently.
 */
import { createHash } from 'node:crypto'
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isProblem, outlineChange } from '../../../crdt/store/change-bounds.ts'
import {
  changeHash,
  decodeCanonicalChange,
  decodeChange,
  decodeOutlinedChange,
  snapshotHeads,
} from '../../../crdt/store/change-decoder.ts'

type Edit =
  | { kind: 'put'; key: string; value: unknown }
  | { kind: 'del'; key: string }
  | { kind: 'nested'; key: string; inner: string; value: unknown }
  | { kind: 'list'; key: string; values: unknown[] }
  | { kind: 'listEdit'; key: string; at: number; value: unknown }
  | { kind: 'text'; key: string; text: string }
  | { kind: 'inc'; key: string; by: number }

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.uint8Array({ maxLength: 6 }),
  fc.nat(2 ** 31).map((n) => new A.Uint(n)),
  fc.integer({ min: -1000, max: 1000 }).map((n) => new A.Counter(n)),
  fc.integer({ min: 0, max: 2 ** 41 }).map((n) => new Date(n)),
)
const key = fc.constantFrom('a', 'b', 'ship', 'ünï')
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key, value: scalar }),
  fc.record({ kind: fc.constant('del' as const), key }),
  fc.record({
    kind: fc.constant('nested' as const),
    key,
    inner: fc.constantFrom('a', '', 'x y'),
    value: scalar,
  }),
  fc.record({ kind: fc.constant('list' as const), key, values: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('listEdit' as const), key, at: fc.nat(5), value: scalar }),
  fc.record({ kind: fc.constant('text' as const), key, text: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('inc' as const), key, by: fc.integer({ min: -50, max: 50 }) }),
)

function apply(doc: A.Doc<Record<string, unknown>>, e: Edit): A.Doc<Record<string, unknown>> {
  return A.change(doc, (d) => {
    const cur = d[e.key]
    switch (e.kind) {
      case 'put':
        d[e.key] = e.value
        break
      case 'del':
        delete d[e.key]
        break
      case 'nested':
        if (typeof cur === 'object' && cur !== null && !Array.isArray(cur) && !(cur instanceof Uint8Array))
          (cur as Record<string, unknown>)[e.inner] = e.value
        else d[e.key] = { [e.inner]: e.value }
        break
      case 'list':
        d[e.key] = e.values
        break
      case 'listEdit':
        if (Array.isArray(cur)) {
          if (e.at < cur.length && e.at % 2 === 0) cur.splice(e.at, 1)
          else cur.splice(Math.min(e.at, cur.length), 0, e.value)
        }
        break
      case 'text':
        if (typeof cur === 'string') A.splice(d, [e.key], 0, Math.min(1, cur.length), e.text)
        else d[e.key] = e.text
        break
      case 'inc':
        if (cur instanceof A.Counter) cur.increment(e.by)
        else d[e.key] = new A.Counter(e.by)
        break
    }
  })
}

/** Two actors editing concurrently and merging, so changes have several deps and actors. */
function changesOf(a: Edit[], b: Edit[], message: string | undefined): Uint8Array[] {
  let left = A.init<Record<string, unknown>>({ actor: 'aa01' })
  let right = A.init<Record<string, unknown>>({ actor: 'bb02bb02' })
  for (const [i, e] of a.entries()) {
    left = apply(left, e)
    if (i < b.length) right = apply(right, b[i] as Edit)
    if (i % 3 === 2) {
      left = A.merge(left, right)
      right = A.merge(right, left)
    }
  }
  left = A.merge(left, right)
  left = A.change(left, message === undefined ? {} : { message }, (d) => {
    d.last = 'merged'
  })
  return A.getAllChanges(left)
}

function outcome(decode: (b: Uint8Array) => A.DecodedChange, bytes: Uint8Array): unknown {
  try {
    return { ok: decode(bytes) }
  } catch {
    return 'throws'
  }
}

/**
 * The decoder refuses more than Automerge (a damaged magic number or chunk length that
 * Automerge overlooks; see change-bounds.ts), never less; bytes whose outline is sound
 * decode exactly as Automerge decodes them.
 */
function expectSameOrStricter(bytes: Uint8Array, ours: unknown, theirs: unknown, label?: string): void {
  if (ours !== 'throws' || !isProblem(outlineChange(bytes))) expect(ours, label).toEqual(theirs)
}

/**
 * What the canonical decoder reads is within the bounds, with the outline it implies (the
 * receive path takes a covered change's outline from its decode: remote-batch.ts).
 */
function expectOutlineOf(bytes: Uint8Array, decoded: A.DecodedChange): void {
  expect(outlineChange(bytes)).toEqual({
    hash: decoded.hash,
    deps: decoded.deps,
    actor: decoded.actor,
    ops: decoded.ops.length,
  })
}

describe('change decoder', () => {
  it('reads random documents exactly as A.decodeChange does', () => {
    fc.assert(
      fc.property(
        fc.array(edit, { minLength: 1, maxLength: 12 }),
        fc.array(edit, { maxLength: 12 }),
        fc.option(fc.string(), { nil: undefined }),
        (a, b, message) => {
          for (const bytes of changesOf(a, b, message)) {
            // Integers past 2^53 make both throw.
            const theirs = outcome(A.decodeChange, bytes)
            expect(outcome(decodeChange, bytes)).toEqual(theirs)
            // Everything Automerge's encoder writes here takes the fast path.
            if (theirs !== 'throws') {
              expect(decodeCanonicalChange(bytes)).not.toBeNull()
              expectOutlineOf(bytes, decodeCanonicalChange(bytes) as A.DecodedChange)
              expect(changeHash(bytes)).toBe((theirs as { ok: A.DecodedChange }).ok.hash)
              // The receive path's decode, which takes the deps its outline read, reads the same.
              const outline = outlineChange(bytes)
              if (isProblem(outline)) throw new Error(outline.reason)
              const decoded = decodeOutlinedChange(bytes, outline)
              expect({ ok: decoded }).toEqual(theirs)
              expect(decoded.deps, 'the outline’s deps were taken, not read again').toBe(outline.deps)
            }
          }
        },
      ),
      { numRuns: 400 },
    )
  })

  it('reads every safe integer as Automerge does, past 2^48 and to ±(2^53 − 1) (a negative past 2^48 once lost its low bits)', () => {
    const values = [-346615864350636, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
    for (let bits = 40; bits <= 53; bits++)
      for (const d of [-3, -1, 0, 1, 3]) values.push(2 ** bits + d, -(2 ** bits) + d)
    for (const v of values.filter(Number.isSafeInteger)) {
      const doc = A.change(A.init<{ n?: number }>(), (x) => {
        x.n = v
      })
      const bytes = A.getLastLocalChange(doc) as Uint8Array
      const theirs = A.decodeChange(bytes)
      expect((theirs.ops[0] as { value: unknown }).value, `Automerge reads ${v}`).toBe(v)
      expect(decodeChange(bytes), `${v}`).toEqual(theirs)
      expect(decodeCanonicalChange(bytes), `${v}`).toEqual(theirs)
    }
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const doc = A.change(A.init<{ n?: number }>(), (x) => {
          x.n = v
        })
        const bytes = A.getLastLocalChange(doc) as Uint8Array
        expect(decodeCanonicalChange(bytes)).toEqual(A.decodeChange(bytes))
      }),
      { numRuns: 300 },
    )
  })

  it('reads no change of more ops than a caller bound asks (the receive path passes what an entry has left)', () => {
    const doc = A.change(A.init<Record<string, unknown>>(), (d) => {
      for (let i = 0; i < 20; i++) d[`k${i}`] = i
    })
    const [bytes] = A.getAllChanges(doc) as [Uint8Array]
    expect(decodeCanonicalChange(bytes, undefined, undefined, 20)?.ops).toHaveLength(20)
    expect(decodeCanonicalChange(bytes, undefined, undefined, 19)).toBeNull()
    expect(decodeCanonicalChange(bytes, undefined, undefined, 0)).toBeNull()
  })

  it('reads large changes (which Automerge may compress) the same', () => {
    const doc = A.change(A.init<Record<string, unknown>>(), (d) => {
      for (let i = 0; i < 400; i++) d[`k${i}`] = `value ${i}`
    })
    const [bytes] = A.getAllChanges(doc)
    expect(decodeChange(bytes as Uint8Array)).toEqual(A.decodeChange(bytes as Uint8Array))
    expect(changeHash(bytes as Uint8Array)).toBe(A.decodeChange(bytes as Uint8Array).hash)
  })

  it('never reads mutated bytes differently from Automerge, and throws where it throws', () => {
    const base = changesOf(
      [
        { kind: 'put', key: 'a', value: 'x' },
        { kind: 'nested', key: 'b', inner: 'c', value: 5 },
        { kind: 'list', key: 'ship', values: [1, 'two', null] },
      ],
      [{ kind: 'inc', key: 'a', by: 3 }],
      'm',
    )
    fc.assert(
      fc.property(
        fc.nat(base.length - 1),
        fc.array(fc.tuple(fc.nat(400), fc.nat(255)), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (which, flips, fixChecksum) => {
          const bytes = (base[which] as Uint8Array).slice()
          for (const [at, v] of flips) bytes[at % bytes.length] = v
          // With the checksum recomputed, mutations reach the body's parsers.
          if (fixChecksum) bytes.set(sha256(bytes.subarray(8)).subarray(0, 4), 4)
          const theirs = outcome(A.decodeChange, bytes)
          expectSameOrStricter(bytes, outcome(decodeChange, bytes), theirs)
          // What the fast path accepts, Automerge reads the same way.
          const fast = decodeCanonicalChange(bytes)
          if (fast !== null) expect({ ok: fast }).toEqual(theirs)
          if (fast !== null) expectOutlineOf(bytes, fast)
          // So does the receive path's decode of what it outlined within the bounds.
          const outline = outlineChange(bytes)
          if (!isProblem(outline))
            expectSameOrStricter(
              bytes,
              outcome((b) => decodeOutlinedChange(b, outline), bytes),
              theirs,
            )
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('leaves a zero seq or start op to Automerge, which refuses the start op (found by the mutation property)', () => {
    const doc = A.change(A.init<Record<string, unknown>>({ actor: 'aa01' }), (d) => {
      d.b = { c: 5 }
    })
    const good = A.getLastLocalChange(doc) as Uint8Array
    // Header after the chunk length: deps count (0), actor (len 2, aa01), seq, startOp.
    const at = 8 + 1 + 1 + 1 + 1 + 2
    const zeroAt = (offset: number) => {
      const bytes = good.slice()
      bytes[at + offset] = 0
      bytes.set(sha256(bytes.subarray(8)).subarray(0, 4), 4)
      return bytes
    }
    // Start op 0: Automerge refuses it, and so does the decoder.
    const noStart = zeroAt(1)
    expect(() => A.decodeChange(noStart)).toThrow()
    expect(() => decodeChange(noStart)).toThrow()
    expect(decodeCanonicalChange(noStart)).toBeNull()
    // Seq 0: Automerge reads it; the fast path leaves it to Automerge, with the same result.
    const noSeq = zeroAt(0)
    expect(decodeCanonicalChange(noSeq)).toBeNull()
    expect(decodeChange(noSeq)).toEqual(A.decodeChange(noSeq))
    // A start op past 2^32 (five LEB128 bytes where one was): Automerge refuses it.
    const huge = Uint8Array.from([
      ...good.subarray(0, at + 1),
      ...[0x80, 0x81, 0x80, 0x90, 0x10],
      ...good.subarray(at + 2),
    ])
    expect(good[9]).toBeLessThan(124) // the chunk length: one LEB128 byte, four more now
    huge[9] = (good[9] as number) + 4
    huge.set(sha256(huge.subarray(8)).subarray(0, 4), 4)
    expect(() => A.decodeChange(huge)).toThrow()
    expect(() => decodeChange(huge)).toThrow()
    expect(decodeCanonicalChange(huge)).toBeNull()
  })

  it('zeroing any one byte of a change never makes the decoders disagree (an object id with counter 0 is the root to Automerge; found by the mutation property)', () => {
    const doc = A.change(A.init<Record<string, unknown>>({ actor: 'aa01' }), (d) => {
      d.b = { c: 5, t: 'merged' }
      d.l = ['x', 'y']
    })
    const good = A.getLastLocalChange(doc) as Uint8Array
    for (let at = 8; at < good.length; at++) {
      const bytes = good.slice()
      bytes[at] = 0
      bytes.set(sha256(bytes.subarray(8)).subarray(0, 4), 4)
      let theirs: unknown
      try {
        theirs = { ok: A.decodeChange(bytes) }
      } catch {
        theirs = 'throws'
      }
      let ours: unknown
      try {
        ours = { ok: decodeChange(bytes) }
      } catch {
        ours = 'throws'
      }
      expectSameOrStricter(bytes, ours, theirs, `byte ${at}`)
    }
  })

  it('throws on bytes that are not a change', () => {
    expect(() => decodeChange(new Uint8Array([1, 2, 3]))).toThrow()
    expect(() => decodeChange(new Uint8Array(0))).toThrow()
  })
})

describe('snapshot heads', () => {
  it("reads the heads a saved document names, as loading it gives them; null for anything that is not a document's header", () => {
    fc.assert(
      fc.property(
        fc.array(edit, { minLength: 1, maxLength: 12 }),
        fc.array(edit, { maxLength: 12 }),
        (a, b) => {
          const changes = changesOf(a, b, undefined)
          const [doc] = A.applyChanges(A.init(), changes)
          const saved = A.save(doc)
          expect([...(snapshotHeads(saved) ?? [])].sort()).toEqual([...A.getHeads(A.load(saved))].sort())
          for (const c of changes) expect(snapshotHeads(c)).toBeNull() // a change chunk
          expect(snapshotHeads(saved.subarray(0, 20))).toBeNull()
        },
      ),
      { numRuns: 100 },
    )
    expect(snapshotHeads(A.save(A.init()))).toEqual([])
    expect(snapshotHeads(new Uint8Array(0))).toBeNull()
    expect(snapshotHeads(new Uint8Array(64).fill(0xff))).toBeNull()
  })
})

function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest()
}
