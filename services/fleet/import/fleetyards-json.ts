/**
 * FleetYards' hangar export (Hangar → Export, JSON): a list with one object per ship.
 * Fields read: `name` model (the RSI name of the model or its paint) · `custom_name` its
 * own name · `manufacturer` / `manufacturer_name` / `manufacturerName` (FleetYards'
 * export has none: then `Unknown`) · `wanted` (a wish-list entry: skipped). FleetYards
 * exports no pledge id, date, cost or insurance: a ship gets none (insurance `none`).
 */
import { ImportFileError } from '../errors.ts'
import { HANGAR_LIMITS as L } from '../hangar-limits.ts'
import {
  type At,
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

const FORMAT = 'fleetyards'

/** Reads a parsed FleetYards hangar export. */
export function readFleetYardsJson(json: unknown): ParsedImport {
  const at = (row: number, column: string): At => ({ format: FORMAT, row, column })
  if (!Array.isArray(json))
    throw new ImportFileError(
      'wrong shape: a FleetYards hangar export is a list of ships ([{ "name": …, "slug": … }, …])',
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
    if (flagOf(e.wanted)) {
      notShips.push({ row, model, reason: 'on the wish list, not in the hangar' })
      return
    }
    // The API's vehicle objects nest it (`{ "name": … }`); an export would give its name.
    const m = e.manufacturer
    const nested = typeof m === 'object' && m !== null && !Array.isArray(m)
    const maker =
      textOf(nested ? (m as Record<string, unknown>).name : m, L.manufacturer, at(row, 'manufacturer')) ||
      textOf(e.manufacturer_name, L.manufacturer, at(row, 'manufacturer_name')) ||
      textOf(e.manufacturerName, L.manufacturer, at(row, 'manufacturerName'))
    ships.push({
      row,
      model,
      manufacturer: maker === '' ? 'Unknown' : manufacturerName(maker),
      name: textOf(e.custom_name, L.name, at(row, 'custom_name')),
      role: '',
      insurance: 'none',
      pledgeDate: null,
      cost: 0,
      pledgeId: '',
    })
  })
  return { format: FORMAT, ships, notShips }
}
