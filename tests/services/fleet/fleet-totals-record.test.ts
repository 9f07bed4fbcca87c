/**
 * The fleet totals stored beside the hangar rows (crdt/store/index-totals.ts,
 * services/fleet/fleet-totals.ts): the stored record is always the sum of the stored
 * rows — after random adds, updates, visibility changes, removals and remote changes,
 * after a restart, after a failed write — and a missing, damaged, old-format or
 * another member's record is never trusted: the org's rows are read again once.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Database, type MemberKey, MemoryStorage } from '../../../crdt/index.ts'
import { hangarTotals, type OrgTotals } from '../../../services/fleet/fleet-totals.ts'
import { countedStats } from '../../helpers/fleet-count.ts'
import { enlist, makeReplica, type Replica, sync, useReplicas } from '../../helpers/replica.ts'
import { makeSigner } from '../../helpers/signer.ts'

const replica = useReplicas({ storage: 'memory' })

/** The stored total against one built from every stored row now (counts exact, cost to rounding). */
async function storedIsRowSum(r: Replica, orgId: string): Promise<void> {
  const group = `hangar:${orgId}.`
  const { total } = await r.store.indexTotal<OrgTotals>('hangar', group)
  const t = hangarTotals(r.signer.memberKey)
  const fresh = t.empty()
  for (const [docId, row] of await r.store.indexRows(group)) t.count(fresh, docId, row, 1)
  for (const a of ['own', 'org', 'officers'] as const) {
    expect({ ...total[a], cost: 0 }).toEqual({ ...fresh[a], cost: 0 })
    expect(total[a].cost).toBeCloseTo(fresh[a].cost, 6)
  }
}

async function agree(rs: readonly Replica[], orgId: string): Promise<void> {
  for (const r of rs) {
    expect(await r.fleet.composition(orgId)).toEqual(await countedStats(r, orgId))
    await storedIsRowSum(r, orgId)
  }
}

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('stored fleet totals', () => {
  it('stay the sum of the stored rows through random adds, updates, visibility changes, removals and remote changes', async () => {
    const leader = await replica()
    const officer = await replica()
    const member = await replica()
    const org = await leader.org.createOrg({ name: 'Random Org', tag: 'RND', handle: 'Leader_1' })
    await enlist(leader, org.id, officer, 'officer', 'Officer_1')
    await enlist(leader, org.id, member, 'member', 'Member_1')
    const all = [leader, officer, member]
    await agree(all, org.id) // every record built here, before any hangar exists
    const rnd = prng(12)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
    const visibility = ['org', 'officers', 'private'] as const
    const makers = ['Aegis', 'Anvil', 'Drake', 'MISC', 'RSI', '']
    const statuses = ['available', 'in-use', 'maintenance', 'destroyed'] as const
    const ships = new Map<Replica, string[]>(all.map((r) => [r, []]))
    for (let step = 0; step < 60; step++) {
      const r = pick(all)
      const mine = ships.get(r) as string[]
      const roll = rnd()
      if (roll < 0.45 || mine.length === 0) {
        const s = await r.fleet.addShip(org.id, {
          model: `M${step}`,
          manufacturer: pick(makers) || 'Origin',
          cost: Math.round(rnd() * 100_000) / 100,
          visibility: pick(visibility),
          status: pick(statuses),
        })
        mine.push(s.id)
      } else if (roll < 0.8) {
        await r.fleet.updateShip(org.id, r.signer.memberKey, pick(mine), {
          visibility: pick(visibility),
          status: pick(statuses),
          cost: Math.round(rnd() * 100_000) / 100,
        })
      } else {
        const id = pick(mine)
        await r.fleet.removeShip(org.id, r.signer.memberKey, id)
        mine.splice(mine.indexOf(id), 1)
      }
      if (rnd() < 0.3) {
        const [a, b] = [pick(all), pick(all)]
        if (a !== b) expect((await sync(a, b)).rejected).toEqual([])
      }
      if (step % 10 === 9) await agree(all, org.id)
    }
    for (const a of all) for (const b of all) if (a !== b) expect((await sync(a, b)).rejected).toEqual([])
    await agree(all, org.id)
  }, 60_000)
})

describe('stored fleet totals across restarts', () => {
  const dirs: string[] = []
  const open: Replica[] = []
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close()
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  /** A leader with a member; both hold three hangars' ships; the leader's store lives in `dir`. */
  /** The leader's store in a folder (LevelDB, for restarts), or on `memory`. */
  async function setUp(options: { memory?: MemoryStorage } = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'vg-totals-'))
    dirs.push(dir)
    const signer = makeSigner()
    const leader = await makeReplica(
      signer,
      options.memory === undefined ? { dir } : { memory: options.memory },
    )
    const member = await makeReplica(makeSigner(), { storage: 'memory' })
    open.push(leader, member)
    const org = await leader.org.createOrg({ name: 'Kept Org', tag: 'KEPT', handle: 'Leader_1' })
    await enlist(leader, org.id, member, 'member', 'Member_1')
    await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil', cost: 600 })
    await leader.fleet.addShip(org.id, { model: 'Mine', manufacturer: 'RSI', visibility: 'private' })
    await member.fleet.addShip(org.id, { model: 'Cutlass', manufacturer: 'Drake', cost: 110.1 })
    await member.fleet.addShip(org.id, { model: 'Hidden', manufacturer: 'Aegis', visibility: 'private' })
    expect((await sync(member, leader)).rejected).toEqual([])
    const expected = await countedStats(leader, org.id)
    expect(expected.ships).toBe(3)
    expect(await leader.fleet.composition(org.id)).toEqual(expected)
    return { dir, signer, leader, member, orgId: org.id, expected }
  }

  async function closeNow(r: Replica): Promise<void> {
    open.splice(open.indexOf(r), 1)
    await r.close()
  }

  /** The replica kept in `dir`, opened again; `scans` counts the org-wide row reads of its compositions. */
  async function reopen(dir: string, signer: ReturnType<typeof makeSigner>) {
    const r = await makeReplica(signer, { dir })
    open.push(r)
    const reads = vi.spyOn(r.store, 'indexRows')
    let scans = 0
    const composition = async (orgId: string) => {
      const before = reads.mock.calls.length
      const stats = await r.fleet.composition(orgId)
      scans += reads.mock.calls.slice(before).filter(([p]) => p === `hangar:${orgId}.`).length
      return stats
    }
    return { r, composition, scans: () => scans }
  }

  /** Writes `value` as the org's stored totals record, the store closed. */
  async function putRecord(dir: string, orgId: string, value: Uint8Array | null): Promise<void> {
    const db = await Database.open(join(dir, 'db'))
    const key = `index-total:hangar:${orgId}.`
    await db.write(
      [
        value === null
          ? { type: 'del', section: db.meta, key }
          : { type: 'put', section: db.meta, key, value },
      ],
      true,
    )
    await db.close()
  }

  it('a restart answers from the stored record, reading no hangar row, and it stays exact after more changes', async () => {
    const { dir, signer, leader, member, orgId, expected } = await setUp()
    await closeNow(leader)
    const { r, composition, scans } = await reopen(dir, signer)
    expect(await composition(orgId)).toEqual(expected)
    expect(scans()).toBe(0)
    await member.fleet.addShip(orgId, { model: 'Prospector', manufacturer: 'MISC', cost: 155 })
    expect((await sync(member, r)).rejected).toEqual([])
    await r.fleet.addShip(orgId, { model: 'Pisces', manufacturer: 'Anvil', cost: 40 })
    expect(await composition(orgId)).toEqual(await countedStats(r, orgId))
    expect((await composition(orgId)).ships).toBe(5)
    expect(scans()).toBe(0)
    await storedIsRowSum(r, orgId)
  })

  const damaged: [string, (me: MemberKey, orgId: string) => Uint8Array | null][] = [
    ['missing (a data directory from before the totals)', () => null],
    ['not JSON', () => new TextEncoder().encode('{"format":1,"me":')],
    ['of an older format', (me) => recordOf({ format: 0, me })],
    ['counted for another member', () => recordOf({ format: 1, me: makeSigner().memberKey })],
    ['with a negative count', (me) => recordOf({ format: 1, me, own: { ...zero(), ships: -1 } })],
    ['with a field missing', (me) => recordOf({ format: 1, me, officers: undefined })],
  ]

  it.each(damaged)(
    'a stored record %s is not trusted: the rows are read once and the record written again',
    async (_, make) => {
      const { dir, signer, leader, orgId, expected } = await setUp()
      await closeNow(leader)
      await putRecord(dir, orgId, make(signer.memberKey, orgId))
      const first = await reopen(dir, signer)
      // Writes before the first query leave an untrusted record alone, and are still counted.
      await first.r.fleet.addShip(orgId, { model: 'Late', manufacturer: 'Origin', cost: 1 })
      const now = await countedStats(first.r, orgId)
      expect(now.ships).toBe(expected.ships + 1)
      expect(await first.composition(orgId)).toEqual(now)
      expect(await first.composition(orgId)).toEqual(now)
      expect(first.scans()).toBe(1)
      await closeNow(first.r)
      const second = await reopen(dir, signer)
      expect(await second.composition(orgId)).toEqual(now)
      expect(second.scans()).toBe(0)
    },
  )

  it('a failed write changes neither the rows nor the totals', async () => {
    const storage = new MemoryStorage()
    const { leader, orgId, expected } = await setUp({ memory: storage })
    storage.failNextWrite(new Error('disk full'))
    await expect(
      leader.fleet.addShip(orgId, { model: 'Lost', manufacturer: 'Origin', cost: 9 }),
    ).rejects.toThrow('disk full')
    expect(await leader.fleet.composition(orgId)).toEqual(expected)
    await leader.fleet.addShip(orgId, { model: 'Kept', manufacturer: 'Origin', cost: 9 })
    expect(await leader.fleet.composition(orgId)).toEqual(await countedStats(leader, orgId))
    await storedIsRowSum(leader, orgId)
  })

  it('an index rebuilt on start (new row format) drops the stored totals: built again from the new rows', async () => {
    const { dir, signer, leader, orgId, expected } = await setUp()
    await closeNow(leader)
    const db = await Database.open(join(dir, 'db'))
    await db.write(
      [{ type: 'put', section: db.meta, key: 'index-version:hangar', value: new TextEncoder().encode('1') }],
      true,
    )
    expect(await db.meta.get(`index-total:hangar:${orgId}.`)).toBeDefined()
    await db.close()
    const { composition, scans } = await reopen(dir, signer)
    expect(await composition(orgId)).toEqual(expected)
    expect(scans()).toBe(1)
  })
})

function zero() {
  return { ships: 0, cost: 0, byManufacturer: {}, byStatus: {}, byRole: {}, byInsurance: {} }
}

function recordOf(fields: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ own: zero(), org: zero(), officers: zero(), ...fields }))
}
