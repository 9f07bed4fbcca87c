/**
 * Totals over index rows kept by the document store (crdt/store/index-totals.ts), on a
 * toy indexer: a stored total is the sum of the stored rows after local changes, received
 * batches touching many documents, a snapshot taking a document's place, a reopen and a
 * failed write; none is kept until its reader builds it (one scan), and an unreadable one
 * is dropped by the next write and built again.
 */
import * as A from '@automerge/automerge'
import { describe, expect, it, vi } from 'vitest'
import {
  type DocId,
  type DocumentIndexer,
  MemoryStorage,
  parseDocId,
  type RemoteBatch,
  type RowTotals,
} from '../../../crdt/index.ts'
import { entriesOf, keysOf, type StoreHandle, useStores } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-totals-')
const stores = useStores(dirs, { storage: 'memory' })

interface Counter {
  count: number
}
/** Rows, and their counts, of the group; `me` counted apart (a total may depend on whose node counts). */
interface Sum {
  rows: number
  count: number
  mine: number
  me: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const countOf = (row: Uint8Array) => (JSON.parse(decoder.decode(row)) as { count: number }).count

const sums = (me: string): RowTotals<Sum> => ({
  group: (docId) => (docId.startsWith('org:g') ? 'org:g' : null),
  empty: () => ({ rows: 0, count: 0, mine: 0, me }),
  count: (t, docId, row, sign) => {
    t.rows += sign
    t.count += sign * countOf(row)
    if (docId.endsWith(me.slice(0, 4))) t.mine += sign
  },
  encode: (t) => encoder.encode(JSON.stringify(t)),
  decode: (bytes) => {
    try {
      const t = JSON.parse(decoder.decode(bytes)) as Sum
      return t.me === me && Number.isSafeInteger(t.rows) && Number.isSafeInteger(t.count) ? t : null
    } catch {
      return null
    }
  },
})

const indexer: DocumentIndexer = {
  type: 'org',
  version: 1,
  row: (_docId, doc) => encoder.encode(JSON.stringify({ count: (doc as A.Doc<Counter>).count ?? 0 })),
  totals: sums as (me: string) => RowTotals<unknown>,
}

const open = (h?: StoreHandle) =>
  h === undefined ? stores.open({ indexers: [indexer] }) : stores.reopen(h, { indexers: [indexer] })
const OTHER = parseDocId('org:other')
const ids = (n: number): DocId[] => Array.from({ length: n }, (_, i) => parseDocId(`org:g${i}`))

async function bump(h: StoreHandle, docId: DocId, by: number): Promise<void> {
  if (await h.store.has(docId))
    await h.store.change<Counter>(docId, { action: 'org.bump', resource: docId }, (d) => {
      d.count += by
    })
  else
    await h.store.create<Counter>(docId, { action: 'org.create', resource: docId }, (d) => {
      d.count = by
    })
}

/** The group's total as stored, against one summed from the stored rows now. */
async function exact(h: StoreHandle): Promise<Sum> {
  const { total } = await h.store.indexTotal<Sum>('org', 'org:g')
  const fresh = sums(h.signer.memberKey).empty()
  for (const [docId, row] of await h.store.indexRows('org:g'))
    sums(h.signer.memberKey).count(fresh, docId, row, 1)
  expect(total).toEqual(fresh)
  return total
}

async function batchOfAll(h: StoreHandle, docs: readonly DocId[]): Promise<RemoteBatch> {
  const changes: Uint8Array[] = []
  for (const id of [...docs, OTHER]) if (await h.store.has(id)) changes.push(...(await h.store.changes(id)))
  return { entries: await entriesOf(h.store, h.signer.memberKey), changes }
}

describe('index totals kept by the store', () => {
  it('are built once by their reader, then folded in with every batch: local changes, received batches, snapshots, a reopen', async () => {
    let a = await open()
    const b = await open()
    for (const [i, id] of ids(3).entries()) await bump(a, id, i + 1)
    await bump(a, OTHER, 100) // in no group
    const scans = vi.spyOn(a.store, 'indexRows')
    expect(await exact(a)).toMatchObject({ rows: 3, count: 6 })
    expect(scans.mock.calls.filter(([p]) => p === 'org:g')).toHaveLength(2) // the build, and `exact`'s own
    // The receiver's first read builds its total; later batches touching several documents fold in.
    expect((await b.store.receive(await batchOfAll(a, ids(3)))).rejected).toEqual([])
    expect(await exact(b)).toMatchObject({ rows: 3, count: 6 })
    for (const id of ids(5)) await bump(a, id, 10)
    expect((await b.store.receive(await batchOfAll(a, ids(5)))).rejected).toEqual([])
    expect(await exact(b)).toMatchObject({ rows: 5, count: 56 })
    // A snapshot holding exactly the history takes the document's place.
    const [g0] = ids(1) as [DocId]
    for (let i = 0; i < 5; i++) await bump(a, g0, 1)
    const snapshots = new Map([[g0, await a.store.snapshot(g0)]])
    expect((await b.store.receive({ ...(await batchOfAll(a, [g0])), snapshots })).rejected).toEqual([])
    expect(await exact(b)).toMatchObject({ rows: 5, count: 61 })
    expect(A.toJS(await b.store.get(g0))).toEqual({ count: 16 })
    expect(await keysOf(b.db.changes, g0)).toEqual([]) // the snapshot path was taken
    a = await open(a)
    const again = vi.spyOn(a.store, 'indexRows')
    expect((await a.store.indexTotal<Sum>('org', 'org:g')).total).toMatchObject({ rows: 5, count: 61 })
    expect(again).not.toHaveBeenCalled()
  })

  it('a failed write leaves the stored total and the cached one as they were', async () => {
    const a = await open()
    for (const id of ids(2)) await bump(a, id, 1)
    await exact(a)
    const storage = a.db.storage
    if (!(storage instanceof MemoryStorage)) throw new Error('this test runs on a memory storage')
    storage.failNextWrite(new Error('disk full'))
    await expect(bump(a, ids(3)[2] as DocId, 5)).rejects.toThrow('disk full')
    expect(await exact(a)).toMatchObject({ rows: 2, count: 2 })
    await bump(a, ids(3)[2] as DocId, 5)
    expect(await exact(a)).toMatchObject({ rows: 3, count: 7 })
  })

  it('an unreadable total is not folded into: the next write drops it, the next read builds it again', async () => {
    let a = await open()
    for (const id of ids(2)) await bump(a, id, 1)
    await exact(a)
    await a.store.stop()
    await a.db.write(
      [{ type: 'put', section: a.db.meta, key: 'index-total:org:g', value: encoder.encode('{') }],
      true,
    )
    a = await open(a)
    await bump(a, ids(1)[0] as DocId, 1)
    expect(await a.db.meta.get('index-total:org:g')).toBeUndefined()
    expect(await exact(a)).toMatchObject({ rows: 2, count: 3 })
  })
})
