/**
 * Issue 15, hangar import into a hangar: one import is one signed entry (`ship.import`,
 * with how many were added and skipped) however many ships it adds, every replica takes
 * it, duplicates against the hangar are skipped, a dry run writes nothing, and a bad file
 * or one past the hangar's bound changes nothing.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { beforeEach, describe, expect, it } from 'vitest'
import { HANGAR_LIMITS } from '../../../../services/fleet/hangar-limits.ts'
import { SHIPS_PER_CHANGE } from '../../../../services/fleet/import/hangar-import.ts'
import type { HangarDoc } from '../../../../services/fleet/index.ts'
import { hangarId } from '../../../../services/fleet/index.ts'
import type { OrgSummary } from '../../../../services/org/org-service.ts'
import { enlist, type Replica, sync, useReplicas } from '../../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../../fixtures/import', name), 'utf8')

let leader: Replica
let member: Replica
let org: OrgSummary

beforeEach(async () => {
  leader = await replica()
  org = await leader.org.createOrg({ name: 'Import Org', tag: 'IMP', handle: 'Admiral' })
  member = await replica()
  await enlist(leader, org.id, member, 'member', 'Pilot_1')
})

/** The member's own chain head in the org (entries written so far). */
const seq = async (r: Replica) => (await r.store.chains.head(org.id, r.signer.memberKey))?.seq ?? 0
/** The member's newest entry in the org. */
const last = async (r: Replica) => r.store.chains.get(org.id, r.signer.memberKey, await seq(r))
const ships = (r: Replica, owner: Replica = r) => r.fleet.ships(org.id, { owner: owner.signer.memberKey })

describe('ship import', () => {
  it('adds the file’s ships in one entry `ship.import` that a second node takes', async () => {
    const before = await seq(member)
    const result = await member.fleet.importShips(org.id, { text: fixture('hangarxplor.json') })
    expect(result.format).toBe('hangarxplor-json')
    expect(result.dryRun).toBe(false)
    expect(result.added.map((s) => s.model)).toEqual([
      'Cutlass Black',
      'Avenger Titan',
      'Aurora MR',
      'Zeus Mk XII Concept',
    ])
    expect(result.added.every((s) => typeof s.id === 'string')).toBe(true)
    expect(result.skipped.map((s) => s.reason)).toEqual(['duplicate-in-file', 'not-a-ship'])

    expect(await seq(member)).toBe(before + 1)
    expect(await last(member)).toMatchObject({ action: 'ship.import', details: { added: 4, skipped: 2 } })

    const held = await ships(member)
    expect(held.find((s) => s.model === 'Cutlass Black')).toMatchObject({
      manufacturer: 'Drake Interplanetary',
      name: 'Sunday Driver',
      insurance: 'lti',
      pledgeDate: '2019-11-30',
      cost: 110,
      status: 'available',
      visibility: 'org',
    })

    const cutlass = result.added[0]?.id as string
    expect((await member.fleet.ship(org.id, member.signer.memberKey, cutlass)).pledgeId).toBe('40010001')

    const received = await sync(member, leader, org.id)
    expect(received.rejected).toEqual([])
    expect((await ships(leader, member)).map((s) => s.id).sort()).toEqual(held.map((s) => s.id).sort())
  })

  it('importing the same file again skips every ship as already in the hangar and writes nothing', async () => {
    await member.fleet.importShips(org.id, { text: fixture('hangarxplor.json') })
    const after = await seq(member)
    const again = await member.fleet.importShips(org.id, { text: fixture('hangarxplor.csv') })
    // The CSV has the same pledges, plus P-52 Merlin (in the Aurora's package) the JSON lacked.
    expect(again.added.map((s) => s.model)).toEqual(['P-52 Merlin'])
    expect(again.skipped.filter((s) => s.reason === 'duplicate-in-hangar').map((s) => s.model)).toEqual([
      'Cutlass Black',
      'Avenger Titan',
      'Aurora MR',
      'Zeus Mk XII Concept',
      'Cutlass Black', // the file's repeat of its first row: in the hangar too
    ])
    expect(await seq(member)).toBe(after + 1)
    const none = await member.fleet.importShips(org.id, { text: fixture('hangarxplor.csv') })
    expect(none.added).toEqual([])
    expect(await seq(member)).toBe(after + 1)
  })

  it('a ship added by hand is a duplicate of an imported one with its model and name', async () => {
    await member.fleet.addShip(org.id, { model: 'prospector', manufacturer: 'MISC' })
    const r = await member.fleet.importShips(org.id, { text: fixture('fleetyards.json') })
    expect(r.skipped).toEqual([
      expect.objectContaining({ row: 2, reason: 'duplicate-in-hangar', model: 'Prospector' }),
      expect.objectContaining({ row: 5, reason: 'duplicate-in-file' }),
    ])
  })

  it('a dry run answers what would be added and skipped, and changes nothing', async () => {
    const before = await seq(member)
    const dry = await member.fleet.importShips(org.id, { text: fixture('fleetyards.json'), dryRun: true })
    expect(dry.dryRun).toBe(true)
    expect(dry.added.map((s) => [s.model, s.id])).toEqual([
      ['Cutlass Black', null],
      ['Prospector', null],
      ['Zeus Mk XII Concept', null],
      ['600i Touring', null],
    ])
    expect(await seq(member)).toBe(before)
    expect(await ships(member)).toEqual([])
    expect(await member.store.has(hangarId(org.id, member.signer.memberKey))).toBe(false)
  })

  it('a bad file or format: a clear error, nothing changed', async () => {
    const before = await seq(member)
    await expect(member.fleet.importShips(org.id, { text: '{not json' })).rejects.toThrow(/not JSON/)
    await expect(member.fleet.importShips(org.id, { text: '[]', format: 'xml' })).rejects.toThrow(
      /import\.format: must be one of hangarxplor-json, hangarxplor-csv, fleetyards/,
    )
    await expect(member.fleet.importShips(org.id, { format: 'fleetyards' })).rejects.toThrow(/import\.text/)
    expect(await seq(member)).toBe(before)
  })

  it(`a file that would take the hangar past ${HANGAR_LIMITS.shipsPerHangar} ships: refused whole`, async () => {
    await member.fleet.addShip(org.id, { model: 'Aurora MR', manufacturer: 'RSI', name: 'First' })
    const before = await seq(member)
    const full = Array.from({ length: HANGAR_LIMITS.shipsPerHangar }, (_, i) => ({
      name: 'Aurora MR',
      pledge_id: String(i),
    }))
    await expect(member.fleet.importShips(org.id, { text: JSON.stringify(full) })).rejects.toThrow(
      /your hangar holds 1 ships and the file adds 1000: a hangar holds at most 1000/,
    )
    expect(await seq(member)).toBe(before)
    expect(await ships(member)).toHaveLength(1)
  })
})

describe('the largest import', () => {
  it(`${HANGAR_LIMITS.shipsPerHangar} ships, every field at its longest: one entry of several changes, within every bound, taken by a second node`, async () => {
    const long = (c: string, n: number) => c.repeat(n)
    const full = Array.from({ length: HANGAR_LIMITS.shipsPerHangar }, (_, i) => ({
      name: `${String(i).padStart(4, '0')}${long('M', HANGAR_LIMITS.model - 4)}`,
      manufacturer_name: long('m', HANGAR_LIMITS.manufacturer),
      ship_name: long('n', HANGAR_LIMITS.name),
      pledge_id: `${String(i).padStart(4, '0')}${long('9', HANGAR_LIMITS.pledgeId - 4)}`,
      pledge_date: '2019-11-30',
      pledge_cost: '$999,999.99 USD',
      lti: true,
    }))
    const text = JSON.stringify(full)
    const before = await seq(member)
    const r = await member.fleet.importShips(org.id, { text })
    expect(r.added).toHaveLength(HANGAR_LIMITS.shipsPerHangar)
    expect(await seq(member)).toBe(before + 1)
    expect((await last(member))?.changes).toHaveLength(
      Math.ceil(HANGAR_LIMITS.shipsPerHangar / SHIPS_PER_CHANGE),
    )
    const doc = await member.store.get<HangarDoc>(hangarId(org.id, member.signer.memberKey))
    expect(Object.keys(doc.ships)).toHaveLength(HANGAR_LIMITS.shipsPerHangar)
    expect(A.getHeads(doc)).toHaveLength(1)

    expect((await sync(member, leader, org.id)).rejected).toEqual([])
    expect(await ships(leader, member)).toHaveLength(HANGAR_LIMITS.shipsPerHangar)
  }, 60_000)
})
