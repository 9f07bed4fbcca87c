/**
 * Who reads and changes which ships, in the fleet service: fleet:view beyond your own
 * hangar (PermissionDeniedError naming the permission and the rank), officer-only and
 * private ships, writes checked against the hangar rules before anything is signed; list
 * filters; a loadout's components edited, taken by the other replicas.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { OrgSummary } from '../../../services/org/org-service.ts'
import { enlist as joinOrg, type Replica, sync, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })

let leader: Replica
let org: OrgSummary
const enlist = (who: Replica, rank: string, handle: string) => joinOrg(leader, org.id, who, rank, handle)

beforeEach(async () => {
  leader = await replica()
  org = await leader.org.createOrg({ name: 'Access Org', tag: 'ACC', handle: 'Admiral' })
})

describe('fleet reads', () => {
  it('a recruit sees org ships, is refused officer-only ones (fleet:manage), and never sees private ones', async () => {
    const recruit = await replica()
    await enlist(recruit, 'recruit', 'Rookie_1')
    const open = await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    const officers = await leader.fleet.addShip(org.id, {
      model: 'Polaris',
      manufacturer: 'RSI',
      visibility: 'officers',
    })
    const secret = await leader.fleet.addShip(org.id, {
      model: 'Idris',
      manufacturer: 'Aegis',
      visibility: 'private',
    })
    await sync(leader, recruit)
    const L = leader.signer.memberKey
    expect((await recruit.fleet.ships(org.id)).map((s) => s.model)).toEqual(['Carrack'])
    expect((await recruit.fleet.ship(org.id, L, open.id)).model).toBe('Carrack')
    await expect(recruit.fleet.ship(org.id, L, officers.id)).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      permission: 'fleet:manage',
      rank: 'Recruit',
    })
    await expect(recruit.fleet.ship(org.id, L, secret.id)).rejects.toMatchObject({
      name: 'ShipNotFoundError',
    })
    await expect(recruit.fleet.ship(org.id, L, '0123456789abcdef')).rejects.toMatchObject({
      name: 'ShipNotFoundError',
      kind: 'not-found',
    })
    // The owner sees all three, each one.
    expect((await leader.fleet.ships(org.id, { owner: L })).map((s) => s.model).sort()).toEqual([
      'Carrack',
      'Idris',
      'Polaris',
    ])
    expect((await leader.fleet.ship(org.id, L, secret.id)).visibility).toBe('private')
  })

  it('a kicked member keeps reading its own hangar, nothing beyond it', async () => {
    const member = await replica()
    await enlist(member, 'member', 'Pilot_1')
    await member.fleet.addShip(org.id, { model: 'Aurora', manufacturer: 'RSI' })
    await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    await sync(member, leader)
    await sync(leader, member)
    await leader.org.kick(org.id, member.signer.memberKey)
    await sync(leader, member)
    const refused = { name: 'PermissionDeniedError', permission: 'fleet:view', rank: null }
    await expect(member.fleet.ships(org.id)).rejects.toMatchObject(refused)
    await expect(member.fleet.ships(org.id, { owner: leader.signer.memberKey })).rejects.toMatchObject(
      refused,
    )
    await expect(member.fleet.composition(org.id)).rejects.toMatchObject(refused)
    await expect(member.fleet.hangarStats(org.id, leader.signer.memberKey)).rejects.toMatchObject(refused)
    expect(
      (await member.fleet.ships(org.id, { owner: member.signer.memberKey })).map((s) => s.model),
    ).toEqual(['Aurora'])
    expect((await member.fleet.hangarStats(org.id)).ships).toBe(1)
  })

  it('filters: manufacturer and role in any case, status, insurance, visibility; a bad filter names its field', async () => {
    const add = (o: Record<string, unknown>) => leader.fleet.addShip(org.id, { manufacturer: 'Drake', ...o })
    await add({ model: 'Cutlass Black', role: 'Fighter', insurance: 'lti' })
    await add({ model: 'Vulture', role: 'salvage', status: 'destroyed' })
    await add({ model: 'Carrack', manufacturer: 'Anvil', role: 'exploration', visibility: 'officers' })
    const models = async (f: Record<string, string>) =>
      (await leader.fleet.ships(org.id, f)).map((s) => s.model).sort()
    expect(await models({ manufacturer: 'DRAKE' })).toEqual(['Cutlass Black', 'Vulture'])
    expect(await models({ role: 'fighter' })).toEqual(['Cutlass Black'])
    expect(await models({ status: 'destroyed' })).toEqual(['Vulture'])
    expect(await models({ insurance: 'lti' })).toEqual(['Cutlass Black'])
    expect(await models({ visibility: 'officers' })).toEqual(['Carrack'])
    expect(await models({ manufacturer: 'Dra' })).toEqual([])
    await expect(leader.fleet.ships(org.id, { status: 'lost' } as never)).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'filter.status',
    })
  })
})

describe('fleet writes', () => {
  it("refused before signing: another member's ship without fleet:manage, a senior's with it; nothing is written", async () => {
    const officer = await replica()
    const member = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    await enlist(member, 'member', 'Member_1')
    const leaderShip = await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    await sync(leader, officer)
    await sync(leader, member)
    const L = leader.signer.memberKey
    const before = await member.store.chains.head(org.id, member.signer.memberKey)
    for (const attempt of [
      () => member.fleet.updateShip(org.id, L, leaderShip.id, { status: 'destroyed' }),
      () => member.fleet.removeShip(org.id, L, leaderShip.id),
      () => member.fleet.addLoadout(org.id, L, leaderShip.id, { name: 'x', components: [] }),
      () => member.fleet.addShip(org.id, { model: 'Gift', manufacturer: 'RSI' }, { owner: L }),
    ])
      await expect(attempt()).rejects.toMatchObject({
        name: 'PermissionDeniedError',
        permission: 'fleet:manage',
        rank: 'Member',
      })
    expect(await member.store.chains.head(org.id, member.signer.memberKey)).toEqual(before)
    await expect(
      officer.fleet.updateShip(org.id, L, leaderShip.id, { status: 'destroyed' }),
    ).rejects.toMatchObject({
      name: 'HangarOutOfReachError',
      code: 'hangar-out-of-reach',
      kind: 'forbidden',
    })
  })

  it('a loadout edited (renamed, components replaced), activated and removed; every replica takes it', async () => {
    const officer = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    const K = leader.signer.memberKey
    const ship = await leader.fleet.addShip(org.id, { model: 'Gladius', manufacturer: 'Aegis' })
    const a = await leader.fleet.addLoadout(org.id, K, ship.id, {
      name: 'PvE',
      components: [
        { slot: 'nose', item: 'CF-337', manufacturer: 'Klaus & Werner' },
        { slot: 'wing', item: 'M5A' },
      ],
    })
    const b = await leader.fleet.addLoadout(org.id, K, ship.id, { name: 'PvP', components: [] })
    const edited = await leader.fleet.editLoadout(org.id, K, ship.id, a, {
      name: 'PvE heavy',
      components: [
        { slot: 'nose', item: 'CF-447', manufacturer: 'Klaus & Werner' },
        { slot: 'tail', item: 'Sawbuck' },
      ],
    })
    expect(edited.loadouts.find((l) => l.id === a)).toEqual({
      id: a,
      name: 'PvE heavy',
      active: true,
      components: [
        { slot: 'nose', item: 'CF-447', manufacturer: 'Klaus & Werner' },
        { slot: 'tail', item: 'Sawbuck', manufacturer: '' },
      ],
    })
    expect(
      (await leader.fleet.setActiveLoadout(org.id, K, ship.id, b)).loadouts.find((l) => l.active)?.id,
    ).toBe(b)
    expect(
      (await leader.fleet.removeLoadout(org.id, K, ship.id, b)).loadouts.map((l) => [l.id, l.active]),
    ).toEqual([[a, true]])
    expect((await sync(leader, officer)).rejected).toEqual([])
    expect(await officer.fleet.ship(org.id, K, ship.id)).toEqual(await leader.fleet.ship(org.id, K, ship.id))

    await expect(leader.fleet.editLoadout(org.id, K, ship.id, a, {})).rejects.toMatchObject({
      field: 'loadout',
    })
    await expect(
      leader.fleet.editLoadout(org.id, K, ship.id, a, {
        components: [
          { slot: 'x', item: 'a' },
          { slot: 'x', item: 'b' },
        ],
      }),
    ).rejects.toMatchObject({ field: 'loadout.components' })
    await expect(leader.fleet.editLoadout(org.id, K, ship.id, b, { name: 'gone' })).rejects.toMatchObject({
      name: 'LoadoutNotFoundError',
    })
  })
})
