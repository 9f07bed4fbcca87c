import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  type ActionInput,
  type DocId,
  DocumentExistsError,
  DocumentNotFoundError,
  type Entry,
  ManualClock,
  parseDocId,
  StoreClosedError,
  verifyChain,
} from '../../../crdt/index.ts'
import { changeKey } from '../../../crdt/store/change-records.ts'
import { TEST_SCOPE } from '../../helpers/signer.ts'
import { batchOf, entriesOf, keysOf, type StoreHandle, useStores } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-docstore-')
/** Tests of the store's logic: on memory storages. */
const stores = useStores(dirs, { storage: 'memory' })
/** Restart on disk, and LevelDB's own failure: on LevelDB. */
const onDisk = useStores(dirs)

interface Org {
  name: string
  members: string[]
  count?: number
}

const ORG = parseDocId('org:abc')
const act = (action: string, resource: string = ORG): ActionInput => ({ action, resource })

async function createOrg(h: StoreHandle, docId: DocId = ORG): Promise<Entry> {
  const { entry } = await h.store.create<Org>(docId, act('org.create', docId), (d) => {
    d.name = 'Alpha'
    d.members = ['ann']
  })
  if (entry === null) throw new Error('create wrote no entry')
  return entry
}

const sortedHeads = (doc: A.Doc<unknown>): string[] => [...A.getHeads(doc)].sort()

describe('DocumentStore: create, change and reopen', () => {
  it('finds the same content, heads and chain head after reopening the database and the store', async () => {
    const h = await onDisk.open()
    await createOrg(h)
    await h.store.change<Org>(ORG, act('org.member-add'), (d) => {
      d.members.push('bob')
    })
    const { doc, entry } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    expect(entry?.seq).toBe(3)
    const json = A.toJS(doc)
    expect(json).toEqual({ name: 'Beta', members: ['ann', 'bob'] })
    const heads = sortedHeads(doc)

    const h2 = await onDisk.reopen(h)
    const again = await h2.store.get<Org>(ORG)
    expect(A.toJS(again)).toEqual(json)
    expect(sortedHeads(again)).toEqual(heads)
    const head = await h2.store.chains.head(TEST_SCOPE, h.signer.memberKey)
    expect(head?.seq).toBe(3)
    expect(head?.hash).toBe(entry?.hash)
    expect(await h2.store.list()).toEqual([ORG])
    expect(await h2.store.has(ORG)).toBe(true)

    // The chain continues where it stopped.
    const next = await h2.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Gamma'
    })
    expect(next.entry?.seq).toBe(4)
    expect(next.entry?.prev).toBe(entry?.hash)
    expect(verifyChain(h.signer.memberKey, await entriesOf(h2.store, h.signer.memberKey)).status).toBe('ok')
  })

  it("stamps a local change and its entry with the store's clock, not the machine's", async () => {
    const at = Date.parse('2031-05-06T07:08:09.250Z')
    const clock = new ManualClock(at)
    const h = await stores.open({ init: { sync: false, clock } })
    const created = await createOrg(h)
    await clock.advance(90_000)
    const { doc, entry } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    expect(created.time).toBe(at)
    expect(entry?.time).toBe(at + 90_000)
    // Automerge keeps a change's time in whole seconds.
    const change = A.decodeChange(A.getLastLocalChange(doc) as A.Change)
    expect(change.time).toBe(Math.floor((at + 90_000) / 1000))
    const first = A.decodeChange(A.getAllChanges(doc)[0] as A.Change)
    expect(first.time).toBe(Math.floor(at / 1000))
  })

  it('writes exactly one chain entry and one change row per change; the entry lists the Automerge change hash', async () => {
    const h = await stores.open()
    const key = h.signer.memberKey
    const events: { docId: DocId; origin: string; entries: readonly Entry[] }[] = []
    h.store.on('change', (e) => events.push(e))
    const created = await createOrg(h)
    expect(created.seq).toBe(1)
    expect(created.prev).toBeNull()
    expect(created.action).toBe('org.create')
    let prev = created
    for (let i = 0; i < 5; i++) {
      const entriesBefore = (await keysOf(h.db.entries, `${TEST_SCOPE}!${key}`)).length
      const rowsBefore = (await keysOf(h.db.changes, ORG)).length
      const { doc, entry } = await h.store.change<Org>(ORG, { ...act('org.count'), details: { i } }, (d) => {
        d.count = i
      })
      expect((await keysOf(h.db.entries, `${TEST_SCOPE}!${key}`)).length).toBe(entriesBefore + 1)
      expect((await keysOf(h.db.changes, ORG)).length).toBe(rowsBefore + 1)
      const change = A.getLastLocalChange(doc)
      if (entry === null || change === undefined) throw new Error('no entry or no change')
      const hash = A.decodeChange(change).hash
      expect(entry.changes).toEqual([hash])
      expect(entry.changes).toEqual(A.getHeads(doc))
      expect(entry.doc).toBe(ORG)
      expect(entry.details).toEqual({ i })
      expect(entry.seq).toBe(prev.seq + 1)
      expect(entry.prev).toBe(prev.hash)
      // What is on disk is that entry and that change.
      expect((await h.store.chains.get(TEST_SCOPE, key, entry.seq))?.hash).toBe(entry.hash)
      const row = await h.db.changes.get(changeKey(ORG, rowsBefore + 1))
      expect(row && Uint8Array.from(row)).toEqual(change)
      prev = entry
    }
    expect(events.map((e) => [e.docId, e.origin, e.entries.map((x) => x.seq)])).toEqual(
      [1, 2, 3, 4, 5, 6].map((seq) => [ORG, 'local', [seq]]),
    )
    const report = verifyChain(key, await entriesOf(h.store, key))
    expect(report.status).toBe('ok')
    expect(report.head?.seq).toBe(6)
  })

  it('names the member in every local change: the Automerge actor starts with the member key, also after a reopen', async () => {
    let h = await stores.open()
    await createOrg(h)
    await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    h = await stores.reopen(h)
    await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Gamma'
    })
    const actors = (await h.store.changes(ORG)).map((c) => A.decodeChange(c).actor)
    expect(actors).toHaveLength(3)
    expect(new Set(actors).size).toBe(2) // a fresh actor per load
    for (const actor of actors) expect(actor.startsWith(h.signer.memberKey)).toBe(true)
  })

  it('record() writes one entry with doc null and no changes, continuing the chain', async () => {
    const h = await stores.open()
    const created = await createOrg(h)
    const rows = await keysOf(h.db.changes)
    const entry = await h.store.record(TEST_SCOPE, {
      action: 'org.invite',
      resource: 'invite:xyz',
      details: { role: 'member' },
    })
    expect(entry.doc).toBeNull()
    expect(entry.changes).toEqual([])
    expect(entry.seq).toBe(2)
    expect(entry.prev).toBe(created.hash)
    expect(entry.details).toEqual({ role: 'member' })
    expect(await keysOf(h.db.changes)).toEqual(rows)
    const h2 = await stores.reopen(h)
    const stored = await h2.store.chains.head(TEST_SCOPE, h.signer.memberKey)
    expect(stored?.hash).toBe(entry.hash)
    expect(stored?.doc).toBeNull()
  })

  it('creating an existing document throws DocumentExistsError and writes nothing, also after a reopen', async () => {
    const h = await stores.open()
    await createOrg(h)
    await expect(createOrg(h)).rejects.toBeInstanceOf(DocumentExistsError)
    const h2 = await stores.reopen(h)
    await expect(createOrg(h2)).rejects.toThrow(/Document org:abc already exists/)
    expect(await keysOf(h2.db.entries)).toHaveLength(1)
    expect(A.toJS(await h2.store.get<Org>(ORG))).toEqual({ name: 'Alpha', members: ['ann'] })
  })

  it('get or change of an unknown document throws DocumentNotFoundError and writes nothing', async () => {
    const h = await stores.open()
    const unknown = parseDocId('org:nope')
    await expect(h.store.get(unknown)).rejects.toBeInstanceOf(DocumentNotFoundError)
    await expect(
      h.store.change<Org>(unknown, act('org.rename', unknown), (d) => {
        d.name = 'x'
      }),
    ).rejects.toThrow(DocumentNotFoundError)
    await expect(h.store.changes(unknown)).rejects.toThrow(/No document org:nope/)
    expect(await keysOf(h.db.entries)).toEqual([])
    expect(await h.store.has(unknown)).toBe(false)
  })

  it('a change function that changes nothing returns entry null and writes no entry', async () => {
    const h = await stores.open()
    await createOrg(h)
    const before = await h.store.get<Org>(ORG)
    const heads = sortedHeads(before)
    const entries = await keysOf(h.db.entries)
    const rows = await keysOf(h.db.changes)
    const result = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      // Reads only.
      expect(d.name).toBe('Alpha')
    })
    expect(result.entry).toBeNull()
    expect(sortedHeads(result.doc)).toEqual(heads)
    expect(await keysOf(h.db.entries)).toEqual(entries)
    expect(await keysOf(h.db.changes)).toEqual(rows)
    // The next real change still takes the next seq.
    const next = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    expect(next.entry?.seq).toBe(2)
  })

  it('a new document whose init function changes nothing is refused and not stored', async () => {
    const h = await stores.open()
    await expect(h.store.create<Org>(ORG, act('org.create'), () => {})).rejects.toThrow(
      /a new document needs an initial change/,
    )
    expect(await h.store.has(ORG)).toBe(false)
    expect(await keysOf(h.db.snapshots)).toEqual([])
    expect(await keysOf(h.db.entries)).toEqual([])
  })

  it('lists documents by type and serves all or selected changes', async () => {
    const h = await stores.open()
    const b = parseDocId('org:b')
    const hangar = parseDocId('hangar:x')
    await createOrg(h)
    await createOrg(h, b)
    await h.store.create<{ ships: string[] }>(hangar, act('hangar.create', hangar), (d) => {
      d.ships = []
    })
    expect(await h.store.list('org')).toEqual([ORG, b])
    expect(await h.store.list('hangar')).toEqual([hangar])
    expect(await h.store.list()).toEqual([hangar, ORG, b])
    const { entry } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    const all = await h.store.changes(ORG)
    expect(all).toHaveLength(2)
    const unknown = 'ab'.repeat(32) as never
    const selected = await h.store.changesByHash(ORG, [...(entry?.changes ?? []), unknown])
    expect([...selected.keys()]).toEqual(entry?.changes)
    expect([...selected.values()].map((c) => A.decodeChange(c).hash)).toEqual(entry?.changes)
  })

  it('serves changes made after it last served the document, across compaction', async () => {
    const h = await stores.open({ init: { compactAfter: 3, sync: false } })
    await createOrg(h)
    const hashes = async () => (await h.store.changes(ORG)).map((c) => A.decodeChange(c).hash as never)
    expect((await h.store.changesByHash(ORG, await hashes())).size).toBe(1)
    for (let i = 0; i < 7; i++) {
      await h.store.change<Org>(ORG, act('org.count'), (d) => {
        d.count = i
      })
      const all = await hashes()
      const served = await h.store.changesByHash(ORG, all)
      expect([...served.keys()].sort()).toEqual([...all].sort())
      expect([...served.values()].map((c) => A.decodeChange(c).hash).sort()).toEqual([...all].sort())
    }
    await h.store.compact(ORG)
    expect((await h.store.changesByHash(ORG, await hashes())).size).toBe(8)
  })
})

describe('DocumentStore: documents held in memory', () => {
  it('holds at most maxLoaded documents; one dropped is read back whole and changed on', async () => {
    const h = await stores.open({ init: { sync: false, maxLoaded: 2 } })
    const ids = ['org:a1', 'org:a2', 'org:a3', 'org:a4'].map((id) => parseDocId(id))
    for (const id of ids) await createOrg(h, id)
    for (const [i, id] of ids.entries())
      await h.store.change<Org>(id, act('org.member-add', id), (d) => {
        d.members.push(`m${i}`)
      })
    // Each read back in turn (dropping others), then changed again: nothing lost.
    for (const [i, id] of ids.entries()) {
      expect(A.toJS(await h.store.get<Org>(id))).toEqual({ name: 'Alpha', members: ['ann', `m${i}`] })
      await h.store.change<Org>(id, act('org.rename', id), (d) => {
        d.name = `Org ${i}`
      })
    }
    for (const [i, id] of ids.entries())
      expect(A.toJS(await h.store.get<Org>(id))).toEqual({ name: `Org ${i}`, members: ['ann', `m${i}`] })
    expect(h.store.loadedDocuments).toBe(2)
    expect(await h.store.list('org')).toEqual([...ids].sort())
    const report = verifyChain(h.signer.memberKey, await entriesOf(h.store, h.signer.memberKey))
    expect(report.status).toBe('ok')
    expect(report.verified).toBe(12)
  })
})

describe('DocumentStore: release', () => {
  it('drops the documents held in memory: each is read back whole, and changes go on from it', async () => {
    const h = await stores.open()
    await createOrg(h)
    const before = await h.store.get<Org>(ORG)
    // Released while a change is queued: the change is written first, and kept.
    const changed = h.store.change<Org>(ORG, act('org.member-add'), (d) => {
      d.members.push('bob')
    })
    await h.store.release()
    const { doc: after } = await changed
    const reread = await h.store.get<Org>(ORG)
    expect(reread).not.toBe(after)
    expect(A.toJS(reread)).toEqual({ name: 'Alpha', members: ['ann', 'bob'] })
    expect(sortedHeads(reread)).toEqual(sortedHeads(after))
    expect(sortedHeads(reread)).not.toEqual(sortedHeads(before))
    const { doc, entry } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    expect(entry?.seq).toBe(3)
    expect(A.toJS(doc)).toEqual({ name: 'Beta', members: ['ann', 'bob'] })
  })

  it('a read under way while a change commits never puts the older document back', async () => {
    const h = await stores.open()
    await createOrg(h)
    await h.store.release()
    // The read's last database read (the change rows, as they are) is held until the
    // change has committed; the change starts once that read has been made.
    const { promise: gate, resolve: release } = Promise.withResolvers<void>()
    const { promise: atRows, resolve: rowsRead } = Promise.withResolvers<void>()
    const read = h.db.read.bind(h.db)
    let reads = 0
    h.db.read = async <T>(fn: () => Promise<T>): Promise<T> => {
      const n = ++reads
      const value = await read(fn)
      if (n === 2) {
        rowsRead()
        await gate
      }
      return value
    }
    const reading = h.store.get<Org>(ORG)
    await atRows
    const { doc: changed } = await h.store.change<Org>(ORG, act('org.member-add'), (d) => {
      d.members.push('bob')
    })
    release()
    await reading
    h.db.read = read
    expect(A.toJS(await h.store.get<Org>(ORG))).toEqual({ name: 'Alpha', members: ['ann', 'bob'] })
    expect(sortedHeads(await h.store.get<Org>(ORG))).toEqual(sortedHeads(changed))
  })
})

describe('DocumentStore: compaction', () => {
  it('compacts 20 changes into a snapshot; the changes sublevel shrinks and a reopen finds identical content', async () => {
    const h = await stores.open({ init: { compactAfter: 5, sync: false } })
    await createOrg(h)
    const snapshotBefore = await h.db.snapshots.get(ORG)
    let doc: A.Doc<Org> | undefined
    for (let i = 0; i < 20; i++) {
      ;({ doc } = await h.store.change<Org>(ORG, act('org.count'), (d) => {
        d.count = i
        d.members.push(`m${i}`)
      }))
    }
    if (doc === undefined) throw new Error('no document')
    // 21 change rows were written; background compaction already dropped some.
    const rowsBeforeCompact = (await keysOf(h.db.changes, ORG)).length
    expect(rowsBeforeCompact).toBeLessThan(21)
    await h.store.compact(ORG)
    expect(await keysOf(h.db.changes, ORG)).toEqual([])
    const snapshot = await h.db.snapshots.get(ORG)
    expect(snapshot).not.toEqual(snapshotBefore)
    // The snapshot alone holds the whole document.
    expect(A.toJS(A.load<Org>(snapshot as Uint8Array))).toEqual(A.toJS(doc))

    const json = A.toJS(doc)
    const heads = sortedHeads(doc)
    const h2 = await stores.reopen(h, { init: { compactAfter: 5, sync: false } })
    const again = await h2.store.get<Org>(ORG)
    expect(A.toJS(again)).toEqual(json)
    expect(sortedHeads(again)).toEqual(heads)
    expect((await h2.store.chains.head(TEST_SCOPE, h.signer.memberKey))?.seq).toBe(21)

    // Changes after a compaction and a reopen are stored and load again.
    await h2.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'After'
    })
    expect(await keysOf(h2.db.changes, ORG)).toEqual([changeKey(ORG, 1)])
    const h3 = await stores.reopen(h2)
    expect(A.toJS(await h3.store.get<Org>(ORG))).toEqual({ ...json, name: 'After' })
  })

  it('a peer batch committed while a compaction waits does not stop later compactions of that document', async () => {
    const a = await stores.open()
    const b = await stores.open({ init: { compactAfter: 3, sync: false } })
    await createOrg(a)
    await b.store.receive(await batchOf(a.store, a.signer.memberKey, ORG))
    const bump = (h: StoreHandle, i: number) =>
      h.store.change<Org>(ORG, act('org.count'), (d) => {
        d.count = i
      })
    await bump(a, 100)
    const batch = await batchOf(a.store, a.signer.memberKey, ORG)
    for (let i = 0; i < 2; i++) await bump(b, i)
    // The third change makes a compaction of ORG due on B (it starts in the background);
    // a peer's batch is committed before it runs, replacing B's state of the document.
    const [, received] = await Promise.all([bump(b, 2), b.store.receive(batch)])
    expect(received.rejected).toEqual([])
    // Later changes on B are compacted in the background again.
    for (let i = 0; i < 6; i++) {
      await bump(b, 10 + i)
      await new Promise((r) => setImmediate(r))
    }
    await bump(b, 20)
    // Background compaction kept the change rows below the threshold plus what is in flight.
    expect((await keysOf(b.db.changes, ORG)).length).toBeLessThanOrEqual(3)
  })

  it('without compaction every change stays a row; compacting one document leaves a document with a longer id alone', async () => {
    const h = await stores.open()
    const ab = parseDocId('org:ab')
    const abc = parseDocId('org:abc')
    await createOrg(h, ab)
    await createOrg(h, abc)
    for (let i = 0; i < 3; i++) {
      for (const id of [ab, abc]) {
        await h.store.change<Org>(id, act('org.count', id), (d) => {
          d.count = i
        })
      }
    }
    expect(await keysOf(h.db.changes, ab)).toHaveLength(4)
    expect(await keysOf(h.db.changes, abc)).toHaveLength(4)
    await h.store.compact(ab)
    expect(await keysOf(h.db.changes, ab)).toEqual([])
    expect(await keysOf(h.db.changes, abc)).toHaveLength(4)
    const h2 = await stores.reopen(h)
    for (const id of [ab, abc]) {
      expect(A.toJS(await h2.store.get<Org>(id))).toEqual({ name: 'Alpha', members: ['ann'], count: 2 })
    }
  })
})

describe('DocumentStore: closed store and failed writes', () => {
  it('stop() waits for queued writes; any use after stop() throws StoreClosedError', async () => {
    const h = await stores.open()
    await createOrg(h)
    const pending = h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Queued'
    })
    await h.store.stop()
    expect((await pending).entry?.seq).toBe(2)
    await h.store.stop() // twice is fine

    const s = h.store
    await expect(s.get(ORG)).rejects.toBeInstanceOf(StoreClosedError)
    await expect(s.changes(ORG)).rejects.toBeInstanceOf(StoreClosedError)
    await expect(
      s.change<Org>(ORG, act('org.rename'), (d) => {
        d.name = 'x'
      }),
    ).rejects.toBeInstanceOf(StoreClosedError)
    await expect(createOrg(h, parseDocId('org:new'))).rejects.toBeInstanceOf(StoreClosedError)
    await expect(s.record(TEST_SCOPE, act('org.invite'))).rejects.toBeInstanceOf(StoreClosedError)
    await expect(s.receive({ entries: [], changes: [] })).rejects.toBeInstanceOf(StoreClosedError)
    await expect(s.compact(ORG)).rejects.toThrow(/The document store is not open/)

    const h2 = await stores.reopen(h)
    expect(A.toJS(await h2.store.get<Org>(ORG)).name).toBe('Queued')
  })

  it('a failed batch write (database closed underneath) leaves the in-memory document consistent with disk', async () => {
    const h = await onDisk.open()
    await createOrg(h)
    const { entry: second } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Written'
    })

    await h.db.close()
    await expect(
      h.store.change<Org>(ORG, act('org.rename'), (d) => {
        d.name = 'Lost'
      }),
    ).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
    await expect(h.store.record(TEST_SCOPE, act('org.invite'))).rejects.toMatchObject({
      code: 'LEVEL_DATABASE_NOT_OPEN',
    })

    // Reopen the same database under the same store: it must not serve the change that never reached disk.
    await h.db.storage.open()
    const current = await h.store.get<Org>(ORG)
    expect(A.toJS(current).name).toBe('Written')
    expect((await h.store.chains.head(TEST_SCOPE, h.signer.memberKey))?.seq).toBe(2)
    const { entry: third } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Third'
    })
    expect(third?.seq).toBe(3)
    expect(third?.prev).toBe(second?.hash)

    // A fresh database object and store find exactly what the old store now shows.
    const heads = sortedHeads(await h.store.get(ORG))
    const h2 = await onDisk.reopen(h)
    const reloaded = await h2.store.get<Org>(ORG)
    expect(A.toJS(reloaded)).toEqual({ name: 'Third', members: ['ann'] })
    expect(sortedHeads(reloaded)).toEqual(heads)
    const report = verifyChain(h.signer.memberKey, await entriesOf(h2.store, h.signer.memberKey))
    expect(report.status).toBe('ok')
    expect(report.head?.seq).toBe(3)
  })

  it('a change whose entry cannot be signed (invalid action) writes nothing and the document stays as on disk', async () => {
    const h = await stores.open()
    await createOrg(h)
    const heads = sortedHeads(await h.store.get(ORG))
    await expect(
      h.store.change<Org>(ORG, act('Not An Action'), (d) => {
        d.name = 'Phantom'
      }),
    ).rejects.toThrow(/invalid entry field action/)
    const doc = await h.store.get<Org>(ORG)
    expect(A.toJS(doc).name).toBe('Alpha')
    expect(sortedHeads(doc)).toEqual(heads)
    expect(await keysOf(h.db.entries)).toHaveLength(1)
    expect(await keysOf(h.db.changes)).toHaveLength(1)
    const { entry } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Real'
    })
    expect(entry?.seq).toBe(2)
    const h2 = await stores.reopen(h)
    expect(A.toJS(await h2.store.get<Org>(ORG)).name).toBe('Real')
  })
})

describe('DocumentStore: one action in several steps', () => {
  it('one entry covers one change per step, written at once; another store receives them whole', async () => {
    const h = await onDisk.open()
    const { entry: created } = await h.store.create<Org>(ORG, act('org.create'), [
      (d) => {
        d.name = 'Alpha'
        d.members = ['ann']
      },
      (d) => {
        d.members.push('bob')
      },
    ])
    const { doc, entry } = await h.store.change<Org>(ORG, act('org.import'), [
      (d) => {
        d.members.push('cy')
      },
      () => {}, // a step that changes nothing makes no change
      (d) => {
        d.count = 3
      },
    ])
    expect(created?.changes).toHaveLength(2)
    expect(entry?.seq).toBe(2)
    expect(entry?.changes).toHaveLength(2)
    expect(entry?.changes).toEqual(
      A.getAllChanges(doc)
        .slice(2)
        .map((c) => A.decodeChange(c).hash),
    )
    expect(A.toJS(doc)).toEqual({ name: 'Alpha', members: ['ann', 'bob', 'cy'], count: 3 })
    expect(await keysOf(h.db.changes, ORG)).toHaveLength(4)

    const again = await onDisk.reopen(h)
    expect(A.toJS(await again.store.get<Org>(ORG))).toEqual(A.toJS(doc))
    const other = await stores.open()
    const result = await other.store.receive(await batchOf(again.store, h.signer.memberKey, ORG))
    expect(result.rejected).toEqual([])
    expect(A.toJS(await other.store.get<Org>(ORG))).toEqual(A.toJS(doc))
  })

  it('a refused step refuses the whole action: nothing of it is written', async () => {
    const refuseCount = {
      validate: (ctx: { changes: readonly A.DecodedChange[] }) =>
        ctx.changes.some((c) => c.ops.some((o) => o.key === 'count'))
          ? { ok: false as const, reason: 'no counts' }
          : { ok: true as const },
    }
    const h = await stores.open({ validator: refuseCount })
    await createOrg(h)
    await expect(
      h.store.change<Org>(ORG, act('org.import'), [
        (d) => {
          d.members.push('cy')
        },
        (d) => {
          d.count = 1
        },
      ]),
    ).rejects.toThrow(/no counts/)
    expect(A.toJS(await h.store.get<Org>(ORG))).toEqual({ name: 'Alpha', members: ['ann'] })
    expect((await h.store.chains.head(TEST_SCOPE, h.signer.memberKey))?.seq).toBe(1)
    expect(await keysOf(h.db.changes, ORG)).toHaveLength(1)
  })
})

describe('DocumentStore: a step that throws', () => {
  it('after earlier steps changed the document: nothing is written, and the next change works', async () => {
    const h = await stores.open()
    await createOrg(h)
    await expect(
      h.store.change<Org>(ORG, act('org.import'), [
        (d) => {
          d.members.push('cy')
        },
        () => {
          throw new Error('step two failed')
        },
      ]),
    ).rejects.toThrow('step two failed')
    expect(A.toJS(await h.store.get<Org>(ORG))).toEqual({ name: 'Alpha', members: ['ann'] })
    const { doc } = await h.store.change<Org>(ORG, act('org.rename'), (d) => {
      d.name = 'Beta'
    })
    expect(A.toJS(doc)).toEqual({ name: 'Beta', members: ['ann'] })
    expect((await h.store.chains.head(TEST_SCOPE, h.signer.memberKey))?.seq).toBe(2)
  })
})
