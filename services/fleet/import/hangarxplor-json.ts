/**
 * HangarXPLOR's JSON export (the browser extension's "Download JSON"): a list with one
 * object per ship (a package with three ships gives three, sharing its pledge), and one
 * per upgrade. Fields read (older exports' names after the slash):
 * `name` model · `manufacturer_name` / `manufacturer` / `manufacturer_code` manufacturer ·
 * `ship_name` its own name when it differs from the model · `lti` insurance ·
 * `pledge_id` / `package_id` / `id` pledge id · `pledge_date` / `date` pledge date ·
 * `pledge_cost` / `cost` cost · `type` (anything but `Ship` is skipped).
 */
import { ImportFileError } from '../errors.ts'
import { HANGAR_LIMITS as L } from '../hangar-limits.ts'
import {
  type At,
  costOf,
  dateOf,
  fail,
  flagOf,
  IMPORT_LIMITS,
  type ImportedShip,
  type NotAShip,
  type ParsedImport,
  requiredText,
  textOf,
} from './imported-ship.ts'
import { manufacturerName } from './manufacturers.ts'

const FORMAT = 'hangarxplor-json'

/** Reads a parsed HangarXPLOR JSON export. */
export function readHangarXplorJson(json: unknown): ParsedImport {
  const at = (row: number, column: string): At => ({ format: FORMAT, row, column })
  if (!Array.isArray(json))
    throw new ImportFileError(
      'wrong shape: a HangarXPLOR export is a list of ships ([{ "name": …, "pledge_id": … }, …])',
      { format: FORMAT },
    )
  if (json.length > IMPORT_LIMITS.entries)
    throw fail(
      { format: FORMAT, row: IMPORT_LIMITS.entries + 1, column: '' },
      `more than ${IMPORT_LIMITS.entries} entries (a hangar holds at most ${L.shipsPerHangar} ships)`,
    )
  const ships: ImportedShip[] = []
  const notShips: NotAShip[] = []
  json.forEach((item: unknown, i) => {
    const row = i + 1
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw fail(at(row, ''), 'wrong shape: each entry must be an object')
    const e = item as Record<string, unknown>
    const model = requiredText(e.name, L.model, at(row, 'name'))
    const type = textOf(e.type, 40, at(row, 'type'))
    if (type !== '' && type.toLowerCase() !== 'ship') {
      notShips.push({ row, model, reason: `not a ship (${type})` })
      return
    }
    const maker =
      textOf(e.manufacturer_name, L.manufacturer, at(row, 'manufacturer_name')) ||
      textOf(e.manufacturer, L.manufacturer, at(row, 'manufacturer')) ||
      textOf(e.manufacturer_code, L.manufacturer, at(row, 'manufacturer_code'))
    const own = textOf(e.ship_name, L.name, at(row, 'ship_name'))
    const pledgeKey =
      e.pledge_id !== undefined ? 'pledge_id' : e.package_id !== undefined ? 'package_id' : 'id'
    const dateKey = e.pledge_date !== undefined ? 'pledge_date' : 'date'
    const costKey = e.pledge_cost !== undefined ? 'pledge_cost' : 'cost'
    ships.push({
      row,
      model,
      manufacturer: maker === '' ? 'Unknown' : manufacturerName(maker),
      name: own === model ? '' : own,
      role: '',
      insurance: flagOf(e.lti) ? 'lti' : 'standard',
      pledgeDate: dateOf(e[dateKey], at(row, dateKey)),
      cost: costOf(e[costKey], at(row, costKey)),
      pledgeId: textOf(e[pledgeKey], L.pledgeId, at(row, pledgeKey)),
    })
  })
  return { format: FORMAT, ships, notShips }
}
