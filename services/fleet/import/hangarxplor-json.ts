/**
 * HangarXPLOR's JSON export (the browser extension's "Download JSON"): a list with one
 * object per ship (a package with three ships gives three, sharing its pledge), and one
 * per upgrade. Fields read (older exports' names after the slash):
 * `name` model · `manufacturer_name` / `manufacturer` / `manufacturer_code` manufacturer ·
 * `ship_name` its own name when it differs from the model · `lti` insurance ·
 * `pledge_id` / `package_id` / `id` pledge id · `pledge_date` / `date` pledge date ·
 * `pledge_cost` / `cost` cost · `type` (anything but `Ship` is skipped).
 */
import { HANGAR_LIMITS as L } from '../hangar-limits.ts'
import {
  costOf,
  dateOf,
  flagOf,
  type ParsedImport,
  readJsonList,
  requiredText,
  textOf,
} from './imported-ship.ts'
import { manufacturerName } from './manufacturers.ts'

/** Reads a parsed HangarXPLOR JSON export. */
export function readHangarXplorJson(json: unknown): ParsedImport {
  return readJsonList(
    json,
    'hangarxplor-json',
    'a HangarXPLOR export is a list of ships ([{ "name": …, "pledge_id": … }, …])',
    (e, row, at) => {
      const model = requiredText(e.name, L.model, at('name'))
      const type = textOf(e.type, 40, at('type'))
      if (type !== '' && type.toLowerCase() !== 'ship') return { row, model, reason: `not a ship (${type})` }
      const maker =
        textOf(e.manufacturer_name, L.manufacturer, at('manufacturer_name')) ||
        textOf(e.manufacturer, L.manufacturer, at('manufacturer')) ||
        textOf(e.manufacturer_code, L.manufacturer, at('manufacturer_code'))
      const own = textOf(e.ship_name, L.name, at('ship_name'))
      const pledgeKey =
        e.pledge_id !== undefined ? 'pledge_id' : e.package_id !== undefined ? 'package_id' : 'id'
      const dateKey = e.pledge_date !== undefined ? 'pledge_date' : 'date'
      const costKey = e.pledge_cost !== undefined ? 'pledge_cost' : 'cost'
      return {
        row,
        model,
        manufacturer: maker === '' ? 'Unknown' : manufacturerName(maker),
        name: own === model ? '' : own,
        role: '',
        insurance: flagOf(e.lti) ? 'lti' : 'standard',
        pledgeDate: dateOf(e[dateKey], at(dateKey)),
        cost: costOf(e[costKey], at(costKey)),
        pledgeId: textOf(e[pledgeKey], L.pledgeId, at(pledgeKey)),
      }
    },
  )
}
