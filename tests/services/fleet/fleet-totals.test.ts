/**
 * Fleet composition from totals kept current (services/fleet/fleet-totals.ts): always
 * the count of exactly the ships the member may see (as the ship list shows them),
 * through local and remote changes, visibility changes, removals and masked changes of
 * a removed member (rule 5); and later queries read no hangar row again. (Stored totals
 * across restarts, damage and failed writes: fleet-totals-record.test.ts.)
 */
import { describe, expect, it, vi } from 'vitest'
import { countedStats } from '../../helpers/fleet-count.ts'
import { enlist, type Replica, sync, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })

async function agree(rs: readonly Replica[], orgId: string): Promise<void> {
  for (const r of rs) expect(await r.fleet.composition(orgId)).toEqual(await countedStats(r, orgId))
}

async function heal(rs: readonly Replica[]): Promise<void> {
  for (const a of rs) for (const b of rs) if (a !== b) expect((await sync(a, b)).rejected).toEqual([])
}

describe('fleet composition from kept totals', () => {
  it('counts exactly the ships each member may see through local and remote changes, visibility changes and removals', async () => {
    const leader = await replica()
    const officer = await replica()
    const member = await replica()
    const org = await leader.org.createOrg({ name: 'Totals Org', tag: 'TOT', handle: 'Leader_1' })
    await enlist(leader, org.id, officer, 'officer', 'Officer_1')
    await enlist(leader, org.id, member, 'member', 'Member_1')
    const all = [leader, officer, member]
    await agree(all, org.id) // built empty, before any hangar exists

    const a = await member.fleet.addShip(org.id, { model: 'Cutlass', manufacturer: 'Drake', cost: 110.1 })
    const b = await member.fleet.addShip(org.id, {
      model: 'Secret',
      manufacturer: 'Aegis',
      cost: 0.2,
      visibility: 'private',
    })
    await officer.fleet.addShip(org.id, {
      model: 'Vanguard',
      manufacturer: 'Aegis',
      cost: 300,
      visibility: 'officers',
      insurance: 'lti',
    })
    await leader.fleet.addShip(org.id, {
      model: 'Carrack',
      manufacturer: 'Anvil',
      cost: 600,
      role: 'explorer',
    })
    await agree(all, org.id)
    await heal(all)
    await agree(all, org.id)

    await member.fleet.updateShip(org.id, member.signer.memberKey, a.id, {
      visibility: 'officers',
      status: 'maintenance',
      cost: 120.3,
    })
    await member.fleet.updateShip(org.id, member.signer.memberKey, b.id, { visibility: 'org' })
    await heal(all)
    await agree(all, org.id)
    const seen = await leader.fleet.composition(org.id)
    expect(seen).toMatchObject({ ships: 4, byManufacturer: { Aegis: 2, Anvil: 1, Drake: 1 } })
    // A member without fleet:manage sees no other member's officer-only ship.
    expect((await member.fleet.composition(org.id)).byManufacturer).toEqual({ Aegis: 1, Anvil: 1, Drake: 1 })

    await member.fleet.removeShip(org.id, member.signer.memberKey, a.id)
    await member.fleet.removeShip(org.id, member.signer.memberKey, b.id)
    await heal(all)
    await agree(all, org.id)
    expect((await leader.fleet.composition(org.id)).byManufacturer).toEqual({ Aegis: 1, Anvil: 1 })
  })

  it("a removed member's ship written after the removal is not counted, whether the totals were built before or after it came", async () => {
    const leader = await replica()
    const kicked = await replica()
    const late = await replica()
    const org = await leader.org.createOrg({ name: 'Masked Org', tag: 'MSK', handle: 'Leader_1' })
    await enlist(leader, org.id, kicked, 'member', 'Kicked_1')
    await enlist(leader, org.id, late, 'member', 'Late_1')
    await kicked.fleet.addShip(org.id, { model: 'Prospector', manufacturer: 'MISC', cost: 155 })
    await heal([leader, kicked, late])
    await agree([leader], org.id) // the leader's totals count the Prospector

    await leader.org.kick(org.id, kicked.signer.memberKey) // the kicked node is offline
    await kicked.fleet.addShip(org.id, { model: 'Idris', manufacturer: 'Aegis', cost: 1_000 })
    expect((await sync(kicked, leader)).rejected).toEqual([])
    expect((await sync(leader, late)).rejected).toEqual([])
    expect((await sync(kicked, late)).rejected).toEqual([])
    for (const r of [leader, late]) {
      await agree([r], org.id)
      expect((await r.fleet.composition(org.id)).byManufacturer).toEqual({ MISC: 1 })
    }
  })

  it('after the first query, the org’s hangars are not read again, not even those that changed', async () => {
    const leader = await replica()
    const member = await replica()
    const org = await leader.org.createOrg({ name: 'Read Org', tag: 'RD', handle: 'Leader_1' })
    await enlist(leader, org.id, member, 'member', 'Member_1')
    for (let i = 0; i < 3; i++) await member.fleet.addShip(org.id, { model: `M${i}`, manufacturer: 'RSI' })
    await heal([leader, member])
    const reads = vi.spyOn(leader.store, 'indexRows')
    const scans = () => reads.mock.calls.filter(([prefix]) => prefix === `hangar:${org.id}.`).length
    expect((await leader.fleet.composition(org.id)).ships).toBe(3)
    expect(scans()).toBe(1)
    await leader.fleet.addShip(org.id, { model: 'Own', manufacturer: 'Anvil' })
    await member.fleet.addShip(org.id, { model: 'Remote', manufacturer: 'Drake' })
    await heal([leader, member])
    expect((await leader.fleet.composition(org.id)).ships).toBe(5)
    expect((await leader.fleet.composition(org.id)).ships).toBe(5)
    expect(scans()).toBe(1)
    // No hangar row is read again: each change was folded into the totals in its own batch.
    expect(reads.mock.calls.filter(([p]) => p !== `hangar:${org.id}.`)).toHaveLength(0)
  })
})
