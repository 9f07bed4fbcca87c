/**
 * HangarXPLOR's CSV export ("Download CSV"): a header line
 * `Manufacturer, Ship, Lti, Warbond, ID, Pledge, Cost, Date`, then one line per ship.
 * Columns read (found by their header, any order, any case): `Ship` model (needed) ·
 * `Manufacturer` a code such as DRAK, or a name · `Lti` insurance · `ID` pledge id ·
 * `Cost` cost · `Date` pledge date. The CSV has no custom names. Extra columns are ignored.
 */
import { parse } from 'csv-parse/sync'
import { HANGAR_LIMITS as L } from '../hangar-limits.ts'
import {
  type At,
  costOf,
  dateOf,
  fail,
  flagOf,
  IMPORT_LIMITS,
  type ImportedShip,
  type ParsedImport,
  requiredText,
  textOf,
} from './imported-ship.ts'
import { manufacturerName } from './manufacturers.ts'

const FORMAT = 'hangarxplor-csv'
const NEEDED = ['ship'] as const
const HEADER = 'Manufacturer, Ship, Lti, Warbond, ID, Pledge, Cost, Date'

/** Reads a HangarXPLOR CSV export. */
export function readHangarXplorCsv(text: string): ParsedImport {
  let rows: { record: string[]; info: { lines: number } }[]
  try {
    rows = parse(text, {
      bom: true,
      trim: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof rows
  } catch (err) {
    throw fail({ format: FORMAT, row: lineOf(err), column: '' }, `not CSV: ${(err as Error).message}`)
  }
  const [head, ...body] = rows
  if (head === undefined)
    throw fail({ format: FORMAT, row: 1, column: '' }, `empty: no header line (${HEADER})`)
  const columns = new Map(head.record.map((name, i) => [name.toLowerCase(), i]))
  const missing = NEEDED.filter((c) => !columns.has(c))
  if (missing.length > 0)
    throw fail(
      { format: FORMAT, row: 1, column: '' },
      `missing the column${missing.length > 1 ? 's' : ''} ${missing.map(cap).join(', ')} (a HangarXPLOR CSV export starts with: ${HEADER})`,
    )
  if (body.length > IMPORT_LIMITS.entries)
    throw fail(
      { format: FORMAT, row: body[IMPORT_LIMITS.entries]?.info.lines ?? 0, column: '' },
      `more than ${IMPORT_LIMITS.entries} ships (a hangar holds at most ${L.shipsPerHangar})`,
    )
  const ships: ImportedShip[] = body.map(({ record, info }) => {
    const row = info.lines
    const cell = (name: string) => {
      const i = columns.get(name)
      return i === undefined ? undefined : record[i]
    }
    const at = (column: string): At => ({ format: FORMAT, row, column: cap(column) })
    const maker = textOf(cell('manufacturer'), L.manufacturer, at('manufacturer'))
    return {
      row,
      model: requiredText(cell('ship'), L.model, at('ship')),
      manufacturer: maker === '' ? 'Unknown' : manufacturerName(maker),
      name: '',
      role: '',
      insurance: flagOf(cell('lti')) ? 'lti' : 'standard',
      pledgeDate: dateOf(cell('date'), at('date')),
      cost: costOf(cell('cost'), at('cost')),
      pledgeId: textOf(cell('id'), L.pledgeId, at('id')),
    }
  })
  return { format: FORMAT, ships, notShips: [] }
}

const cap = (s: string) => (s === 'id' ? 'ID' : `${s[0]?.toUpperCase()}${s.slice(1)}`)

function lineOf(err: unknown): number {
  const lines = (err as { lines?: unknown }).lines
  return typeof lines === 'number' ? lines : 0
}
