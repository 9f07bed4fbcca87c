/**
 * Each org to itself, on replicas (real LevelDB, the real sync source): a node in two
 * orgs serves each org's members that org's chains, changes and snapshots only; never the
 * node-local chain; an entry of another org is refused before its signature is checked,
 * as an offence; an entry whose scope is not its document's org is refused everywhere.
 */
import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  type ChangeHash,
  type DocId,
  decodeEntry,
  type Entry,
  packEntry,
  signEntry,
  unpackEntry,
} from '../../crdt/index.ts'
import { hangarId } from '../../services/fleet/fleet-service.ts'
import { orgOfDoc, StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { enlist, licenseOrg, type Replica, sync, useReplicas } from '../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })
const BOUNDS = { limit: 10_000, maxBytes: 1 << 26 }

/** F in orgs X and Y (a Pro license on X lets it found Y); A a member of X only, B of Y only. */
async function twoOrgs() {
  const f = await replica()
  const x = await f.org.createOrg({ name: 'Org X', tag: 'XXX', handle: 'Lead_F' })
  await licenseOrg(f, x.id, 'pro')
  const y = await f.org.createOrg({ name: 'Org Y', tag: 'YYY', handle: 'Lead_F' })
  const a = await replica()
  const b = await replica()
  await enlist(f, x.id, a, 'member', 'Mem_A')
  await enlist(f, y.id, b, 'member', 'Mem_B')
  await f.fleet.addShip(x.id, { model: 'Cutlass Black', manufacturer: 'Drake' })
  await f.fleet.addShip(y.id, { model: 'Hammerhead', manufacturer: 'Aegis' })
  const source = new StoreSyncSource({ store: f.store, auth: f.validator.auth })
  return { f, x: x.id, y: y.id, a, b, source }
}

/** Everything `source` serves `org`'s members: every chain after 0, as a catch-up would. */
async function served(source: StoreSyncSource, org: string) {
  const entries: Entry[] = []
  const changes: Uint8Array[] = []
  for (const [author] of await source.heads(org)) {
    const batch = await source.entriesAfter(org, author, 0, BOUNDS)
    for (const p of batch.entries) {
      const d = decodeEntry(unpackEntry(p))
      if (!d.ok) throw new Error(d.reason)
      entries.push(d.entry)
    }
    changes.push(...batch.changes)
  }
  return { entries, changes }
}

describe('each org to itself: what a node in two orgs serves', () => {
  it("heads and entries of org X are X's chains only: no entry and no change of Y's documents", async () => {
    const { f, x, y, source } = await twoOrgs()
    const me = f.signer.memberKey
    const xs = await served(source, x)
    expect(xs.entries.length).toBeGreaterThan(0)
    expect(new Set(xs.entries.map((e) => e.scope))).toEqual(new Set([x]))
    for (const e of xs.entries) if (e.doc !== null) expect(orgOfDoc(e.doc)).toBe(x)
    // Every change served is one of X's documents'.
    const ofX = new Set<string>()
    for (const doc of await f.store.list())
      if (orgOfDoc(doc) === x) for (const c of await f.store.changes(doc)) ofX.add(A.decodeChange(c).hash)
    for (const c of xs.changes) expect(ofX.has(A.decodeChange(c).hash)).toBe(true)
    // F's chain in X and in Y each start at seq 1.
    expect((await f.store.chains.head(x, me))?.seq).toBe((await source.heads(x)).get(me))
    expect((await f.store.chains.head(y, me))?.seq).toBe((await source.heads(y)).get(me))
    expect(xs.entries.filter((e) => e.author === me).map((e) => e.seq)[0]).toBe(1)
    const ys = await served(source, y)
    expect(new Set(ys.entries.map((e) => e.scope))).toEqual(new Set([y]))
  })

  it("snapshots only of the org's own documents", async () => {
    const { f, x, y, source } = await twoOrgs()
    const yHangar = hangarId(y, f.signer.memberKey)
    expect(await source.snapshot(x, yHangar, 1 << 26)).toBeNull()
    expect(await source.snapshot(x, `org:${y}`, 1 << 26)).toBeNull()
    expect(await source.snapshot(y, yHangar, 1 << 26)).not.toBeNull()
  })

  it('the node-local chain is never served, whatever is asked', async () => {
    const { f, x, source } = await twoOrgs()
    const me = f.signer.memberKey
    await f.store.record(null, {
      action: 'license.clock-reset',
      resource: `license-clock:${me}`,
      details: {},
    })
    expect((await f.store.chains.head(null, me))?.seq).toBe(1)
    expect((await served(source, x)).entries.map((e) => e.scope)).not.toContain(null)
    for (const org of ['local', '', 'null']) {
      expect(await source.heads(org)).toEqual(new Map())
      expect((await source.entriesAfter(org, me, 0, BOUNDS)).entries).toEqual([])
    }
    // Nor taken: a node-local entry that reaches a node is refused unread, as an offence.
    const local = (await f.store.chains.head(null, me)) as Entry
    const other = await replica()
    const r = await new StoreSyncSource({ store: other.store, auth: other.validator.auth }).receive(x, {
      entries: [packEntry(local)],
      changes: [],
    })
    expect([...r.byKind.keys()]).toEqual(['wrong-scope'])
    expect(r.offences).toBe(1)
  })

  it('members of one org receive nothing of the other: A only X, B only Y (catch-up through the source)', async () => {
    const { x, y, a, b, source } = await twoOrgs()
    for (const [r, org, other] of [
      [a, x, y],
      [b, y, x],
    ] as [Replica, string, string][]) {
      const { entries, changes } = await served(source, org)
      const got = await r.store.receive({ entries, changes }, { scope: org })
      expect(got.rejected).toEqual([])
      expect((await r.org.listOrgs()).map((o) => o.id)).toEqual([org])
      expect((await r.store.list()).every((doc) => orgOfDoc(doc) === org)).toBe(true)
      expect(await r.store.chains.scopes()).toEqual([org])
      expect(await r.store.chains.authors(other)).toEqual([])
    }
  })
})

describe('each org to itself: what a node takes', () => {
  it("a batch for X holding Y's entries is refused before any signature check, as an offence", async () => {
    const { f, x, y, a } = await twoOrgs()
    const aSource = new StoreSyncSource({ store: a.store, auth: a.validator.auth })
    const ys = await served(new StoreSyncSource({ store: f.store, auth: f.validator.auth }), y)
    // Their signatures broken too: the scope is refused first (a bad signature would say so).
    const broken = ys.entries.map((e) => {
      const signature = Uint8Array.from(e.signature)
      signature[0] = (signature[0] as number) ^ 1
      return packEntry({ bytes: e.bytes, signature })
    })
    const result = await aSource.receive(x, { entries: broken, changes: ys.changes })
    expect(result.accepted).toBe(0)
    expect([...result.byKind.keys()]).toEqual(['wrong-scope'])
    expect(result.offences).toBe(ys.entries.length)
    expect(await a.store.chains.authors(y)).toEqual([])
  })

  it("an entry whose scope is not its document's org is refused (an offence), and never written locally", async () => {
    const { f, x, y, a } = await twoOrgs()
    const me = f.signer.memberKey
    // F's next change to its X hangar, signed into F's chain of Y: as modified software would.
    const doc = hangarId(x, me) as DocId
    const held = A.load(A.save(await f.store.get(doc)), { actor: `${me}${'0b'.repeat(8)}` })
    const next = A.change(held as A.Doc<{ ships: Record<string, unknown> }>, (d) => {
      d.ships.forged = { name: 'x' }
    })
    const change = A.getLastLocalChange(next) as Uint8Array
    // The first entry of F's chain in Y as A knows it (A holds nothing of Y).
    const entry = signEntry(
      {
        scope: y,
        author: me,
        seq: 1,
        prev: null,
        time: Date.now(),
        action: 'fleet.ship-add',
        resource: 'ship:forged',
        details: null,
        doc,
        changes: [A.decodeChange(change).hash as ChangeHash],
        authHeads: [],
      },
      f.signer,
    )
    await sync(f, a, x) // A holds all of X, so only the scope can be wrong
    const source = new StoreSyncSource({ store: a.store, auth: a.validator.auth })
    const forY = await source.receive(y, { entries: [packEntry(entry)], changes: [change] })
    expect(forY.accepted, JSON.stringify([...forY.byKind, forY.reasons])).toBe(0)
    expect([...forY.byKind.keys()]).toEqual(['wrong-scope'])
    expect(forY.offences).toBe(1)
    // The store itself never signs such an entry: a document's change goes to its org's chain.
    const before = (await f.store.chains.head(y, me))?.seq
    await f.fleet.addShip(x, { model: 'Prospector', manufacturer: 'MISC' })
    expect((await f.store.chains.head(y, me))?.seq).toBe(before)
  })
})
