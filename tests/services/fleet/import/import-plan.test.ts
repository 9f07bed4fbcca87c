/**
 * Issue 15, hangar import: which ships are duplicates. Same model (any case), and the same
 * pledge id when both have one, else the same name (any case).
 */
import { describe, expect, it } from 'vitest'
import { planImport, type ShipIdentity } from '../../../../services/fleet/import/import-plan.ts'
import type { ImportedShip, ParsedImport } from '../../../../services/fleet/import/imported-ship.ts'

let row = 0
const ship = (model: string, name = '', pledgeId = ''): ImportedShip => ({
  row: ++row,
  model,
  manufacturer: 'Drake Interplanetary',
  name,
  role: '',
  insurance: 'none',
  pledgeDate: null,
  cost: 0,
  pledgeId,
})
const file = (...ships: ImportedShip[]): ParsedImport => ({ format: 'hangarxplor-json', ships, notShips: [] })
const added = (parsed: ParsedImport, held: ShipIdentity[] = []) =>
  planImport(parsed, held).add.map((s) => [s.model, s.name, s.pledgeId])

describe('duplicates', () => {
  it('one pledge, two models: both added; one pledge, one model twice: the second skipped', () => {
    const plan = planImport(
      file(ship('Aurora MR', '', '7'), ship('P-52 Merlin', '', '7'), ship('aurora mr', '', '7')),
      [],
    )
    expect(plan.add.map((s) => s.model)).toEqual(['Aurora MR', 'P-52 Merlin'])
    expect(plan.skipped).toEqual([
      expect.objectContaining({
        model: 'aurora mr',
        reason: 'duplicate-in-file',
        detail: 'repeats an earlier row (pledge 7)',
      }),
    ])
  })

  it('two pledges of one unnamed model: both added (the pledge ids differ)', () => {
    expect(added(file(ship('Cutlass Black', '', '1'), ship('Cutlass Black', '', '2')))).toHaveLength(2)
  })

  it('without pledge ids: the same model and name (any case) is a duplicate, another name is not', () => {
    const plan = planImport(
      file(
        ship('Prospector', 'Digger'),
        ship('PROSPECTOR', 'digger'),
        ship('Prospector', 'Other'),
        ship('Prospector'),
      ),
      [],
    )
    expect(plan.add.map((s) => s.name)).toEqual(['Digger', 'Other', ''])
    expect(plan.skipped.map((s) => s.reason)).toEqual(['duplicate-in-file'])
  })

  it('against the hangar: a held ship without a pledge id matches a pledged one by model and name', () => {
    const held: ShipIdentity[] = [
      { model: 'Vulture', name: '', pledgeId: '' },
      { model: 'Carrack', name: 'Home', pledgeId: '55' },
    ]
    const plan = planImport(
      file(
        ship('Vulture', '', '9'),
        ship('Carrack', 'Home', '56'),
        ship('Carrack', 'Home', '55'),
        ship('Carrack', 'Home'),
      ),
      held,
    )
    // Carrack pledge 56: both have pledge ids and they differ, so it is another ship.
    expect(plan.add.map((s) => [s.model, s.pledgeId])).toEqual([['Carrack', '56']])
    expect(plan.skipped.map((s) => [s.model, s.detail])).toEqual([
      ['Vulture', 'in your hangar already (same model and name)'],
      ['Carrack', 'in your hangar already (pledge 55)'],
      ['Carrack', 'in your hangar already (same model and name)'],
    ])
  })

  it('skipped entries are listed in file order, with entries that are not ships', () => {
    const parsed: ParsedImport = {
      format: 'fleetyards',
      ships: [ship('Vulture'), ship('Vulture')],
      notShips: [{ row: 1, model: 'Idris-P', reason: 'on the wish list, not in the hangar' }],
    }
    expect(planImport(parsed, []).skipped.map((s) => [s.row, s.reason])).toEqual([
      [1, 'not-a-ship'],
      [row, 'duplicate-in-file'],
    ])
  })
})
