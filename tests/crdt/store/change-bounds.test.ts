/**
 * Bounds on Automerge chunks from peers: run-length bombs in every column type and
 * deflate bombs are refused from their declared sizes, fast and before anything is
 * expanded, by the outline and by the decoder; real changes and snapshots pass.
 */
import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { ChangeBoundsError } from '../../../crdt/errors.ts'
import {
  CHANGE_BOUNDS,
  changeChunkHash,
  isProblem,
  outlineChange,
  snapshotProblem,
} from '../../../crdt/store/change-bounds.ts'
import { decodeChange } from '../../../crdt/store/change-decoder.ts'
import { changeBombs, compressedChangeBomb, snapshotBomb } from '../../helpers/automerge-bombs.ts'

const ACTOR = `${'ab'.repeat(32)}0102030405060708`

function realDoc() {
  let doc = A.init<{ ships: Record<string, { name: string }>; list: number[] }>({ actor: ACTOR })
  doc = A.change(doc, (d) => {
    d.ships = { a: { name: 'Carrack' } }
    d.list = [1, 2, 3]
  })
  doc = A.change(doc, (d) => {
    d.list.splice(0, 2)
    if (d.ships.a) d.ships.a.name = 'Idris'
  })
  return doc
}

describe('change bounds', () => {
  it('reads a real change: its hash, dependencies, actor and op count', () => {
    const doc = realDoc()
    for (const bytes of A.getAllChanges(doc)) {
      const decoded = A.decodeChange(bytes)
      const o = outlineChange(bytes)
      expect(isProblem(o)).toBe(false)
      expect(o).toEqual({
        hash: decoded.hash,
        deps: decoded.deps,
        actor: decoded.actor,
        ops: decoded.ops.length,
      })
      expect(changeChunkHash(bytes)).toBe(decoded.hash)
    }
  })

  for (const [column, bytes] of Object.entries(changeBombs(ACTOR))) {
    it(`refuses a change whose ${column} column declares 2^31 values, at once, without expanding it`, () => {
      const start = performance.now()
      const o = outlineChange(bytes)
      expect(o).toMatchObject({ kind: 'oversize' })
      let thrown: unknown
      try {
        decodeChange(bytes)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(ChangeBoundsError)
      expect((thrown as ChangeBoundsError).problem).toBe('oversize')
      expect(performance.now() - start).toBeLessThan(50)
      expect(bytes.length).toBeLessThan(200)
    })
  }

  it('refuses a compressed change chunk (our nodes never send one) without inflating it', () => {
    const bomb = compressedChangeBomb(64 << 20)
    const start = performance.now()
    expect(outlineChange(bomb)).toMatchObject({ kind: 'malformed' })
    expect(changeChunkHash(bomb)).toMatchObject({ kind: 'malformed' })
    expect(() => decodeChange(bomb)).toThrow(ChangeBoundsError)
    expect(performance.now() - start).toBeLessThan(50)
  })

  it('refuses a change of more than the op bound, and one past the byte bound by its hash alone', () => {
    let doc = A.init<{ l: number[] }>({ actor: ACTOR })
    doc = A.change(doc, (d) => {
      d.l = Array.from({ length: CHANGE_BOUNDS.maxOps + 1 }, (_, i) => i % 7)
    })
    const big = A.getLastLocalChange(doc) as Uint8Array
    expect(outlineChange(big)).toMatchObject({ kind: 'oversize' })
    const huge = new Uint8Array(CHANGE_BOUNDS.maxChangeBytes + 16)
    huge.set([0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1])
    expect(changeChunkHash(huge)).toMatchObject({ kind: 'malformed' })
  })

  it('lets a real snapshot through, within the history it stands for', () => {
    const doc = realDoc()
    const stats = A.stats(doc)
    expect(snapshotProblem(A.save(doc), { changes: stats.numChanges, ops: stats.numOps })).toBeNull()
    // A snapshot declaring more ops than that history holds is refused.
    expect(snapshotProblem(A.save(doc), { changes: stats.numChanges, ops: 1 })).toMatchObject({
      kind: 'oversize',
    })
  })

  it('refuses snapshots whose ops declare 2^31 values or whose columns inflate past the bound, fast', () => {
    const doc = realDoc()
    const stats = A.stats(doc)
    const limits = { changes: stats.numChanges, ops: stats.numOps + 1000 }
    for (const kind of ['rle', 'deflate'] as const) {
      const bomb = snapshotBomb(doc, kind)
      const before = process.memoryUsage().rss
      const start = performance.now()
      expect(snapshotProblem(bomb, limits), kind).toMatchObject({ kind: 'oversize' })
      expect(performance.now() - start).toBeLessThan(500)
      expect(process.memoryUsage().rss - before).toBeLessThan(100 << 20)
    }
  })

  it('refuses a snapshot whose structure does not parse', () => {
    const saved = A.save(realDoc())
    expect(snapshotProblem(saved.subarray(0, saved.length - 20), { changes: 9, ops: 99 })).toMatchObject({
      kind: 'malformed',
    })
  })
})
