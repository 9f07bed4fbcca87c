import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  BATCH_LIMITS,
  type ChangeHash,
  type DocId,
  decodeEntry,
  denyAllValidator,
  ENTRY_DOMAIN,
  type Entry,
  type EntryBody,
  ed25519Verify,
  encodeEntryBody,
  fromHex,
  parseDocId,
  type ReceiveResult,
  type RemoteBatch,
  type SignedEntry,
  signEntry,
  toHex,
  verifyChain,
} from '../../../crdt/index.ts'
import { makeSigner, TEST_SCOPE, type TestSigner } from '../../helpers/signer.ts'
import { entriesOf, keysOf, type StoreHandle, useStores } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-receive-')
const stores = useStores(dirs, { storage: 'memory' })

interface Org {
  name: string
  members: string[]
  count?: number
}

const ORG = parseDocId('org:abc')
const docIds = (n: number): DocId[] => Array.from({ length: n }, (_, i) => parseDocId(`org:d${i + 1}`))

async function createOrg(h: StoreHandle, docId: DocId, name = 'Alpha'): Promise<Entry> {
  const { entry } = await h.store.create<Org>(docId, { action: 'org.create', resource: docId }, (d) => {
    d.name = name
    d.members = ['ann']
  })
  if (entry === null) throw new Error('create wrote no entry')
  return entry
}

/** A store whose chain is one `org.create` entry per document, seq 1..n; its full batch. */
async function authorWithDocs(n: number): Promise<{ a: StoreHandle; ids: DocId[]; batch: RemoteBatch }> {
  const a = await stores.open()
  const ids = docIds(n)
  for (const id of ids) await createOrg(a, id, `Org ${id}`)
  return { a, ids, batch: await fullBatch(a, ids) }
}

async function fullBatch(h: StoreHandle, ids: readonly DocId[]): Promise<RemoteBatch> {
  const changes: Uint8Array[] = []
  for (const id of ids) changes.push(...(await h.store.changes(id)))
  return { entries: await entriesOf(h.store, h.signer.memberKey), changes }
}

/** A signed copy of `entry` with one byte of its signature flipped. */
function withBadSignature(entry: SignedEntry): SignedEntry {
  const signature = Uint8Array.from(entry.signature)
  signature[7] = (signature[7] ?? 0) ^ 0x01
  return { bytes: Uint8Array.from(entry.bytes), signature }
}

function body(author: TestSigner, seq: number, prev: Entry | null, over: Partial<EntryBody> = {}): EntryBody {
  return {
    scope: TEST_SCOPE,
    author: author.memberKey,
    seq,
    prev: prev?.hash ?? null,
    time: Date.now(),
    action: 'test.note',
    resource: 'test:resource',
    details: null,
    doc: null,
    changes: [],
    authHeads: [],
    ...over,
  }
}

const hashOf = (change: Uint8Array): ChangeHash => A.decodeChange(change).hash as ChangeHash
const sortedHeads = (doc: A.Doc<unknown>): string[] => [...A.getHeads(doc)].sort()
const reasons = (r: ReceiveResult): string[] => r.rejected.map((x) => x.reason)

/** B holds nothing at all: no document, no entry, no change, no fork proof. */
async function expectNothingStored(b: StoreHandle): Promise<void> {
  expect(await b.store.list()).toEqual([])
  expect(await keysOf(b.db.snapshots)).toEqual([])
  expect(await keysOf(b.db.changes)).toEqual([])
  expect(await keysOf(b.db.entries)).toEqual([])
  expect(await keysOf(b.db.forks)).toEqual([])
}

async function expectSameDoc(a: StoreHandle, b: StoreHandle, id: DocId): Promise<void> {
  const docA = await a.store.get<Org>(id)
  const docB = await b.store.get<Org>(id)
  expect(A.equals(docA, docB)).toBe(true)
  expect(A.toJS(docB)).toEqual(A.toJS(docA))
  expect(sortedHeads(docB)).toEqual(sortedHeads(docA))
}

describe('receive: accepting a peer', () => {
  it('B ends with identical documents and the same chain head as A, also after a reopen', async () => {
    const a = await stores.open()
    const ids = docIds(2)
    await createOrg(a, ids[0] as DocId)
    await createOrg(a, ids[1] as DocId, 'Second')
    await a.store.record(TEST_SCOPE, {
      action: 'org.invite',
      resource: 'invite:1',
      details: { role: 'member' },
    })
    const b = await stores.open()
    const events: { docId: DocId; origin: string }[] = []
    b.store.on('change', (e) => events.push({ docId: e.docId, origin: e.origin }))

    const result = await b.store.receive(await fullBatch(a, ids))
    expect(result.rejected).toEqual([])
    expect(result.missing).toEqual([])
    expect(result.forks).toEqual([])
    expect(result.duplicates).toBe(0)
    expect([...result.byDoc.keys()]).toEqual(ids)
    expect(result.entriesOnly.map((e) => e.seq)).toEqual([3])
    expect(events).toEqual(ids.map((docId) => ({ docId, origin: 'remote' })))

    for (const id of ids) await expectSameDoc(a, b, id)
    const headA = await a.store.chains.head(TEST_SCOPE, a.signer.memberKey)
    expect((await b.store.chains.head(TEST_SCOPE, a.signer.memberKey))?.hash).toBe(headA?.hash)

    const b2 = await stores.reopen(b)
    for (const id of ids) await expectSameDoc(a, b2, id)
    const stored = await entriesOf(b2.store, a.signer.memberKey)
    expect(verifyChain(a.signer.memberKey, stored).head?.hash).toBe(headA?.hash)
  })

  it('a received batch, stored as one record, reloads identically; damage inside it is caught', async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    for (let i = 0; i < 20; i++) {
      await a.store.change<Org>(ORG, { action: 'org.count', resource: ORG }, (d) => {
        d.count = i
      })
    }
    let b = await stores.open()
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    expect(await keysOf(b.db.changes)).toHaveLength(1) // 21 changes, one record
    b = await stores.reopen(b)
    await expectSameDoc(a, b, ORG)

    // Flip a byte inside the batch record: the reload refuses it instead of losing changes.
    const [key] = await keysOf(b.db.changes)
    const value = Uint8Array.from((await b.db.changes.get(key as string)) as Uint8Array)
    value[value.length - 5] = (value[value.length - 5] ?? 0) ^ 0xff
    await b.db.write([{ type: 'put', section: b.db.changes, key: key as string, value }], false)
    b = await stores.reopen(b)
    await expect(b.store.get(ORG)).rejects.toMatchObject({ name: 'StorageCorruptError' })
  })

  it('B takes a document that A changed several times, and A changes made after A reopened its store', async () => {
    let a = await stores.open()
    await createOrg(a, ORG)
    for (let i = 0; i < 3; i++) {
      await a.store.change<Org>(ORG, { action: 'org.count', resource: ORG }, (d) => {
        d.count = i
      })
    }
    const b = await stores.open()
    const first = await b.store.receive(await fullBatch(a, [ORG]))
    expect(reasons(first)).toEqual([])
    await expectSameDoc(a, b, ORG)

    // A reopens (new Automerge actor) and changes on; B catches up from its head.
    a = await stores.reopen(a)
    await a.store.change<Org>(ORG, { action: 'org.member-add', resource: ORG }, (d) => {
      d.members.push('bob')
    })
    const from = ((await b.store.chains.head(TEST_SCOPE, a.signer.memberKey))?.seq ?? 0) + 1
    const entries: SignedEntry[] = []
    for await (const e of a.store.chains.entries(TEST_SCOPE, a.signer.memberKey, { from })) entries.push(e)
    expect(entries).toHaveLength(1)
    const second = await b.store.receive({ entries, changes: await a.store.changes(ORG) })
    expect(reasons(second)).toEqual([])
    await expectSameDoc(a, b, ORG)
    expect(A.toJS(await b.store.get<Org>(ORG))).toEqual({ name: 'Alpha', members: ['ann', 'bob'], count: 2 })
  })

  it('a document first received from A and then changed by B can be passed on to C', async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    const b = await stores.open()
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    await b.store.change<Org>(ORG, { action: 'org.rename', resource: ORG }, (d) => {
      d.name = 'Renamed by B'
    })
    const c = await stores.open()
    const result = await c.store.receive({
      entries: [
        ...(await entriesOf(a.store, a.signer.memberKey)),
        ...(await entriesOf(b.store, b.signer.memberKey)),
      ],
      changes: await b.store.changes(ORG),
    })
    expect(reasons(result)).toEqual([])
    await expectSameDoc(b, c, ORG)
  })

  it("B serves every change by hash while its own changes and A's received ones interleave", async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    const b = await stores.open()
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    const served = async () => {
      const all = (await b.store.changes(ORG)).map((c) => A.decodeChange(c).hash as ChangeHash)
      const got = await b.store.changesByHash(ORG, all)
      expect([...got.keys()].sort()).toEqual([...all].sort())
      expect([...got].every(([h, c]) => A.decodeChange(c).hash === h)).toBe(true)
      return all.length
    }
    expect(await served()).toBe(1)
    for (let i = 0; i < 3; i++) {
      // B's own change (taken into the index as it is made), then one of A's received.
      await b.store.change<Org>(ORG, { action: 'org.count', resource: ORG }, (d) => {
        d.count = i
      })
      expect(await served()).toBe(2 + 2 * i)
      await a.store.change<Org>(ORG, { action: 'org.member-add', resource: ORG }, (d) => {
        d.members.push(`m${i}`)
      })
      const from = ((await b.store.chains.head(TEST_SCOPE, a.signer.memberKey))?.seq ?? 0) + 1
      const entries: SignedEntry[] = []
      for await (const e of a.store.chains.entries(TEST_SCOPE, a.signer.memberKey, { from })) entries.push(e)
      expect(reasons(await b.store.receive({ entries, changes: await a.store.changes(ORG) }))).toEqual([])
      expect(await served()).toBe(3 + 2 * i)
    }
    // Two local changes in a row without serving in between: both taken.
    for (const name of ['x', 'y'])
      await b.store.change<Org>(ORG, { action: 'org.rename', resource: ORG }, (d) => {
        d.name = name
      })
    expect(await served()).toBe(9)
  })

  it('changes B received after serving the document are served as received: the index took them, no pass over the history', async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    const b = await stores.open()
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    const first = (await b.store.changes(ORG)).map((c) => A.decodeChange(c).hash as ChangeHash)
    expect((await b.store.changesByHash(ORG, first)).size).toBe(1)
    for (let i = 0; i < 3; i++)
      await a.store.change<Org>(ORG, { action: 'org.member-add', resource: ORG }, (d) => {
        d.members.push(`m${i}`)
      })
    const entries: SignedEntry[] = []
    for await (const e of a.store.chains.entries(TEST_SCOPE, a.signer.memberKey, { from: 2 })) entries.push(e)
    const changes = (await a.store.changes(ORG)).map((c) => Uint8Array.from(c))
    expect(reasons(await b.store.receive({ entries, changes }))).toEqual([])
    const hashes = changes.map((c) => A.decodeChange(c).hash as ChangeHash)
    const got = await b.store.changesByHash(ORG, hashes)
    expect(got.size).toBe(4)
    // The very bytes of the batch (Automerge would hand out copies).
    for (const [i, h] of hashes.entries()) if (i > 0) expect(got.get(h)).toBe(changes[i])
    await expectSameDoc(a, b, ORG)
  })
})

/** A with ORG created and counted up `n` times; its full batch and its document's snapshot. */
async function countedOrg(n: number): Promise<{ a: StoreHandle; batch: RemoteBatch; snapshot: Uint8Array }> {
  const a = await stores.open()
  await createOrg(a, ORG)
  for (let i = 0; i < n; i++) {
    await a.store.change<Org>(ORG, { action: 'org.count', resource: ORG }, (d) => {
      d.count = i
    })
  }
  return { a, batch: await fullBatch(a, [ORG]), snapshot: await a.store.snapshot(ORG) }
}

describe('receive: snapshots', () => {
  it('a snapshot holding exactly the accepted history is loaded and stored as the document, no change records', async () => {
    const { a, batch, snapshot } = await countedOrg(30)
    let b = await stores.open()
    const result = await b.store.receive({ ...batch, snapshots: new Map([[ORG, snapshot]]) })
    expect(reasons(result)).toEqual([])
    expect(result.byDoc.get(ORG)?.entries).toHaveLength(31)
    await expectSameDoc(a, b, ORG)
    expect(await keysOf(b.db.changes)).toEqual([])
    expect(Buffer.from((await b.db.snapshots.get(ORG)) as Uint8Array).equals(snapshot)).toBe(true)
    b = await stores.reopen(b)
    await expectSameDoc(a, b, ORG)
  })

  it('a node that held part of the history loads the snapshot and drops its change records', async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    const b = await stores.open()
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    for (let i = 0; i < 10; i++) {
      await a.store.change<Org>(ORG, { action: 'org.count', resource: ORG }, (d) => {
        d.count = i
      })
    }
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    expect(await keysOf(b.db.changes)).toHaveLength(2)
    for (let i = 10; i < 20; i++) {
      await a.store.change<Org>(ORG, { action: 'org.count', resource: ORG }, (d) => {
        d.count = i
      })
    }
    const snapshots = new Map([[ORG, await a.store.snapshot(ORG)]])
    expect(reasons(await b.store.receive({ ...(await fullBatch(a, [ORG])), snapshots }))).toEqual([])
    expect(await keysOf(b.db.changes)).toEqual([])
    await expectSameDoc(a, b, ORG)
    await expectSameDoc(a, await stores.reopen(b), ORG)
  })

  it('a snapshot with any other history is ignored: the verified changes are applied instead', async () => {
    const { a, batch, snapshot } = await countedOrg(12)
    const docA = await a.store.get<Org>(ORG)
    // One change more than the entries cover (content no entry vouches for).
    const extra = A.save(A.change(A.clone(docA), (d) => d.members.push('mallory')))
    // One change fewer; another document; damaged bytes; no document at all.
    const [first] = await a.store.changes(ORG)
    const fewer = A.save(A.applyChanges(A.init(), (await a.store.changes(ORG)).slice(0, -1))[0])
    const other = A.save(A.from({ name: 'Elsewhere', members: [] }))
    const damaged = Uint8Array.from(snapshot)
    damaged[damaged.length - 3] = (damaged[damaged.length - 3] ?? 0) ^ 0x55
    const garbage = new Uint8Array(randomBytes(200))
    expect(first).toBeDefined()
    for (const bad of [extra, fewer, other, damaged, garbage, new Uint8Array(0)]) {
      const b = await stores.open()
      const result = await b.store.receive({ ...batch, snapshots: new Map([[ORG, bad]]) })
      // Damage past the header is caught by the bounds check: refused, not just ignored.
      if (bad === damaged) expect(result.rejected.map((r) => r.kind)).toEqual(['malformed'])
      else expect(reasons(result)).toEqual([])
      await expectSameDoc(a, b, ORG)
      expect(A.toJS(await b.store.get<Org>(ORG)).members).toEqual(['ann'])
      expect(Buffer.from((await b.db.snapshots.get(ORG)) as Uint8Array).equals(bad)).toBe(false)
      expect(await keysOf(b.db.changes)).toHaveLength(1) // applied: the batch's one record
      await expectSameDoc(a, await stores.reopen(b), ORG)
    }
  })

  it('when an entry is refused, the snapshot (which holds its change) is ignored and the change stays out', async () => {
    const { a, batch, snapshot } = await countedOrg(5)
    const b = await stores.open()
    const entries = [...batch.entries]
    entries[5] = withBadSignature(entries[5] as SignedEntry)
    const result = await b.store.receive({
      entries,
      changes: batch.changes,
      snapshots: new Map([[ORG, snapshot]]),
    })
    expect(result.rejected.map((r) => r.seq)).toEqual([6])
    expect(A.toJS(await b.store.get<Org>(ORG)).count).toBe(3)
    expect(sortedHeads(await b.store.get(ORG))).not.toEqual(sortedHeads(await a.store.get(ORG)))
    expect(Buffer.from((await b.db.snapshots.get(ORG)) as Uint8Array).equals(snapshot)).toBe(false)
  })
})

describe('receive: what is refused', () => {
  it('with the deny-all validator nothing is stored', async () => {
    const { a, batch } = await authorWithDocs(2)
    const b = await stores.open({ validator: denyAllValidator })
    const rejectedEvents: ReceiveResult[] = []
    b.store.on('rejected', ({ result }) => rejectedEvents.push(result))
    const result = await b.store.receive(batch)
    expect(result.rejected).toEqual([
      {
        author: a.signer.memberKey,
        seq: 1,
        hash: expect.any(String),
        reason: 'no rules accept changes to org:d1',
        kind: 'rule',
      },
      {
        author: a.signer.memberKey,
        seq: 2,
        hash: expect.any(String),
        reason: 'follows refused entry 1',
        kind: 'follows-refused',
      },
    ])
    expect(result.byDoc.size).toBe(0)
    expect(rejectedEvents).toHaveLength(1)
    expect(await b.store.has(parseDocId('org:d1'))).toBe(false)
    expect(await b.store.chains.head(TEST_SCOPE, a.signer.memberKey)).toBeNull()
    await expectNothingStored(b)
  })

  it('a forged signature (one byte flipped) on a lone entry is refused and nothing is stored', async () => {
    const { a, batch } = await authorWithDocs(1)
    const b = await stores.open()
    const [entry] = batch.entries
    if (entry === undefined) throw new Error('no entry')
    const result = await b.store.receive({ entries: [withBadSignature(entry)], changes: batch.changes })
    expect(result.rejected).toEqual([
      {
        author: a.signer.memberKey,
        seq: 1,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        reason: 'entry 1 does not verify: bad signature',
        kind: 'bad-signature',
      },
    ])
    await expectNothingStored(b)
  })

  it('a forged signature on the newest entry refuses that entry only; the earlier ones are vouched by hash link', async () => {
    const { a, ids, batch } = await authorWithDocs(3)
    const b = await stores.open()
    const entries = [...batch.entries]
    entries[2] = withBadSignature(entries[2] as SignedEntry)
    const result = await b.store.receive({ entries, changes: batch.changes })
    expect(result.rejected.map((r) => [r.seq, r.reason])).toEqual([
      [3, 'entry 3 does not verify: bad signature'],
    ])
    expect([...result.byDoc.keys()]).toEqual(ids.slice(0, 2))
    expect((await b.store.chains.head(TEST_SCOPE, a.signer.memberKey))?.seq).toBe(2)
    expect(await b.store.has(ids[2] as DocId)).toBe(false)
  })

  it('by design, a bad signature on an entry that a later validly signed entry links to is accepted (and audited as a warning)', async () => {
    const { a, batch } = await authorWithDocs(3)
    const b = await stores.open()
    const entries = [...batch.entries]
    entries[1] = withBadSignature(entries[1] as SignedEntry)
    const result = await b.store.receive({ entries, changes: batch.changes })
    expect(result.rejected).toEqual([])
    const stored = await entriesOf(b.store, a.signer.memberKey)
    const report = verifyChain(a.signer.memberKey, stored, { signatures: 'all' })
    expect(report.status).toBe('ok')
    expect(report.warnings.map((w) => w.seq)).toEqual([2])
  })

  it('an altered entry body is refused together with every later entry of that author', async () => {
    const { a, batch } = await authorWithDocs(3)
    const b = await stores.open()
    const entries = [...batch.entries]
    const second = entries[1] as SignedEntry
    const bytes = Uint8Array.from(second.bytes)
    const target = Buffer.from(bytes).indexOf('org:d2')
    expect(target).toBeGreaterThan(0)
    // Same length, still a valid document id: only the signature and the hash link can tell.
    bytes[target + 5] = '9'.charCodeAt(0)
    expect(decodeEntry({ bytes, signature: second.signature }).ok).toBe(true)
    entries[1] = { bytes, signature: second.signature }
    const result = await b.store.receive({ entries, changes: batch.changes })
    expect(result.rejected.map((r) => r.seq)).toEqual([2, 3])
    expect(reasons(result)[0]).toMatch(/^entry 2 does not verify/)
    expect(reasons(result)[1]).toBe('follows refused entry 2')
    expect((await b.store.chains.head(TEST_SCOPE, a.signer.memberKey))?.seq).toBe(1)
  })

  it("A's change inside an entry signed by C is refused, and so is an entry whose change is not in the batch", async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    const [change] = await a.store.changes(ORG)
    if (change === undefined) throw new Error('no change')
    const c = makeSigner()
    const claim = signEntry(
      body(c, 1, null, { action: 'org.create', resource: ORG, doc: ORG, changes: [hashOf(change)] }),
      c,
    )
    const b = await stores.open()
    const result = await b.store.receive({ entries: [claim], changes: [change] })
    expect(result.rejected).toHaveLength(1)
    expect(result.rejected[0]).toMatchObject({ author: c.memberKey, seq: 1 })
    expect(reasons(result)[0]).toMatch(/^change [0-9a-f]{12} has another author than its entry$/)

    const absent = await b.store.receive({
      entries: await entriesOf(a.store, a.signer.memberKey),
      changes: [],
    })
    expect(reasons(absent)).toEqual([`change ${hashOf(change).slice(0, 12)} is not in the batch`])
    expect(await b.store.chains.head(TEST_SCOPE, c.memberKey)).toBeNull()
    await expectNothingStored(b)
  })

  it('an entry of C claiming a change of A that B already holds is refused as well', async () => {
    const a = await stores.open()
    await createOrg(a, ORG)
    const [change] = await a.store.changes(ORG)
    if (change === undefined) throw new Error('no change')
    const b = await stores.open()
    expect(reasons(await b.store.receive(await fullBatch(a, [ORG])))).toEqual([])
    const c = makeSigner()
    const claim = signEntry(
      body(c, 1, null, { action: 'org.rename', resource: ORG, doc: ORG, changes: [hashOf(change)] }),
      c,
    )
    // A change is covered by exactly one entry: a second entry claiming it is refused.
    const result = await b.store.receive({ entries: [claim], changes: [change] })
    expect(reasons(result)).toEqual([expect.stringMatching(/is already covered by another entry/)])
    expect(await b.store.chains.head(TEST_SCOPE, c.memberKey)).toBeNull()
  })

  it('within one batch, a change accepted for a document cannot be covered for it again, even after another document took the same bytes', async () => {
    const c = makeSigner()
    const [x, y] = docIds(2) as [DocId, DocId]
    const doc = A.change(A.init<Record<string, unknown>>({ actor: `${c.memberKey}01` }), (d) => {
      d.name = 'shared'
    })
    const [change] = A.getAllChanges(doc)
    if (change === undefined) throw new Error('no change')
    const h = hashOf(change)
    const e1 = signEntry(body(c, 1, null, { action: 'org.create', resource: x, doc: x, changes: [h] }), c)
    const e2 = signEntry(body(c, 2, e1, { action: 'org.create', resource: y, doc: y, changes: [h] }), c)
    const e3 = signEntry(body(c, 3, e2, { action: 'org.rename', resource: x, doc: x, changes: [h] }), c)
    const b = await stores.open()
    const result = await b.store.receive({ entries: [e1, e2, e3], changes: [change] })
    // The same bytes may stand in two documents; a second claim in the first is refused.
    expect(reasons(result)).toEqual([`change ${h.slice(0, 12)} is already covered by another entry`])
    expect(result.rejected[0]).toMatchObject({ seq: 3 })
    expect((await b.store.chains.head(TEST_SCOPE, c.memberKey))?.seq).toBe(2)
  })

  it("entries that start past B's head are refused and `missing` names the author and B's head", async () => {
    const { a, batch } = await authorWithDocs(4)
    const key = a.signer.memberKey
    const [e1, e2, e3, e4] = batch.entries as [SignedEntry, SignedEntry, SignedEntry, SignedEntry]
    const b = await stores.open()

    const gap = await b.store.receive({ entries: [e2, e3], changes: batch.changes })
    expect(gap.missing).toEqual([{ scope: TEST_SCOPE, author: key, after: 0 }])
    expect(gap.rejected.map((r) => [r.author, r.seq, r.reason])).toEqual([
      [key, 2, 'missing earlier entries (have up to 0)'],
      [key, 3, 'missing earlier entries (have up to 0)'],
    ])
    await expectNothingStored(b)

    expect(reasons(await b.store.receive({ entries: [e1, e2], changes: batch.changes }))).toEqual([])
    const later = await b.store.receive({ entries: [e4], changes: batch.changes })
    expect(later.missing).toEqual([{ scope: TEST_SCOPE, author: key, after: 2 }])
    expect(reasons(later)).toEqual(['missing earlier entries (have up to 2)'])
    expect((await b.store.chains.head(TEST_SCOPE, key))?.seq).toBe(2)

    const rest = await b.store.receive({ entries: [e3, e4], changes: batch.changes })
    expect(reasons(rest)).toEqual([])
    expect(rest.missing).toEqual([])
    expect((await b.store.chains.head(TEST_SCOPE, key))?.seq).toBe(4)
  })

  it('receiving the same batch twice counts duplicates and stores nothing twice', async () => {
    const a = await stores.open()
    const ids = docIds(2)
    for (const id of ids) await createOrg(a, id)
    await a.store.record(TEST_SCOPE, { action: 'org.invite', resource: 'invite:1' })
    const batch = await fullBatch(a, ids)
    const b = await stores.open()
    expect(reasons(await b.store.receive(batch))).toEqual([])
    const keys = {
      entries: await keysOf(b.db.entries),
      changes: await keysOf(b.db.changes),
      snapshots: await keysOf(b.db.snapshots),
    }
    const heads = await Promise.all(ids.map(async (id) => sortedHeads(await b.store.get(id))))
    let events = 0
    b.store.on('change', () => events++)

    const again = await b.store.receive(batch)
    expect(again.duplicates).toBe(3)
    expect(again.rejected).toEqual([])
    expect(again.byDoc.size).toBe(0)
    expect(again.entriesOnly).toEqual([])
    expect(events).toBe(0)
    expect(await keysOf(b.db.entries)).toEqual(keys.entries)
    expect(await keysOf(b.db.changes)).toEqual(keys.changes)
    expect(await keysOf(b.db.snapshots)).toEqual(keys.snapshots)
    expect(await Promise.all(ids.map(async (id) => sortedHeads(await b.store.get(id))))).toEqual(heads)

    // Old and new together: the old ones are duplicates, the new one is taken.
    const third = parseDocId('org:d3')
    await createOrg(a, third)
    const overlap = await b.store.receive(await fullBatch(a, [...ids, third]))
    expect(overlap.duplicates).toBe(3)
    expect([...overlap.byDoc.keys()]).toEqual([third])
    const stored = await entriesOf(b.store, a.signer.memberKey)
    // Bytes compared as hex: a run read back is a Buffer, a memory storage's record is not.
    expect(stored.map((e) => toHex(e.bytes))).toEqual(
      (await entriesOf(a.store, a.signer.memberKey)).map((e) => toHex(e.bytes)),
    )
    expect(stored).toHaveLength(4)
  })

  it.each([2, 3])(
    "a fork (A's key signs a second entry %i) is refused, reported with both entries, and kept as proof",
    async (seq) => {
      const { a, batch } = await authorWithDocs(3)
      const key = a.signer.memberKey
      const b = await stores.open()
      expect(reasons(await b.store.receive(batch))).toEqual([])
      const original = (await b.store.chains.get(TEST_SCOPE, key, seq)) as Entry
      const prev = (await b.store.chains.get(TEST_SCOPE, key, seq - 1)) as Entry
      const fork = signEntry(body(a.signer, seq, prev, { details: { fork: true } }), a.signer)
      expect(fork.hash).not.toBe(original.hash)

      const result = await b.store.receive({ entries: [fork], changes: [] })
      expect(result.forks).toHaveLength(1)
      const [pair] = result.forks
      expect(pair?.map((e) => e.hash)).toEqual([original.hash, fork.hash])
      expect(result.rejected.map((r) => [r.author, r.seq, r.hash, r.reason])).toEqual([
        [key, seq, fork.hash, `fork: a second signed entry ${seq}`],
      ])
      // The stored chain is untouched.
      expect((await b.store.chains.get(TEST_SCOPE, key, seq))?.hash).toBe(original.hash)
      expect((await b.store.chains.head(TEST_SCOPE, key))?.seq).toBe(3)

      // The proof survives a reopen: two validly signed entries with one seq.
      const b2 = await stores.reopen(b)
      const proof = await b2.store.chains.forks()
      expect(proof).toHaveLength(2)
      const decoded = proof.map((p) => {
        const d = decodeEntry(p)
        if (!d.ok) throw new Error(d.reason)
        return d.entry
      })
      expect(decoded.map((e) => e.hash).sort()).toEqual([original.hash, fork.hash].sort())
      for (const e of decoded) {
        expect(e.author).toBe(key)
        expect(e.seq).toBe(seq)
        expect(ed25519Verify(fromHex(key), e.bytes, e.signature)).toBe(true)
      }
    },
  )

  it("a conflicting entry not signed by A's key is refused and not kept as a fork proof", async () => {
    const { a, batch } = await authorWithDocs(2)
    const key = a.signer.memberKey
    const b = await stores.open()
    expect(reasons(await b.store.receive(batch))).toEqual([])
    const first = (await b.store.chains.get(TEST_SCOPE, key, 1)) as Entry
    const mallory = makeSigner()
    const bytes = encodeEntryBody(body(a.signer, 2, first, { details: { forged: true } }))
    const result = await b.store.receive({
      entries: [{ bytes, signature: mallory.sign(bytes) }],
      changes: [],
    })
    expect(result.forks).toEqual([])
    expect(reasons(result)).toEqual(['conflicts with a stored entry and does not verify'])
    expect(await b.store.chains.forks()).toEqual([])
  })

  it('a change whose dependencies B does not hold is refused; with the entry that covers them it is taken', async () => {
    // D creates the document; A (outside any store) makes a change on top of it, with an
    // actor id that starts with A's member key, and signs an entry for it.
    const d = await stores.open()
    await createOrg(d, ORG)
    const [base] = await d.store.changes(ORG)
    if (base === undefined) throw new Error('no change')
    const a = makeSigner()
    const onTop = A.change(
      A.clone(await d.store.get<Org>(ORG), { actor: `${a.memberKey}${'00'.repeat(8)}` }),
      (doc) => {
        doc.name = 'Changed by A'
      },
    )
    const change = A.getLastLocalChange(onTop)
    if (change === undefined) throw new Error('no change')
    expect(A.decodeChange(change).deps).toEqual([hashOf(base)])
    const entryA = signEntry(
      body(a, 1, null, { action: 'org.rename', resource: ORG, doc: ORG, changes: [hashOf(change)] }),
      a,
    )
    const b = await stores.open()

    const noDeps = await b.store.receive({ entries: [entryA], changes: [change] })
    expect(noDeps.rejected.map((r) => [r.author, r.seq])).toEqual([[a.memberKey, 1]])
    expect(reasons(noDeps)[0]).toMatch(/depends on/)
    await expectNothingStored(b)

    // The dependency's bytes alone are not enough: no entry of D vouches for them.
    const unvouched = await b.store.receive({ entries: [entryA], changes: [base, change] })
    expect(reasons(unvouched)).toEqual([expect.stringMatching(/depends on/)])
    await expectNothingStored(b)

    const whole = await b.store.receive({
      entries: [entryA, ...(await entriesOf(d.store, d.signer.memberKey))],
      changes: [change, base],
    })
    expect(reasons(whole)).toEqual([])
    const got = await b.store.get<Org>(ORG)
    expect(A.toJS(got)).toEqual(A.toJS(onTop))
    expect(sortedHeads(got)).toEqual(sortedHeads(onTop))
  })

  it('garbage changes and entries are refused with reasons, nothing is stored and nothing throws', async () => {
    const { batch } = await authorWithDocs(1)
    const valid = batch.entries[0] as SignedEntry
    const b = await stores.open()
    const junk = {
      entries: [
        { bytes: new Uint8Array(100).fill(0xab), signature: new Uint8Array(64).fill(1) },
        {
          bytes: Uint8Array.from([...ENTRY_DOMAIN, 0xff, 0xff, 0x00]),
          signature: new Uint8Array(64).fill(2),
        },
        { bytes: valid.bytes, signature: new Uint8Array(10) },
        { bytes: 'not bytes', signature: 'nor this' },
        {},
        42,
      ],
      changes: [new Uint8Array(80).fill(0xcd), new Uint8Array(0), 'not bytes', 42, randomBytes(16)],
    } as unknown as RemoteBatch
    const result = await b.store.receive(junk)
    expect(result.rejected.every((r) => r.author === null && r.seq === null && r.hash === null)).toBe(true)
    // Changes are only hashed (their chunk header checked), alongside the entries: compare as a multiset.
    expect(result.rejected.every((r) => r.kind === 'malformed')).toBe(true)
    expect(reasons(result).sort()).toEqual(
      [
        'change refused: not an Automerge chunk',
        'change refused: not an Automerge chunk',
        'change refused: not bytes',
        'change refused: not bytes',
        'change refused: not an Automerge chunk',
        'undecodable entry: wrong domain prefix',
        'undecodable entry: truncated entry',
        'undecodable entry: signature is not 64 bytes',
        'undecodable entry: not bytes',
        'undecodable entry: not bytes',
        'undecodable entry: not an entry',
      ].sort(),
    )
    await expectNothingStored(b)

    const notArrays = await b.store.receive({ entries: 'nope', changes: {} } as unknown as RemoteBatch)
    expect(reasons(notArrays)).toEqual(['malformed batch'])
    const tooMany = await b.store.receive({
      entries: new Array(BATCH_LIMITS.maxEntries + 1).fill(valid),
      changes: [],
    })
    expect(reasons(tooMany)).toEqual(['batch too large'])
    await expectNothingStored(b)
  })

  it('a null in the entries list is refused like other garbage instead of throwing', async () => {
    const b = await stores.open()
    const result = await b.store.receive({ entries: [null], changes: [] } as unknown as RemoteBatch)
    expect(reasons(result)).toEqual(['undecodable entry: not an entry'])
    expect(reasons(await b.store.receive(null as unknown as RemoteBatch))).toEqual(['malformed batch'])
  })
})
