/**
 * The chain store's in-memory list of a scope's authors (every sync request and answer
 * names them all): read once, kept up to date by what is written, never stale.
 */
import { describe, expect, it } from 'vitest'
import { Database, packEntry, StorageCorruptError } from '../../../crdt/index.ts'
import { ChainStore } from '../../../crdt/store/chain-store.ts'
import { buildChain, makeSigner, TEST_SCOPE } from '../../helpers/signer.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-chains-')

async function open(): Promise<{ db: Database; chains: ChainStore }> {
  const db = await Database.memory()
  dirs.defer(() => db.close())
  return { db, chains: new ChainStore({ db }) }
}

async function write(db: Database, chains: ChainStore, entries: ReturnType<typeof buildChain>) {
  await db.write(
    entries.flatMap((e) => chains.putOps(e)),
    false,
  )
  for (const e of entries) chains.appended(e)
}

describe('chain store authors', () => {
  it('a new author written after the list was read is in it, in key order; a list handed out is a copy', async () => {
    const { db, chains } = await open()
    const [a, b, c] = [makeSigner(), makeSigner(), makeSigner()]
    await write(db, chains, buildChain(a, 2))
    expect(await chains.authors(TEST_SCOPE)).toEqual([a.memberKey])
    const handed = await chains.authors(TEST_SCOPE)
    handed.push(c.memberKey)
    await write(db, chains, [...buildChain(b, 1), ...buildChain(c, 3)])
    const sorted = [a, b, c].map((s) => s.memberKey).sort()
    expect(await chains.authors(TEST_SCOPE)).toEqual(sorted)
    // As a fresh store reads them from the database.
    expect(await new ChainStore({ db }).authors(TEST_SCOPE)).toEqual(sorted)
    expect(await chains.authors(null)).toEqual([])
  })

  it('an author written while the list is being read is not lost', async () => {
    const { db, chains } = await open()
    // The late author's key sorts first: the scan is past it after its first read.
    const signers = Array.from({ length: 6 }, () => makeSigner()).sort((x, y) =>
      x.memberKey < y.memberKey ? -1 : 1,
    )
    const late = signers[0] as ReturnType<typeof makeSigner>
    await write(
      db,
      chains,
      signers.slice(1).flatMap((s) => buildChain(s, 1)),
    )
    // The scan and a write of the new author interleave.
    const [scanned] = await Promise.all([chains.authors(TEST_SCOPE), write(db, chains, buildChain(late, 1))])
    expect(scanned.length).toBeGreaterThanOrEqual(5)
    expect(await chains.authors(TEST_SCOPE)).toContain(late.memberKey)
    expect(await chains.authors(TEST_SCOPE)).toEqual(signers.map((s) => s.memberKey).sort())
  })

  it('a head read while a newer entry is written does not stick: the newer head is kept', async () => {
    const { db, chains } = await open()
    const a = makeSigner()
    const chain = buildChain(a, 2)
    await write(db, chains, chain.slice(0, 1))
    expect((await chains.head(TEST_SCOPE, a.memberKey))?.seq).toBe(1)
    const fresh = new ChainStore({ db })
    // The fresh store's first head read is held back until the second entry is written.
    const { promise: gate, resolve: release } = Promise.withResolvers<void>()
    const read = db.read.bind(db)
    let held = false
    db.read = async <T>(fn: () => Promise<T>): Promise<T> => {
      const value = await read(fn)
      if (!held) {
        held = true
        await gate
      }
      return value
    }
    const reading = fresh.head(TEST_SCOPE, a.memberKey)
    db.read = read
    await write(db, fresh, chain.slice(1))
    release()
    expect((await reading)?.seq).toBeGreaterThanOrEqual(1)
    expect((await fresh.head(TEST_SCOPE, a.memberKey))?.seq).toBe(2)
  })
})

describe('chain store passes (a backup reads every chain this way)', () => {
  it('lengths and packed runs give every chain whole, single and run records alike, in key order', async () => {
    const { db, chains } = await open()
    const [a, b, c] = [makeSigner(), makeSigner(), makeSigner()]
    const local = buildChain(c, 3, { body: () => ({ scope: null }) })
    const single = buildChain(a, 4)
    // Received together: run records (256 entries at most each), then one single record.
    const received = buildChain(b, 300)
    const more = buildChain(b, 1, { after: received[299] as (typeof received)[number] })
    await write(db, chains, [...single, ...local])
    await db.write(chains.putAllOps(received), false)
    await write(db, chains, more)
    const want = [
      ...[
        { scope: TEST_SCOPE, author: a.memberKey, entries: single },
        { scope: TEST_SCOPE, author: b.memberKey, entries: [...received, ...more] },
      ].sort((x, y) => (x.author < y.author ? -1 : 1)),
      { scope: null, author: c.memberKey, entries: local },
    ]
    const fresh = new ChainStore({ db })
    expect(await fresh.lengths()).toEqual(
      want.map((w) => ({ scope: w.scope, author: w.author, count: w.entries.length })),
    )
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    const got = new Map<string, string[]>()
    const order: string[] = []
    for await (const run of fresh.packedRuns()) {
      const key = `${run.scope}/${run.author}`
      if (!got.has(key)) order.push(key)
      got.set(key, [...(got.get(key) ?? []), ...run.packed.map(hex)])
    }
    expect(order).toEqual(want.map((w) => `${w.scope}/${w.author}`))
    for (const w of want)
      expect(got.get(`${w.scope}/${w.author}`)).toEqual(w.entries.map((e) => hex(packEntry(e))))
  })

  it('a damaged record key is named as damage, not skipped', async () => {
    const { db, chains } = await open()
    await write(db, chains, buildChain(makeSigner(), 1))
    await db.write(
      [{ type: 'put', section: db.entries, key: `${TEST_SCOPE}!not-an-author!1`, value: new Uint8Array(1) }],
      false,
    )
    await expect(chains.lengths()).rejects.toThrow(StorageCorruptError)
    const readAll = async () => {
      for await (const _ of chains.packedRuns());
    }
    await expect(readAll()).rejects.toThrow(StorageCorruptError)
  })
})
