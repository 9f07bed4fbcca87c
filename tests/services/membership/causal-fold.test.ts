/**
 * The fold the masked views are made of: with nothing masked it is exactly Automerge's
 * view of a document of maps and scalars (random concurrent edits merged in random
 * orders); with changes masked it is the document as if they had never been made, even
 * when later changes overwrote them or wrote into what they created.
 */
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeAll, foldChanges } from '../../../services/membership/causal-fold.ts'

type Doc = Record<string, unknown>
type Edit =
  | { kind: 'set'; who: number; path: string[]; value: string | number | null }
  | { kind: 'map'; who: number; path: string[] }
  | { kind: 'del'; who: number; path: string[] }
  | { kind: 'merge'; from: number; to: number }

const key = fc.constantFrom('a', 'b', 'c')
const who = fc.integer({ min: 0, max: 2 })
const path = fc.array(key, { minLength: 1, maxLength: 3 })
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    who,
    path,
    value: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)),
  }),
  fc.record({ kind: fc.constant('map' as const), who, path }),
  fc.record({ kind: fc.constant('del' as const), who, path }),
  fc.record({ kind: fc.constant('merge' as const), from: who, to: who }),
)

/** Plain JSON of a document, scalar strings as strings. */
function plain(v: unknown): unknown {
  if (A.isImmutableString(v)) return v.toString()
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

function apply(doc: A.Doc<Doc>, e: Exclude<Edit, { kind: 'merge' }>): A.Doc<Doc> {
  return A.change(doc, (d) => {
    let at = d as Record<string, unknown>
    for (const k of e.path.slice(0, -1)) {
      const next = at[k]
      if (next === null || typeof next !== 'object') return
      at = next as Record<string, unknown>
    }
    const last = e.path[e.path.length - 1] as string
    if (e.kind === 'set') at[last] = typeof e.value === 'string' ? new A.ImmutableString(e.value) : e.value
    else if (e.kind === 'map') at[last] = {}
    else delete at[last]
  })
}

describe('causal fold', () => {
  it('with nothing masked, equals what Automerge shows after random concurrent edits', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 30 }), (edits) => {
        const docs = [0, 1, 2].map((i) => A.init<Doc>({ actor: `0${i}`.padEnd(32, String(i)) }))
        for (const e of edits) {
          if (e.kind === 'merge') {
            if (e.from !== e.to) docs[e.to] = A.merge(docs[e.to] as A.Doc<Doc>, docs[e.from] as A.Doc<Doc>)
          } else docs[e.who] = apply(docs[e.who] as A.Doc<Doc>, e)
        }
        const all = docs.reduce((a, b) => A.merge(A.clone(a), b))
        expect(foldChanges(decodeAll(all as A.Doc<unknown>), new Set())).toEqual(plain(all))
      }),
      { numRuns: 200 },
    )
  })

  it('leaves out masked changes: their overwrites, and everything written into what they made', () => {
    let honest = A.from<Doc>({ ships: {}, name: new A.ImmutableString('Honest') })
    let rogue = A.clone(honest, `${'0'.repeat(31)}f`)
    rogue = A.change(rogue, (d) => {
      d.name = new A.ImmutableString('Rogue')
      ;(d.ships as Doc).s1 = { model: new A.ImmutableString('Carrack') }
    })
    const masked = A.getHeads(rogue)[0] as string
    honest = A.merge(honest, rogue)
    honest = A.change(honest, (d) => {
      ;((d.ships as Doc).s1 as Doc).status = new A.ImmutableString('confirmed')
      ;(d.ships as Doc).s2 = { model: new A.ImmutableString('Cutlass') }
    })
    const changes = decodeAll(honest as A.Doc<unknown>)
    expect(foldChanges(changes, new Set())).toEqual(plain(honest))
    expect(foldChanges(changes, new Set([masked]))).toEqual({
      name: 'Honest',
      ships: { s2: { model: 'Cutlass' } },
    })
    // An honest write over a masked value wins as usual.
    honest = A.change(honest, (d) => {
      d.name = new A.ImmutableString('Renamed')
    })
    expect(foldChanges(decodeAll(honest as A.Doc<unknown>), new Set([masked])).name).toBe('Renamed')
  })
})
