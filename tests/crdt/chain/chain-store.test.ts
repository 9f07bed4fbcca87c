/**
 * The chain store's in-memory list of a scope's authors (every sync request and answer
 * names them all): read once, kept up to date by what is written, never stale.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ChainStore } from '../../../crdt/chain/chain-store.ts'
import { Database } from '../../../crdt/index.ts'
import { buildChain, makeSigner, TEST_SCOPE } from '../../helpers/signer.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-chains-')

async function open(): Promise<{ db: Database; chains: ChainStore }> {
  const db = await Database.open(join(await dirs.make(), 'db'), { create: true })
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
})
