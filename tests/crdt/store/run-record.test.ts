/**
 * The compact stored form of a run of entries (storage format 4): it reads back as exactly
 * the entries written, every field shape included; it is much smaller than the entries;
 * damage anywhere in it is refused as a whole, never read as other entries; and runs in
 * format 3's form still read back as they are.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Entry, type EntryBody, packEntry } from '../../../crdt/chain/entry.ts'
import { Database, fromHex, packByteList, StorageCorruptError } from '../../../crdt/index.ts'
import { ChainStore } from '../../../crdt/store/chain-store.ts'
import { entryRecords, readRecord } from '../../../crdt/store/entry-records.ts'
import { isCompactRun, packRun, unpackRun } from '../../../crdt/store/run-record.ts'
import { BASE_TIME, buildChain, fakeHash, makeSigner, TEST_DOC, TEST_SCOPE } from '../../helpers/signer.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-run-record-')

const hex = (xs: readonly Uint8Array[]) => xs.map((x) => Buffer.from(x).toString('hex'))

/** A chain whose fields change from entry to entry in every way a run must keep. */
function variedChain(n: number, after?: { seq: number; hash: Entry['hash'] }): Entry[] {
  const signer = makeSigner()
  return buildChain(signer, n, {
    ...(after === undefined ? {} : { after }),
    body: (seq): Partial<EntryBody> => ({
      // Time going back and forth, and a big step.
      time: seq % 5 === 0 ? BASE_TIME - seq * 7 : BASE_TIME + seq * 1000 + (seq % 3 === 0 ? 2 ** 40 : 0),
      action: seq % 3 === 0 ? 'ship.update' : 'test.change',
      // Repeating now and then, as a hangar's ships do; non-ASCII too.
      resource: `ship:${seq % 4}${seq % 7 === 0 ? '-é' : ''}`,
      details: seq % 2 === 0 ? { status: seq % 4 === 0 ? 'available' : 'in-use' } : { i: seq },
      doc: seq % 6 === 1 ? null : TEST_DOC,
      changes: seq % 6 === 1 ? [] : Array.from({ length: seq % 3 }, (_, i) => fakeHash(`c-${seq}-${i}`)),
      authHeads: seq % 4 === 0 ? [] : [fakeHash(`auth-${Math.floor(seq / 8)}`), fakeHash('auth')],
    }),
  })
}

function placeOf(chain: readonly Entry[]) {
  const first = chain[0] as Entry
  const last = chain.at(-1) as Entry
  return { author: fromHex(first.author), scope: fromHex(TEST_SCOPE), first: first.seq, last: last.seq }
}

describe('compact run records', () => {
  it('read back as exactly the entries written (signature and canonical bytes), from seq 1 or later', () => {
    const chain = variedChain(60)
    for (const run of [chain, chain.slice(1), chain.slice(17, 40), chain.slice(58)]) {
      const value = packRun(run)
      expect(isCompactRun(value)).toBe(true)
      const back = unpackRun(value, placeOf(run))
      expect(back).not.toBeNull()
      expect(hex(back ?? [])).toEqual(hex(run.map((e) => packEntry(e))))
    }
  })

  it('take a small part of the bytes of the entries they hold when fields repeat', () => {
    const chain = variedChain(200)
    const value = packRun(chain)
    const packed = chain.reduce((n, e) => n + e.signature.length + e.bytes.length, 0)
    expect(value.length).toBeLessThan(packed / 2)
  })

  it('refuse entries that are not one linked run', () => {
    const chain = variedChain(5)
    expect(() => packRun([chain[0], chain[2]] as Entry[])).toThrow(TypeError)
    const other = variedChain(5)
    expect(() => packRun([chain[0], other[1]] as Entry[])).toThrow(TypeError)
    // Entries that do not link are stored apart, each run in its own record.
    const records = entryRecords([chain[0], chain[1], other[2], other[3]] as Entry[])
    expect(records).toHaveLength(2)
  })

  it('damaged anywhere (any byte, a cut, another place), read as nothing rather than as other entries', () => {
    const chain = variedChain(8)
    const value = packRun(chain)
    const place = placeOf(chain)
    for (let i = 0; i < value.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const damaged = Uint8Array.from(value)
        damaged[i] = (damaged[i] as number) ^ bit
        expect(unpackRun(damaged, place), `byte ${i} bit ${bit}`).toBeNull()
      }
    }
    for (const cut of [1, 4, 40, value.length - 5]) expect(unpackRun(value.slice(0, -cut), place)).toBeNull()
    expect(unpackRun(value, { ...place, first: 2, last: 9 })).toBeNull()
    expect(unpackRun(value, { ...place, last: 7 })).toBeNull()
    expect(unpackRun(value, { ...place, author: fromHex(makeSigner().memberKey) })).toBeNull()
    expect(unpackRun(value, { ...place, scope: null })).toBeNull()
  })

  it('a damaged compact run in the database is StorageCorruptError for head, get and packed', async () => {
    const a = makeSigner()
    const chain = buildChain(a, 6)
    const [[key, value]] = entryRecords(chain) as [[string, Uint8Array]]
    expect(isCompactRun(value)).toBe(true)
    const damaged = Uint8Array.from(value)
    damaged[80] = (damaged[80] as number) ^ 1
    const db = await Database.open(join(await dirs.make(), 'db'), { create: true })
    dirs.defer(() => db.close())
    await db.write([{ type: 'put', section: db.entries, key, value: damaged }], false)
    const chains = new ChainStore({ db })
    await expect(chains.head(TEST_SCOPE, a.memberKey)).rejects.toBeInstanceOf(StorageCorruptError)
    await expect(chains.get(TEST_SCOPE, a.memberKey, 2)).rejects.toBeInstanceOf(StorageCorruptError)
    await expect(chains.packed(TEST_SCOPE, a.memberKey, 1, 10)).rejects.toBeInstanceOf(StorageCorruptError)
  })

  it("a run in format 3's form (packed entries framed as a byte list) reads back as it is", async () => {
    const a = makeSigner()
    const chain = buildChain(a, 5)
    const [[key]] = entryRecords(chain) as [[string, Uint8Array]]
    const old = packByteList(chain.map((e) => packEntry(e)))
    expect(isCompactRun(old)).toBe(false)
    expect(readRecord(key, old)).toMatchObject({ first: 1, last: 5 })
    const db = await Database.open(join(await dirs.make(), 'db'), { create: true })
    dirs.defer(() => db.close())
    await db.write([{ type: 'put', section: db.entries, key, value: old }], false)
    const chains = new ChainStore({ db })
    expect((await chains.head(TEST_SCOPE, a.memberKey))?.hash).toBe(chain[4]?.hash)
    expect((await chains.get(TEST_SCOPE, a.memberKey, 3))?.hash).toBe(chain[2]?.hash)
    expect(hex(await chains.packed(TEST_SCOPE, a.memberKey, 2, 3))).toEqual(
      hex(chain.slice(1, 4).map((e) => packEntry(e))),
    )
  })
})
