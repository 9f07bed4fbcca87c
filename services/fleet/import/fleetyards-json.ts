/**
 * FleetYards' hangar export (Hangar → Export, JSON): a list with one object per ship.
 * Fields read: `name` model (the RSI name of the model or its paint) · `custom_name` its
 * own name · `manufacturer` / `manufacturer_name` / `manufacturerName` (FleetYards'
 * export has none: then `Unknown`) · `wanted` (a wish-list entry: skipped). FleetYards
 * exports no pledge id, date, cost or insurance: a ship gets none (insurance `none`).
 */
import { HANGAR_LIMITS as L } from '../hangar-limits.ts'
import { flagOf, type ParsedImport, readJsonList, requiredText, textOf } from './imported-ship.ts'
import { manufacturerName } from './manufacturers.ts'

/** Reads a parsed FleetYards hangar export. */
export function readFleetYardsJson(json: unknown): ParsedImport {
  return readJsonList(
    json,
    'fleetyards',
    'a FleetYards hangar export is a list of ships ([{ "name": …, "slug": … }, …])',
    (e, row, at) => {
      const model = requiredText(e.name, L.model, at('name'))
      if (flagOf(e.wanted)) return { row, model, reason: 'on the wish list, not in the hangar' }
      // The API's vehicle objects nest it (`{ "name": … }`); an export would give its name.
      const m = e.manufacturer
      const nested = typeof m === 'object' && m !== null && !Array.isArray(m)
      const maker =
        textOf(nested ? (m as Record<string, unknown>).name : m, L.manufacturer, at('manufacturer')) ||
        textOf(e.manufacturer_name, L.manufacturer, at('manufacturer_name')) ||
        textOf(e.manufacturerName, L.manufacturer, at('manufacturerName'))
      return {
        row,
        model,
        manufacturer: maker === '' ? 'Unknown' : manufacturerName(maker),
        name: textOf(e.custom_name, L.name, at('custom_name')),
        role: '',
        insurance: 'none',
        pledgeDate: null,
        cost: 0,
        pledgeId: '',
      }
    },
  )
}
