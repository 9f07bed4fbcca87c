/**
 * The receive path does no work for strangers and none past the bounds: a known
 * author's entry covering a run-length or deflate bomb is refused as `oversize` (or
 * `malformed`) before anything expands it; an unknown author's entries are refused as
 * `unknown-author` with nothing verified or read; changes no entry covers are dropped
 * unread; a snapshot bomb that names the right heads is refused, not loaded. Memory
 * stays within 100 MB of where it was, and each receive returns fast.
 */
import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  type ChangeHash,
  type DocId,
  parseDocId,
  type RemoteBatch,
  type SignedEntry,
  signEntry,
} from '../../../crdt/index.ts'
import { CHANGE_BOUNDS, changeChunkHash } from '../../../crdt/store/change-bounds.ts'
import { changeBombs, compressedChangeBomb, snapshotBomb } from '../../helpers/automerge-bombs.ts'
import { entryBody, makeSigner, type TestSigner } from '../../helpers/signer.ts'
import { batchOf, keysOf, type StoreHandle, useStores } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-receive-bounds-')
const stores = useStores(dirs, { storage: 'memory' })
const DOC = parseDocId('org:bounds')
const MB = 1024 * 1024

/** `signer`'s first entry, covering `change` (a change of `DOC`). */
function coveringEntry(signer: TestSigner, change: Uint8Array): SignedEntry {
  const hash = changeChunkHash(change)
  if (typeof hash !== 'string') throw new Error(hash.reason)
  return signEntry(
    entryBody(signer.memberKey, 1, null, { doc: DOC, changes: [hash as ChangeHash], authHeads: [] }),
    signer,
  )
}

async function expectNothingStored(h: StoreHandle): Promise<void> {
  expect(await keysOf(h.db.entries)).toEqual([])
  expect(await keysOf(h.db.changes)).toEqual([])
  expect(await h.store.list()).toEqual([])
}

/** Runs `fn`, expecting it to return within `ms` and grow RSS by less than 100 MB. */
async function bounded<T>(fn: () => Promise<T>, ms = 1_000): Promise<T> {
  const rss = process.memoryUsage().rss
  const start = performance.now()
  const out = await fn()
  expect(performance.now() - start).toBeLessThan(ms)
  expect(process.memoryUsage().rss - rss).toBeLessThan(100 * MB)
  return out
}

describe('receive: bounds before work', () => {
  const signer = makeSigner()
  const actor = `${signer.memberKey}0102030405060708`
  const bombs: [string, Uint8Array, string][] = [
    ...Object.entries(changeBombs(actor)).map(([k, v]): [string, Uint8Array, string] => [k, v, 'oversize']),
  ]

  for (const [column, bomb] of bombs) {
    it(`a known author's entry covering a ${column} bomb is refused as oversize; nothing is stored`, async () => {
      const b = await stores.open()
      const result = await bounded(() =>
        b.store.receive({ entries: [coveringEntry(signer, bomb)], changes: [bomb] }),
      )
      expect(result.rejected.map((r) => r.kind)).toEqual(['oversize'])
      expect(result.rejected[0]?.author).toBe(signer.memberKey)
      await expectNothingStored(b)
    })
  }

  it('a compressed change chunk (a deflate bomb) is refused unread as malformed', async () => {
    const b = await stores.open()
    const bomb = compressedChangeBomb(64 * MB)
    const result = await bounded(() => b.store.receive({ entries: [], changes: [bomb] }))
    expect(result.rejected.map((r) => r.kind)).toEqual(['malformed'])
    await expectNothingStored(b)
  })

  it("an unknown author's entries are refused as unknown-author: no signature checked, no change read", async () => {
    const b = await stores.open()
    const bomb = changeBombs(actor)['action (no expected count)'] as Uint8Array
    const entry = coveringEntry(signer, bomb)
    // A bad signature too: it is never looked at.
    const forged = { bytes: entry.bytes, signature: new Uint8Array(64) }
    const asked: string[] = []
    const result = await bounded(() =>
      b.store.receive(
        { entries: [forged], changes: [bomb] },
        {
          knowsAuthor: (author) => {
            asked.push(author)
            return false
          },
        },
      ),
    )
    expect(asked).toEqual([signer.memberKey])
    expect(result.rejected.map((r) => [r.kind, r.reason])).toEqual([
      ['unknown-author', 'the author is not known here'],
    ])
    await expectNothingStored(b)
  })

  it('changes no entry covers are dropped unread: no refusal, nothing stored', async () => {
    const b = await stores.open()
    const result = await bounded(() =>
      b.store.receive({ entries: [], changes: Object.values(changeBombs(actor)) }),
    )
    expect(result.rejected).toEqual([])
    await expectNothingStored(b)
  })

  it('a known author whose later batch introduces it (a join) is let in on a later round', async () => {
    const a = await stores.open({ signer })
    await a.store.create(DOC, { action: 'org.create', resource: DOC }, (d: Record<string, unknown>) => {
      d.name = 'Bounds'
    })
    const b = await stores.open()
    let known = false
    const batch = await batchOf(a.store, signer.memberKey, DOC)
    const refused = await b.store.receive(batch, { knowsAuthor: () => known })
    expect(refused.rejected.map((r) => r.kind)).toEqual(['unknown-author'])
    known = true
    const taken = await b.store.receive(batch, { knowsAuthor: () => known })
    expect(taken.rejected).toEqual([])
    expect(await b.store.has(DOC)).toBe(true)
  })

  it('an entry whose changes together declare more ops than the bound is refused as oversize, though each is within it', async () => {
    const many = Math.floor(CHANGE_BOUNDS.maxOps / 2) + 10
    const first = A.change(A.init<Record<string, unknown>>({ actor }), (d) => {
      d.a = Array.from({ length: many }, () => 0)
    })
    const second = A.change(first, (d) => {
      d.b = Array.from({ length: many }, () => 0)
    })
    const changes = A.getAllChanges(second)
    const hashes = changes.map((c) => changeChunkHash(c) as ChangeHash)
    const entry = signEntry(
      entryBody(signer.memberKey, 1, null, { doc: DOC, changes: hashes, authHeads: [] }),
      signer,
    )
    const b = await stores.open()
    const result = await bounded(() => b.store.receive({ entries: [entry], changes }), 10_000)
    expect(result.rejected.map((r) => [r.kind, r.reason])).toEqual([
      ['oversize', `the entry's changes declare more than ${CHANGE_BOUNDS.maxOps} ops`],
    ])
    await expectNothingStored(b)
  })

  it('a local change past the bounds is refused (ChangeRefusedError) before anything is written', async () => {
    const a = await stores.open()
    await expect(
      a.store.create(DOC, { action: 'org.create', resource: DOC }, (d: Record<string, unknown>) => {
        d.list = Array.from({ length: CHANGE_BOUNDS.maxOps + 1 }, () => 0)
      }),
    ).rejects.toMatchObject({ name: 'ChangeRefusedError' })
    await expectNothingStored(a)
  })

  for (const kind of ['rle', 'deflate'] as const) {
    it(`a snapshot (${kind} bomb) naming the right heads is refused as oversize, not loaded; the changes still apply`, async () => {
      const a = await stores.open({ signer })
      await a.store.create(DOC, { action: 'org.create', resource: DOC }, (d: Record<string, unknown>) => {
        d.name = 'Bounds'
        d.list = [1, 2, 3]
      })
      for (let i = 0; i < 5; i++)
        await a.store.change(DOC, { action: 'org.update', resource: DOC }, (d: Record<string, unknown>) => {
          d.name = `Bounds ${i}`
        })
      const doc = await a.store.get(DOC)
      const bomb = snapshotBomb(doc, kind)
      const b = await stores.open()
      const batch: RemoteBatch = {
        ...(await batchOf(a.store, signer.memberKey, DOC)),
        snapshots: new Map<DocId, Uint8Array>([[DOC, bomb]]),
      }
      const result = await bounded(() => b.store.receive(batch))
      expect(result.rejected.map((r) => [r.kind, r.reason.slice(0, 17)])).toEqual([
        ['oversize', 'snapshot refused:'],
      ])
      expect(A.getHeads(await b.store.get(DOC))).toEqual(A.getHeads(doc))
      expect(A.toJS(await b.store.get(DOC))).toEqual(A.toJS(doc))
    })
  }
})
