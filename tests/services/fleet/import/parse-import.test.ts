/**
 * Issue 15, hangar import: each format read from a sample made from its exporter's code
 * (tests/fixtures/import/), the format found from the content, and bad files refused with
 * an error naming what is wrong.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { planImport } from '../../../../services/fleet/import/import-plan.ts'
import {
  IMPORT_LIMITS,
  ImportFileError,
  ImportTooLargeError,
  parseImport,
} from '../../../../services/fleet/index.ts'

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../../fixtures/import', name), 'utf8')

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn()
  } catch (e) {
    return e as Error
  }
  throw new Error('nothing thrown')
}

describe('HangarXPLOR JSON', () => {
  it('maps model, manufacturer, custom name, LTI, pledge id, date and cost; keeps unknown models; skips upgrades and repeats', () => {
    const parsed = parseImport(fixture('hangarxplor.json'))
    expect(parsed.format).toBe('hangarxplor-json')
    expect(parsed.ships[0]).toEqual({
      row: 1,
      model: 'Cutlass Black',
      manufacturer: 'Drake Interplanetary',
      name: 'Sunday Driver',
      role: '',
      insurance: 'lti',
      pledgeDate: '2019-11-30',
      cost: 110,
      pledgeId: '40010001',
    })
    // The model as its own name is no custom name; no LTI is the store's standard insurance.
    expect(parsed.ships[1]).toMatchObject({
      model: 'Avenger Titan',
      name: '',
      insurance: 'standard',
      cost: 60,
    })
    expect(parsed.ships[3]).toMatchObject({ model: 'Zeus Mk XII Concept', cost: 1250 })
    const plan = planImport(parsed, [])
    expect(plan.add.map((s) => s.model)).toEqual([
      'Cutlass Black',
      'Avenger Titan',
      'Aurora MR',
      'Zeus Mk XII Concept',
    ])
    expect(plan.skipped.map((s) => [s.row, s.reason])).toEqual([
      [5, 'duplicate-in-file'],
      [6, 'not-a-ship'],
    ])
  })

  it('reads the older export (manufacturer, package_id, date as the store shows it)', () => {
    const old = JSON.stringify([
      {
        manufacturer: 'Drake',
        name: 'Caterpillar',
        lti: false,
        warbond: false,
        package_id: '123',
        pledge: 'Caterpillar',
        pledge_date: 'July 9, 2015',
        cost: '$225.00 USD',
      },
    ])
    expect(parseImport(old).ships).toEqual([
      expect.objectContaining({
        manufacturer: 'Drake',
        model: 'Caterpillar',
        pledgeId: '123',
        pledgeDate: '2015-07-09',
        cost: 225,
      }),
    ])
  })
})

describe('HangarXPLOR CSV', () => {
  it('maps the columns, manufacturer codes to names, unknown codes as written; skips the repeated pledge', () => {
    const parsed = parseImport(fixture('hangarxplor.csv'))
    expect(parsed.format).toBe('hangarxplor-csv')
    expect(parsed.ships[0]).toEqual({
      row: 2,
      model: 'Cutlass Black',
      manufacturer: 'Drake Interplanetary',
      name: '',
      role: '',
      insurance: 'lti',
      pledgeDate: '2019-11-30',
      cost: 110,
      pledgeId: '40010001',
    })
    expect(parsed.ships.find((s) => s.model === 'Zeus Mk XII Concept')?.manufacturer).toBe('XYZW')
    const plan = planImport(parsed, [])
    // Two ships of one package share its pledge id: different models, both added.
    expect(plan.add.filter((s) => s.pledgeId === '40010003').map((s) => s.model)).toEqual([
      'Aurora MR',
      'P-52 Merlin',
    ])
    expect(plan.skipped).toEqual([expect.objectContaining({ row: 7, reason: 'duplicate-in-file' })])
  })

  it('finds its columns by header in any order and case', () => {
    const csv = 'date,SHIP,cost,manufacturer\n2020-01-02,Vulture,$175.00 USD,DRAK\n'
    expect(parseImport(csv).ships).toEqual([
      expect.objectContaining({
        model: 'Vulture',
        manufacturer: 'Drake Interplanetary',
        cost: 175,
        pledgeDate: '2020-01-02',
      }),
    ])
  })
})

describe('FleetYards JSON', () => {
  it('maps model and custom name; no manufacturer in the export reads as Unknown; repeats skipped', () => {
    const parsed = parseImport(fixture('fleetyards.json'))
    expect(parsed.format).toBe('fleetyards')
    expect(parsed.ships[0]).toEqual({
      row: 1,
      model: 'Cutlass Black',
      manufacturer: 'Unknown',
      name: 'Sunday Driver',
      role: '',
      insurance: 'none',
      pledgeDate: null,
      cost: 0,
      pledgeId: '',
    })
    expect(parsed.ships[1]?.name).toBe('') // custom_name null
    const plan = planImport(parsed, [])
    expect(plan.add).toHaveLength(4)
    expect(plan.skipped).toEqual([expect.objectContaining({ row: 5, reason: 'duplicate-in-file' })])
  })

  it('takes a manufacturer when an entry has one, and skips wish-list entries', () => {
    const json = JSON.stringify([
      { name: 'Carrack', slug: 'carrack', custom_name: null, manufacturer: { name: 'Anvil Aerospace' } },
      { name: 'Idris-P', slug: 'idris-p', custom_name: null, wanted: true },
    ])
    const parsed = parseImport(json)
    expect(parsed.ships).toEqual([
      expect.objectContaining({ model: 'Carrack', manufacturer: 'Anvil Aerospace' }),
    ])
    expect(parsed.notShips).toEqual([expect.objectContaining({ row: 2, model: 'Idris-P' })])
  })
})

describe('format', () => {
  it('given, it is used: a FleetYards file read as HangarXPLOR is read by HangarXPLOR rules', () => {
    const parsed = parseImport(fixture('fleetyards.json'), 'hangarxplor-json')
    expect(parsed.format).toBe('hangarxplor-json')
    expect(parsed.ships[0]?.name).toBe('') // HangarXPLOR has no custom_name
  })

  it('a byte-order mark and Windows line ends are fine', () => {
    const csv = `\uFEFF${fixture('hangarxplor.csv').replaceAll('\n', '\r\n')}`
    expect(parseImport(csv).ships).toHaveLength(6)
  })
})

describe('bad files get a clear error', () => {
  it.each([
    ['not JSON', '[{"name": "Cutlass"', undefined, /import file: not JSON/],
    [
      'JSON, not a list',
      '{"ships": []}',
      undefined,
      /hangarxplor-json file: wrong shape: a HangarXPLOR export is a list/,
    ],
    ['FleetYards, not a list', '{"name": "x"}', 'fleetyards' as const, /fleetyards file: wrong shape/],
    ['an entry not an object', '[1]', undefined, /row 1: wrong shape: each entry must be an object/],
    ['a ship without a model', '[{"pledge_id": "1"}]', undefined, /row 1, name: is missing/],
    [
      'a model too long',
      JSON.stringify([{ name: 'x'.repeat(81) }]),
      undefined,
      /row 1, name: longer than 80/,
    ],
    [
      'a cost that is not money',
      '[{"name": "Vulture", "pledge_cost": "lots"}]',
      undefined,
      /row 1, pledge_cost: "lots" is not a cost/,
    ],
    [
      'a date that is no date',
      '[{"name": "Vulture", "pledge_date": "2019-02-30"}]',
      undefined,
      /row 1, pledge_date: .* is not a date/,
    ],
    [
      'a CSV without the Ship column',
      'Manufacturer,Model\nDRAK,Vulture\n',
      'hangarxplor-csv' as const,
      /row 1: missing the column Ship/,
    ],
    [
      'a CSV cell too long',
      `Ship,Manufacturer\nVulture,${'D'.repeat(61)}\n`,
      undefined,
      /hangarxplor-csv file, row 2, Manufacturer: longer than 60/,
    ],
    ['text of no known format', 'hello there\nworld', undefined, /not a hangar export this import knows/],
  ])('%s', (_what, text, format, message) => {
    const e = thrown(() => parseImport(text, format))
    expect(e).toBeInstanceOf(ImportFileError)
    expect(e.message).toMatch(message)
    expect(e.message).toMatch(/Nothing was changed\.$/)
  })

  it(`more than ${IMPORT_LIMITS.entries} entries: refused, naming the bound`, () => {
    const many = JSON.stringify(
      Array.from({ length: IMPORT_LIMITS.entries + 1 }, () => ({ name: 'Aurora MR' })),
    )
    expect(thrown(() => parseImport(many)).message).toMatch(/more than 1000 entries/)
    const csv = `Ship\n${'Aurora MR\n'.repeat(IMPORT_LIMITS.entries + 1)}`
    expect(thrown(() => parseImport(csv)).message).toMatch(/more than 1000 ships/)
  })

  it(`text past ${IMPORT_LIMITS.fileBytes} bytes: refused before it is parsed`, () => {
    // Multi-byte characters: within the bound in UTF-16 units, past it in UTF-8 bytes.
    const text = `[{"name": "${'é'.repeat(IMPORT_LIMITS.fileBytes / 2)}"}]`
    const e = thrown(() => parseImport(text))
    expect(e).toBeInstanceOf(ImportTooLargeError)
    expect(e.message).toMatch(/more than the 1048576 bytes an import reads/)
  })
})
