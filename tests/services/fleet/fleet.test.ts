import * as A from '@automerge/automerge'
import { beforeEach, describe, expect, it } from 'vitest'
import { type ChangeHash, parseDocId } from '../../../crdt/index.ts'
import { type HangarDoc, hangarId } from '../../../services/fleet/index.ts'
import type { OrgSummary } from '../../../services/org/org-service.ts'
import { enlist as joinOrg, type Replica, sync, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })

let leader: Replica
let org: OrgSummary

/**
 * What a node that skips its own checks writes: `fields` set on `owner`'s ship straight
 * through its store (the fleet service refuses before signing), judged by the others.
 */
async function rogueUpdate(by: Replica, owner: string, shipId: string, fields: Record<string, string>) {
  const heads = A.getHeads(await by.org.roster(org.id)) as ChangeHash[]
  await by.store.change<HangarDoc>(
    hangarId(org.id, owner),
    { action: 'ship.update', resource: `ship:${org.id}/${shipId}`, authHeads: heads },
    (d) => {
      const ship = d.ships[shipId] as unknown as Record<string, unknown>
      for (const [k, v] of Object.entries(fields)) ship[k] = new A.ImmutableString(v)
    },
  )
}

/** Brings `who` into the test org at `rank`. */
const enlist = (who: Replica, rank: string, handle: string) => joinOrg(leader, org.id, who, rank, handle)

const cutlass = {
  model: 'Cutlass Black',
  manufacturer: 'Drake',
  cost: 110,
  insurance: 'lti',
  role: 'fighter',
}

beforeEach(async () => {
  leader = await replica()
  org = await leader.org.createOrg({ name: 'Fleet Org', tag: 'FLT', handle: 'Admiral' })
})

describe('hangar', () => {
  it('adds, edits and removes ships; loadouts with one active; stats follow', async () => {
    const ship = await leader.fleet.addShip(org.id, cutlass)
    expect(ship).toMatchObject({
      model: 'Cutlass Black',
      status: 'available',
      visibility: 'org',
      insurance: 'lti',
    })
    await leader.fleet.addShip(org.id, {
      model: 'Prospector',
      manufacturer: 'MISC',
      cost: 155,
      role: 'mining',
    })
    await leader.fleet.updateShip(org.id, leader.signer.memberKey, ship.id, {
      status: 'maintenance',
      location: 'Area18',
    })
    const l1 = await leader.fleet.addLoadout(org.id, leader.signer.memberKey, ship.id, {
      name: 'PvE',
      components: [{ slot: 'nose', item: 'CF-337 Panther', manufacturer: 'Klaus & Werner' }],
    })
    const l2 = await leader.fleet.addLoadout(org.id, leader.signer.memberKey, ship.id, {
      name: 'PvP',
      components: [],
    })
    await leader.fleet.setActiveLoadout(org.id, leader.signer.memberKey, ship.id, l2)
    const view = await leader.fleet.ship(org.id, leader.signer.memberKey, ship.id)
    expect(view.loadouts.map((l) => [l.id, l.active])).toEqual([
      [l1, false],
      [l2, true],
    ])
    expect(view.loadouts[0]?.components).toEqual([
      { slot: 'nose', item: 'CF-337 Panther', manufacturer: 'Klaus & Werner' },
    ])
    const stats = await leader.fleet.hangarStats(org.id)
    expect(stats).toMatchObject({
      ships: 2,
      totalCost: 265,
      byManufacturer: { Drake: 1, MISC: 1 },
      byStatus: { maintenance: 1, available: 1 },
    })
    await leader.fleet.removeShip(org.id, leader.signer.memberKey, ship.id)
    expect((await leader.fleet.hangarStats(org.id)).ships).toBe(1)
  })

  it('refuses bad input naming the field, and changes nothing', async () => {
    const cases: [unknown, string][] = [
      [{ ...cutlass, cost: -5 }, 'ship.cost'],
      [{ ...cutlass, status: 'flying' }, 'ship.status'],
      [{ ...cutlass, model: '' }, 'ship.model'],
      [{ ...cutlass, pledgeDate: '2024-13-45' }, 'ship.pledgeDate'],
      [{ ...cutlass, insurance: 'lifetime' }, 'ship.insurance'],
    ]
    for (const [input, field] of cases) {
      await expect(leader.fleet.addShip(org.id, input)).rejects.toMatchObject({
        name: 'InvalidInputError',
        field,
      })
    }
    expect(await leader.store.has(hangarId(org.id, leader.signer.memberKey))).toBe(false)
  })

  it("every member's ships show on every node; private ones only to their owner", async () => {
    const member = await replica()
    await enlist(member, 'member', 'Pilot_1')
    await member.fleet.addShip(org.id, cutlass)
    await member.fleet.addShip(org.id, { model: 'Secret', manufacturer: 'Aegis', visibility: 'private' })
    await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil', cost: 600 })
    expect((await sync(member, leader)).rejected).toEqual([])
    expect((await sync(leader, member)).rejected).toEqual([])
    const seenByLeader = (await leader.fleet.ships(org.id)).map((s) => s.model).sort()
    expect(seenByLeader).toEqual(['Carrack', 'Cutlass Black'])
    const seenByMember = (await member.fleet.ships(org.id)).map((s) => s.model).sort()
    expect(seenByMember).toEqual(['Carrack', 'Cutlass Black', 'Secret'])
    expect((await leader.fleet.composition(org.id)).totalCost).toBe(710)
  })
})

describe('catch-up in one batch', () => {
  it('a hangar change recording two concurrent roster heads is accepted when both arrive in the same batch', async () => {
    const officer = await replica()
    const member = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    await enlist(member, 'member', 'Member_1')
    await sync(leader, officer)
    // Two concurrent roster changes: the roster now has two heads.
    await leader.org.setNotes(org.id, member.signer.memberKey, 'from the leader')
    await officer.org.setHandle(org.id, officer.signer.memberKey, 'Officer_Renamed')
    await sync(leader, member)
    await sync(officer, member)
    expect(A.getHeads(await member.org.roster(org.id))).toHaveLength(2)
    await member.fleet.addShip(org.id, cutlass)
    // A newcomer's node gets everything at once: the ship's entry waits for its roster heads.
    const fresh = await replica()
    const result = await sync(member, fresh)
    expect(result.rejected).toEqual([])
    const hangar = await fresh.store.get<HangarDoc>(hangarId(org.id, member.signer.memberKey))
    expect(Object.values(hangar.ships).map((s) => s.model.toString())).toEqual(['Cutlass Black'])
  })
})

describe('hangar rules, judged on every node', () => {
  it("editing another member's ship without fleet:manage is refused", async () => {
    const owner = await replica()
    const other = await replica(true)
    await enlist(owner, 'member', 'Owner_1')
    await enlist(other, 'member', 'Other_1')
    const ship = await owner.fleet.addShip(org.id, cutlass)
    await sync(owner, other)
    await sync(leader, other)
    // Its own service refuses before signing …
    await expect(
      other.fleet.updateShip(org.id, owner.signer.memberKey, ship.id, { status: 'destroyed' }),
    ).rejects.toMatchObject({ name: 'PermissionDeniedError', permission: 'fleet:manage', rank: 'Member' })
    // … and a node that skips that check gets nowhere either.
    await rogueUpdate(other, owner.signer.memberKey, ship.id, { status: 'destroyed' })
    const result = await sync(other, leader)
    expect(result.rejected.map((r) => r.reason)).toContain(
      "changing another member's hangar needs fleet:manage",
    )
    await sync(owner, leader)
    expect((await leader.fleet.ship(org.id, owner.signer.memberKey, ship.id)).status).toBe('available')
  })

  it("an officer with fleet:manage may edit a member's ship, not the leader's", async () => {
    const officer = await replica(true)
    const member = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    await enlist(member, 'member', 'Member_1')
    const memberShip = await member.fleet.addShip(org.id, cutlass)
    const leaderShip = await leader.fleet.addShip(org.id, cutlass)
    await sync(member, officer)
    await sync(leader, officer)
    await officer.fleet.updateShip(org.id, member.signer.memberKey, memberShip.id, { location: 'Lorville' })
    expect((await sync(officer, leader)).rejected).toEqual([])
    await expect(
      officer.fleet.updateShip(org.id, leader.signer.memberKey, leaderShip.id, { status: 'destroyed' }),
    ).rejects.toMatchObject({ name: 'HangarOutOfReachError', kind: 'forbidden' })
    await rogueUpdate(officer, leader.signer.memberKey, leaderShip.id, { status: 'destroyed' })
    expect((await sync(officer, leader)).rejected.map((r) => r.reason)).toContain(
      'that hangar belongs to a member at or above your own level',
    )
  })

  it('a hangar created for someone else, or one that changes its owner, is refused', async () => {
    const member = await replica(true)
    const victim = await replica()
    await enlist(member, 'member', 'Member_1')
    await enlist(victim, 'member', 'Victim_1')
    await sync(leader, member)
    await expect(
      member.fleet.addShip(org.id, cutlass, { owner: victim.signer.memberKey }),
    ).rejects.toMatchObject({ name: 'PermissionDeniedError', permission: 'fleet:manage' })
    await member.store.create<HangarDoc>(
      hangarId(org.id, victim.signer.memberKey),
      {
        action: 'ship.add',
        resource: 'ship',
        authHeads: A.getHeads(await member.org.roster(org.id)) as ChangeHash[],
      },
      (d) => {
        d.schema = 1
        d.org = new A.ImmutableString(org.id)
        d.owner = new A.ImmutableString(victim.signer.memberKey)
        d.ships = {}
      },
    )
    expect((await sync(member, leader)).rejected.map((r) => r.reason)).toContain(
      "changing another member's hangar needs fleet:manage",
    )
    const own = await replica(true)
    await enlist(own, 'member', 'Own_1')
    await own.fleet.addShip(org.id, cutlass)
    const heads = A.getHeads(await own.org.roster(org.id)) as ChangeHash[]
    await own.store.change<HangarDoc>(
      hangarId(org.id, own.signer.memberKey),
      { action: 'ship.update', resource: 'hangar', authHeads: heads },
      (d) => {
        d.owner = new A.ImmutableString(victim.signer.memberKey)
      },
    )
    expect((await sync(own, leader)).rejected.map((r) => r.reason)).toContain(
      "a hangar's org and owner never change",
    )
  })

  it('collaborative text in a hangar is refused (every field is a scalar)', async () => {
    const member = await replica(true)
    await enlist(member, 'member', 'Member_1')
    const ship = await member.fleet.addShip(org.id, cutlass)
    const heads = A.getHeads(await member.org.roster(org.id)) as ChangeHash[]
    await member.store.change<HangarDoc>(
      hangarId(org.id, member.signer.memberKey),
      { action: 'ship.update', resource: 'ship', authHeads: heads },
      (d) => {
        ;(d.ships[ship.id] as unknown as Record<string, unknown>).name = 'plain strings become Text'
      },
    )
    expect((await sync(member, leader)).rejected.map((r) => r.reason)).toContain(
      'op makeText is not allowed: fields are scalars and maps',
    )
  })

  it('a kicked member may no longer change even his own hangar', async () => {
    const member = await replica()
    await enlist(member, 'member', 'Member_1')
    await leader.org.kick(org.id, member.signer.memberKey)
    await sync(leader, member)
    await expect(member.fleet.addShip(org.id, cutlass)).rejects.toMatchObject({ name: 'ChangeRefusedError' })
  })

  it('a hangar change that records no roster heads is refused', async () => {
    const member = await replica(true)
    await enlist(member, 'member', 'Member_1')
    await member.store.create<HangarDoc>(
      parseDocId(`hangar:${org.id}.${member.signer.memberKey}`),
      { action: 'ship.add', resource: 'ship' },
      (d) => {
        d.schema = 1
        d.org = new A.ImmutableString(org.id)
        d.owner = new A.ImmutableString(member.signer.memberKey)
        d.ships = {}
      },
    )
    expect((await sync(member, leader)).rejected.map((r) => r.reason)).toContain(
      'the entry records no roster heads to judge it by',
    )
  })
})
