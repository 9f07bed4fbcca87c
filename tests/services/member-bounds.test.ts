/**
 * Issue 11 part 4: a member's node that skips its own checks (a lawless replica) writes
 * past every bound; every honest node refuses it through the real receive path, with
 * kind `oversize`, and counts it as an offence of the peer that sent it.
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  type ChangeHash,
  decodeEntry,
  ENTRY_LIMITS,
  packEntry,
  type RefusalKind,
  type Verdict,
  WriteBudget,
} from '../../crdt/index.ts'
import { CHANGE_LIMITS } from '../../services/change-limits.ts'
import { HANGAR_LIMITS } from '../../services/fleet/hangar-limits.ts'
import { type HangarDoc, hangarId } from '../../services/fleet/index.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { OP_LIMITS, type OperationDoc, opDocId } from '../../services/operations/op-schema.ts'
import { OperationsService } from '../../services/operations/operations-service.ts'
import type { OrgSummary } from '../../services/org/org-service.ts'
import { rosterId } from '../../services/org/org-service.ts'
import { bucketOf, type RosterDoc } from '../../services/org/roster-schema.ts'
import { ROSTER_LIMITS } from '../../services/org/validation.ts'
import { enlist, everything, makeReplica, type Replica, useReplicas } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const replica = useReplicas()
const S = (v: string) => new A.ImmutableString(v)

/** Records the kind of every refusal the replica's rules give. */
function spyKinds(r: Replica): RefusalKind[] {
  const kinds: RefusalKind[] = []
  const judge = r.validator.validate.bind(r.validator)
  const note = (v: Verdict) => {
    if (!v.ok && !v.pending) kinds.push(v.kind ?? 'rule')
    return v
  }
  r.validator.validate = (ctx) => {
    const v = judge(ctx)
    return v instanceof Promise ? v.then(note) : note(v)
  }
  return kinds
}

/** What `to` makes of everything `from` holds, through the sync source the network uses. */
async function deliver(from: Replica, to: Replica, org: string) {
  const source = new StoreSyncSource({ store: to.store, auth: to.validator.auth })
  const all = await everything(from)
  return source.receive(org, { entries: all.entries.map((e) => packEntry(e)), changes: all.changes })
}

const heads = async (r: Replica, org: string) => A.getHeads(await r.org.roster(org)) as ChangeHash[]

function ship(id: string, fields: Record<string, unknown> = {}) {
  return {
    id: S(id),
    model: S('Cutlass Black'),
    manufacturer: S('Drake'),
    name: S(''),
    role: S(''),
    pledgeDate: null,
    cost: 0,
    insurance: S('none'),
    status: S('available'),
    location: S(''),
    visibility: S('org'),
    addedAt: 1_700_000_000_000,
    loadouts: {},
    activeLoadout: null,
    ...fields,
  }
}
const newId = () => randomBytes(8).toString('hex')

let leader: Replica
let org: OrgSummary

beforeEach(async () => {
  leader = await replica()
  org = await leader.org.createOrg({ name: 'Bounds Org', tag: 'BND', handle: 'Leader_1' })
})

describe('hangar bounds hold for remote changes', () => {
  let lawless: Replica
  let kinds: RefusalKind[]
  beforeEach(async () => {
    lawless = await replica(true)
    await enlist(leader, org.id, lawless, 'member', 'Lawless_1')
    kinds = spyKinds(leader)
  })

  /** The lawless member writes into its own hangar, skipping every check of its own. */
  async function write(fn: (d: HangarDoc) => void): Promise<void> {
    const id = hangarId(org.id, lawless.signer.memberKey)
    const action = { action: 'ship.add', resource: 'ship', authHeads: await heads(lawless, org.id) }
    if (await lawless.store.has(id)) await lawless.store.change<HangarDoc>(id, action, fn)
    else
      await lawless.store.create<HangarDoc>(id, action, (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(lawless.signer.memberKey)
        d.ships = {}
        fn(d)
      })
  }

  it('ships with 2 MB names: refused as oversize, the sender penalised, nothing stored', async () => {
    // One per change (a change of several is past the receive path's own 4 MB bound).
    await write((d) => {
      for (let i = 0; i < 1; i++) {
        const id = newId()
        d.ships[id] = ship(id, { name: S('x'.repeat(2 * 1024 * 1024)) }) as never
      }
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.accepted).toBe(0)
    expect(receipt.offences).toBeGreaterThan(0)
    expect(receipt.reasons).toContain(`changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`)
    expect(kinds).toEqual(['oversize'])
    expect(await leader.store.has(hangarId(org.id, lawless.signer.memberKey))).toBe(false)
  })

  it('a ship name of 81 characters: refused as oversize', async () => {
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id, { name: S('x'.repeat(HANGAR_LIMITS.name + 1)) }) as never
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toEqual([`ship name must be at most ${HANGAR_LIMITS.name} characters`])
    expect(receipt.offences).toBe(1)
    expect(kinds).toEqual(['oversize'])
  })

  it('15,000 ships in one change, or a change of 2,200 small ops: refused', async () => {
    await write((d) => {
      for (let i = 0; i < 15_000; i++) d.ships[newId()] = { model: S('Aurora') } as never
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toContain(`changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`)
    const many = await replica(true)
    await enlist(leader, org.id, many, 'member', 'Lawless_4')
    await many.store.create<HangarDoc>(
      hangarId(org.id, many.signer.memberKey),
      { action: 'ship.add', resource: 'ship', authHeads: await heads(many, org.id) },
      (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(many.signer.memberKey)
        d.ships = {}
        for (let i = 0; i < 1_100; i++) d.ships[newId()] = { model: S('A') } as never
      },
    )
    expect((await deliver(many, leader, org.id)).reasons).toContain(
      `a change has more than ${CHANGE_LIMITS.opsPerChange} ops`,
    )
    expect(receipt.offences).toBeGreaterThan(0)
    expect(kinds).toEqual(['oversize', 'oversize'])
  })

  it(`more than ${HANGAR_LIMITS.shipsPerHangar} ships in a hangar, over several changes: the change past the bound is refused`, async () => {
    const perChange = 120
    for (let n = 0; n <= HANGAR_LIMITS.shipsPerHangar; n += perChange) {
      await write((d) => {
        for (let i = 0; i < perChange; i++) {
          const id = newId()
          d.ships[id] = ship(id) as never
        }
      })
    }
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons[0]).toBe(`at most ${HANGAR_LIMITS.shipsPerHangar} ships in a hangar`)
    expect(kinds).toEqual(['oversize'])
    const held = await leader.store.get<HangarDoc>(hangarId(org.id, lawless.signer.memberKey))
    expect(Object.keys(held.ships).length).toBe(
      perChange * Math.floor(HANGAR_LIMITS.shipsPerHangar / perChange),
    )
  })

  it('too many loadouts on a ship, or components in a loadout: refused', async () => {
    const sid = newId()
    await write((d) => {
      d.ships[sid] = ship(sid) as never
    })
    expect((await deliver(lawless, leader, org.id)).rejected).toBe(0)
    await write((d) => {
      const s = d.ships[sid] as unknown as { loadouts: Record<string, unknown> }
      for (let i = 0; i <= HANGAR_LIMITS.loadoutsPerShip; i++) {
        const lid = newId()
        s.loadouts[lid] = { id: S(lid), name: S(`L${i}`), components: {} }
      }
    })
    expect((await deliver(lawless, leader, org.id)).reasons).toContain(
      `at most ${HANGAR_LIMITS.loadoutsPerShip} loadouts on a ship`,
    )

    const other = await replica(true)
    await enlist(leader, org.id, other, 'member', 'Lawless_2')
    const id = hangarId(org.id, other.signer.memberKey)
    await other.store.create<HangarDoc>(
      id,
      { action: 'ship.add', resource: 'ship', authHeads: await heads(other, org.id) },
      (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(other.signer.memberKey)
        const lid = newId()
        const components: Record<string, unknown> = {}
        for (let i = 0; i <= HANGAR_LIMITS.componentsPerLoadout; i++)
          components[`slot ${i}`] = { item: S('Gun'), manufacturer: S('') }
        d.ships = {
          [sid]: ship(sid, { loadouts: { [lid]: { id: S(lid), name: S('PvP'), components } } }),
        } as never
      },
    )
    expect((await deliver(other, leader, org.id)).reasons).toContain(
      `at most ${HANGAR_LIMITS.componentsPerLoadout} components in a loadout`,
    )
    expect(kinds).toEqual(['oversize', 'oversize'])
  })

  it('fields outside the layout, or an entry whose changes pass the byte bound: refused', async () => {
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id, { secret: S('hidden payload') }) as never
    })
    expect((await deliver(lawless, leader, org.id)).reasons).toContain('secret is not a field of a ship')

    const big = await replica(true)
    await enlist(leader, org.id, big, 'member', 'Lawless_3')
    await big.store.create<HangarDoc>(
      hangarId(org.id, big.signer.memberKey),
      { action: 'ship.add', resource: 'ship', authHeads: await heads(big, org.id) },
      (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(big.signer.memberKey)
        const id = newId()
        // Random text does not compress: the change itself is past the bound.
        d.ships = {
          [id]: ship(id, { location: S(randomBytes(CHANGE_LIMITS.bytesPerEntry).toString('base64')) }),
        } as never
      },
    )
    expect((await deliver(big, leader, org.id)).reasons).toContain(
      `changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`,
    )
    expect(kinds).toEqual(['rule', 'oversize'])
  })

  it('a ship deleted while an officer edits it: every node takes both, whatever the order', async () => {
    const owner = await replica()
    await enlist(leader, org.id, owner, 'member', 'Owner_1')
    const s = await owner.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    await leader.store.receive(await everything(owner))
    await owner.fleet.removeShip(org.id, owner.signer.memberKey, s.id)
    await leader.fleet.updateShip(org.id, owner.signer.memberKey, s.id, { location: 'Lorville' })
    const x = await replica()
    const y = await replica()
    expect((await x.store.receive(await everything(owner))).rejected).toEqual([])
    expect((await x.store.receive(await everything(leader))).rejected).toEqual([])
    expect((await y.store.receive(await everything(leader))).rejected).toEqual([])
    expect((await y.store.receive(await everything(owner))).rejected).toEqual([])
    const hangar = hangarId(org.id, owner.signer.memberKey)
    expect(A.getHeads(await x.store.get(hangar)).sort()).toEqual(A.getHeads(await y.store.get(hangar)).sort())
  })

  it('local input still gets the same clear errors', async () => {
    await expect(
      leader.fleet.addShip(org.id, { model: 'x'.repeat(81), manufacturer: 'RSI' }),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'ship.model',
    })
    const s = await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    for (let i = 0; i < HANGAR_LIMITS.loadoutsPerShip; i++)
      await leader.fleet.addLoadout(org.id, leader.signer.memberKey, s.id, { name: `L${i}`, components: [] })
    await expect(
      leader.fleet.addLoadout(org.id, leader.signer.memberKey, s.id, { name: 'one more', components: [] }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'loadout' })
  })
})

/** An org founded by a lawless node, an honest observer that receives what it writes. */
async function lawlessOrg(members = 0) {
  const founder = await replica(true)
  const observer = await replica()
  const o = await founder.org.createOrg({ name: 'Lawless Org', tag: 'LAW', handle: 'Boss_1' })
  const ops = new OperationsService({
    store: founder.store,
    signer: founder.signer,
    auth: founder.validator.auth,
  })
  // Members added a hundred per change, as a leader with members:manage may.
  const keys = Array.from({ length: members }, () => randomBytes(32).toString('hex'))
  for (let i = 0; i < keys.length; i += 100) {
    await founder.store.change<RosterDoc>(
      rosterId(o.id),
      { action: 'member.add', resource: `org:${o.id}` },
      (d) => {
        for (const k of keys.slice(i, i + 100)) {
          ;(d.mRank[bucketOf(k)] as Record<string, unknown>)[k] = S('member')
          ;(d.mHandle[bucketOf(k)] as Record<string, unknown>)[k] = S(`Pilot_${k.slice(0, 8)}`)
        }
      },
    )
  }
  const op = await ops.createOperation(o.id, {
    title: 'Big op',
    type: 'mining',
    scheduledAt: Date.now() + 3_600_000,
    durationMin: 60,
    slots: Array.from({ length: OP_LIMITS.slotsPerOp }, () => ({ role: 'miner' })),
  })
  expect((await deliver(founder, observer, o.id)).rejected).toBe(0)
  const kinds = spyKinds(observer)
  const opChange = async (fn: (d: OperationDoc) => void) =>
    founder.store.change<OperationDoc>(
      opDocId(o.id, op.id),
      { action: 'op.update', resource: `op:${o.id}`, authHeads: await heads(founder, o.id) },
      fn,
    )
  return { founder, observer, org: o, keys, kinds, opChange }
}

describe('roster, operation and entry bounds hold for remote changes', () => {
  it('roster: an org description of 2 MB is refused', async () => {
    const { founder, observer, org: o, kinds } = await lawlessOrg()
    await founder.store.change<RosterDoc>(
      rosterId(o.id),
      { action: 'org.update', resource: `org:${o.id}` },
      (d) => {
        d.org.description = S('x'.repeat(2 * 1024 * 1024))
      },
    )
    const receipt = await deliver(founder, observer, o.id)
    expect(receipt.reasons).toContain(`changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`)
    expect(receipt.offences).toBeGreaterThan(0)
    expect(kinds).toEqual(['oversize'])
  })

  it(`roster: ranks past ${ROSTER_LIMITS.ranks} are refused`, async () => {
    const { founder, observer, org: o, kinds } = await lawlessOrg()
    await founder.store.change<RosterDoc>(
      rosterId(o.id),
      { action: 'rank.create', resource: `org:${o.id}` },
      (d) => {
        for (let i = 0; i < ROSTER_LIMITS.ranks; i++) {
          d.rankName[`r-${i}`] = S(`Rank ${i}`)
          d.rankLevel[`r-${i}`] = 2 + i
          d.rankPerms[`r-${i}`] = S('')
        }
      },
    )
    expect((await deliver(founder, observer, o.id)).reasons).toEqual([
      `an org has at most ${ROSTER_LIMITS.ranks} ranks`,
    ])
    expect(kinds).toEqual(['oversize'])
  })

  it(`operations: a slot past ${OP_LIMITS.slotsPerOp} is refused`, async () => {
    const { founder, observer, org: o, kinds, opChange } = await lawlessOrg()
    await opChange((d) => {
      d.slots[newId()] = { role: S('miner'), ship: null }
    })
    expect((await deliver(founder, observer, o.id)).reasons).toContain(
      `at most ${OP_LIMITS.slotsPerOp} slots`,
    )
    expect(kinds).toEqual(['oversize'])
  })

  it('roster and operations: text a little past its bound is refused as oversize', async () => {
    const a = await lawlessOrg()
    await a.founder.store.change<RosterDoc>(
      rosterId(a.org.id),
      { action: 'org.update', resource: 'org' },
      (d) => {
        d.org.description = S('x'.repeat(2001))
      },
    )
    expect((await deliver(a.founder, a.observer, a.org.id)).reasons).toEqual(['description is too long'])
    const b = await lawlessOrg()
    await b.opChange((d) => {
      d.title = S('x'.repeat(101))
    })
    expect((await deliver(b.founder, b.observer, b.org.id)).reasons).toEqual([
      'title must be 1 to 100 characters',
    ])
    expect([...a.kinds, ...b.kinds]).toEqual(['oversize', 'oversize'])
  })

  it('operations: a 2 MB title is refused', async () => {
    const { founder, observer, org: o, kinds, opChange } = await lawlessOrg()
    await opChange((d) => {
      d.title = S('x'.repeat(2 * 1024 * 1024))
    })
    expect((await deliver(founder, observer, o.id)).reasons[0]).toMatch(/^changes of one entry exceed/)
    expect(kinds).toEqual(['oversize'])
  })

  it(`operations: sign-ups past ${OP_LIMITS.signUpsPerOp} are refused`, async () => {
    const { founder, observer, org: o, keys, kinds, opChange } = await lawlessOrg(OP_LIMITS.signUpsPerOp + 1)
    for (let i = 0; i < keys.length; i += 300) {
      await opChange((d) => {
        for (const k of keys.slice(i, i + 300))
          d.participants[k] = { role: S('miner'), ship: null, slot: null, state: S('pending'), updatedAt: 1 }
      })
    }
    expect((await deliver(founder, observer, o.id)).reasons[0]).toBe(
      `at most ${OP_LIMITS.signUpsPerOp} sign-ups`,
    )
    expect(kinds).toEqual(['oversize'])
  })

  it('an entry past ENTRY_LIMITS is refused before anything else, as oversize', async () => {
    const observer = await replica()
    const bytes = new Uint8Array(ENTRY_LIMITS.maxBytes + 1)
    const signed = { bytes, signature: new Uint8Array(64) }
    expect(decodeEntry(signed)).toMatchObject({ ok: false, kind: 'oversize' })
    const result = await observer.store.receive({ entries: [signed], changes: [] })
    expect(result.rejected.map((r) => r.reason)).toEqual(['undecodable entry: entry too large'])
  })

  it('entries past an author’s write budget are refused as budget: no offence, and they are taken later', async () => {
    let now = 0
    const budget = new WriteBudget({ burstEntries: 3, entriesPerMinute: 60, now: () => now })
    const observer = await makeReplica(makeSigner(), { budget })
    try {
      for (let i = 0; i < 4; i++)
        await leader.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI' })
      const first = await deliver(leader, observer, org.id)
      expect(first.accepted).toBe(3)
      expect(first.rejected).toBeGreaterThan(0)
      expect(first.offences).toBe(0)
      now += 60_000
      const later = await deliver(leader, observer, org.id)
      expect(later.rejected).toBe(0)
      const hangar = await observer.store.get<HangarDoc>(hangarId(org.id, leader.signer.memberKey))
      expect(Object.keys(hangar.ships)).toHaveLength(4)
      expect((await observer.store.chains.head(leader.signer.memberKey))?.seq).toBe(
        (await leader.store.chains.head(leader.signer.memberKey))?.seq,
      )
    } finally {
      await observer.close()
    }
  })
})
