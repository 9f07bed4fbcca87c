/**
 * Runs of a chain's entries stored as one record (a received catch-up): every read of the
 * chain store (head, get, entries, packed, authors) sees exactly what single records give,
 * across record bounds and mixed with single records; a damaged run is named as damage.
 */
import { describe, expect, it } from 'vitest'
import { type Entry, packEntry } from '../../../crdt/chain/entry.ts'
import { Database, packByteList, StorageCorruptError } from '../../../crdt/index.ts'
import { ChainStore } from '../../../crdt/store/chain-store.ts'
import { entryRecords, RUN_ENTRIES, readRecord } from '../../../crdt/store/entry-records.ts'
import { buildChain, makeSigner, TEST_SCOPE } from '../../helpers/signer.ts'
import { keysOf } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-entry-records-')

async function open(): Promise<{ db: Database; chains: ChainStore }> {
  const db = await Database.memory()
  dirs.defer(() => db.close())
  return { db, chains: new ChainStore({ db }) }
}

/** Written one record per entry (as local actions are). */
async function writeSingles(db: Database, chains: ChainStore, entries: readonly Entry[]): Promise<void> {
  await db.write(
    entries.flatMap((e) => chains.putOps(e)),
    false,
  )
  for (const e of entries) chains.appended(e)
}

/** Written as a receive writes them (runs share records). */
async function writeRuns(db: Database, chains: ChainStore, entries: readonly Entry[]): Promise<void> {
  await db.write(chains.putAllOps(entries), false)
  for (const e of entries) chains.appended(e)
}

async function all(chains: ChainStore, author: Entry['author'], options = {}): Promise<string[]> {
  const out: Uint8Array[] = []
  for await (const e of chains.entries(TEST_SCOPE, author, options)) out.push(e.bytes)
  return hex(out)
}

/** Byte strings as hex (LevelDB hands back Buffers; the entries hold Uint8Arrays). */
const hex = (xs: readonly Uint8Array[]) => xs.map((x) => Buffer.from(x).toString('hex'))
const bytesOf = (entries: readonly Entry[]) => hex(entries.map((e) => e.bytes))
const packedOf = (entries: readonly Entry[]) => hex(entries.map((e) => packEntry(e)))

describe('entry runs', () => {
  it('read back exactly as single records, across record bounds and mixed with single records', async () => {
    const a = makeSigner()
    const b = makeSigner()
    const chain = buildChain(a, 2 * RUN_ENTRIES + 40)
    const other = buildChain(b, 3)
    const { db, chains } = await open()
    // 1-5 single, 6..(end-5) received in one batch (with another author's run), the rest single.
    await writeSingles(db, chains, chain.slice(0, 5))
    await writeRuns(db, chains, [...other, ...chain.slice(5, -5).reverse()])
    await writeSingles(db, chains, chain.slice(-5))
    // Fewer records than entries: the runs share them.
    const keys = await keysOf(db.entries)
    expect(keys.length).toBeLessThan(20)
    expect(keys.length).toBeGreaterThan(5 + 5 + 3)

    for (const store of [chains, new ChainStore({ db })]) {
      expect((await store.head(TEST_SCOPE, a.memberKey))?.hash).toBe(chain.at(-1)?.hash)
      expect((await store.head(TEST_SCOPE, b.memberKey))?.hash).toBe(other.at(-1)?.hash)
      for (const seq of [
        1,
        5,
        6,
        7,
        RUN_ENTRIES,
        RUN_ENTRIES + 5,
        RUN_ENTRIES + 6,
        chain.length - 5,
        chain.length,
      ])
        expect((await store.get(TEST_SCOPE, a.memberKey, seq))?.hash).toBe(chain[seq - 1]?.hash)
      expect(await store.get(TEST_SCOPE, a.memberKey, chain.length + 1)).toBeNull()
      expect(await store.get(TEST_SCOPE, a.memberKey, 0)).toBeNull()
      expect(await all(store, a.memberKey)).toEqual(bytesOf(chain))
      expect(await all(store, b.memberKey)).toEqual(bytesOf(other))
      for (const [from, limit] of [
        [1, 3],
        [4, 4],
        [7, 300],
        [RUN_ENTRIES + 3, 1],
        [chain.length - 6, 100],
      ] as const) {
        const want = chain.slice(from - 1, from - 1 + limit)
        expect(await all(store, a.memberKey, { from, limit })).toEqual(bytesOf(want))
        expect(hex(await store.packed(TEST_SCOPE, a.memberKey, from, limit))).toEqual(packedOf(want))
      }
      expect(await store.packed(TEST_SCOPE, a.memberKey, chain.length + 1, 10)).toEqual([])
      expect(await store.authors(TEST_SCOPE)).toEqual([a.memberKey, b.memberKey].sort())
      expect(await store.scopes()).toEqual([TEST_SCOPE])
    }
  })

  it('entries that do not follow each other are never one record', () => {
    const chain = buildChain(makeSigner(), 6)
    const records = entryRecords([chain[0], chain[1], chain[3], chain[4], chain[5]] as Entry[])
    expect(records.map(([key, value]) => readRecord(key, value)).map((r) => [r?.first, r?.last])).toEqual([
      [1, 2],
      [4, 6],
    ])
    // A single entry is stored as a single record (its key is the entry's own).
    const [[key, value]] = entryRecords([chain[2] as Entry]) as [[string, Uint8Array]]
    expect(key.endsWith('!000000000000003')).toBe(true)
    expect(value).toEqual(packEntry(chain[2] as Entry))
  })

  it('a damaged run record is StorageCorruptError, never a short or shifted chain', async () => {
    const a = makeSigner()
    const chain = buildChain(a, 4)
    const [[key, value]] = entryRecords(chain) as [[string, Uint8Array]]
    const damages: Uint8Array[] = [
      // Truncated: the framed lengths do not add up.
      value.slice(0, value.length - 3),
      // Framed well, but one entry short of what the key names.
      packByteList(chain.slice(0, 3).map((e) => packEntry(e))),
      // Framed well, but its entries out of place.
      packByteList([chain[1], chain[0], chain[2], chain[3]].map((e) => packEntry(e as Entry))),
    ]
    for (const [i, damaged] of damages.entries()) {
      const { db, chains } = await open()
      await db.write([{ type: 'put', section: db.entries, key, value: damaged }], false)
      await expect(chains.get(TEST_SCOPE, a.memberKey, 1)).rejects.toBeInstanceOf(StorageCorruptError)
      if (i < 2)
        await expect(chains.head(TEST_SCOPE, a.memberKey)).rejects.toBeInstanceOf(StorageCorruptError)
      else expect((await chains.head(TEST_SCOPE, a.memberKey))?.hash).toBe(chain[3]?.hash)
    }
  })
})
