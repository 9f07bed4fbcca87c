/** The store's in-memory documents: bounded, the least recently used dropped first. */
import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { parseDocId } from '../../../crdt/index.ts'
import { LoadedDocs } from '../../../crdt/store/loaded-docs.ts'

const state = () => ({ doc: A.init(), lastSeq: 0, pending: 0 })
const id = (n: number) => parseDocId(`org:d${n}`)

describe('LoadedDocs', () => {
  it('drops the least recently used beyond its capacity; a read or a write makes a document recent', () => {
    const docs = new LoadedDocs(3)
    for (const n of [1, 2, 3]) docs.set(id(n), state())
    expect(docs.get(id(1))).toBeDefined() // 1 is now the most recent: 2 is the oldest
    docs.set(id(4), state())
    expect([1, 2, 3, 4].map((n) => docs.has(id(n)))).toEqual([true, false, true, true])
    docs.set(id(3), state()) // rewritten: recent again, 1 the oldest
    docs.set(id(5), state())
    expect([1, 3, 4, 5].map((n) => docs.has(id(n)))).toEqual([false, true, true, true])
    expect(docs.size).toBe(3)
  })

  it('refuses a capacity below one', () => {
    expect(() => new LoadedDocs(0)).toThrow(RangeError)
    expect(() => new LoadedDocs(1.5)).toThrow(RangeError)
  })
})
