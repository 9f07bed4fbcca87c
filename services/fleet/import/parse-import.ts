/**
 * An import file's text → ships, in the format given or the one its content shows:
 * JSON whose entries have `slug` or `custom_name` is FleetYards', other JSON lists are
 * HangarXPLOR's; text whose first line names the `Ship` column is HangarXPLOR's CSV.
 * The text is bounded first (IMPORT_LIMITS.fileBytes), before anything is parsed.
 */
import { ImportFileError, ImportTooLargeError } from '../errors.ts'
import type { ImportFormat } from '../hangar-schema.ts'
import { readFleetYardsJson } from './fleetyards-json.ts'
import { readHangarXplorCsv } from './hangarxplor-csv.ts'
import { readHangarXplorJson } from './hangarxplor-json.ts'
import { IMPORT_LIMITS, type ParsedImport } from './imported-ship.ts'

const FLEETYARDS_KEYS = ['slug', 'custom_name']

/** Parses an import file's text; throws `ImportFileError` or `ImportTooLargeError`. */
export function parseImport(text: string, format?: ImportFormat): ParsedImport {
  // A UTF-8 string takes at least one byte per UTF-16 unit: a cheap bound first.
  if (text.length > IMPORT_LIMITS.fileBytes)
    throw new ImportTooLargeError(text.length, IMPORT_LIMITS.fileBytes)
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > IMPORT_LIMITS.fileBytes) throw new ImportTooLargeError(bytes, IMPORT_LIMITS.fileBytes)
  const body = text.replace(/^\uFEFF/, '')
  if (format === 'hangarxplor-csv') return readHangarXplorCsv(body)
  const json = /^\s*[[{]/.test(body)
  if (format === undefined && !json) {
    if (/^[^\n]*\bship\b/i.test(body)) return readHangarXplorCsv(body)
    throw new ImportFileError(
      'not a hangar export this import knows: expected HangarXPLOR JSON or CSV, or a FleetYards JSON export',
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (err) {
    throw new ImportFileError(`not JSON: ${(err as Error).message}`, format === undefined ? {} : { format })
  }
  if (format === 'fleetyards') return readFleetYardsJson(parsed)
  if (format === 'hangarxplor-json') return readHangarXplorJson(parsed)
  return isFleetYards(parsed) ? readFleetYardsJson(parsed) : readHangarXplorJson(parsed)
}

function isFleetYards(json: unknown): boolean {
  if (!Array.isArray(json)) return false
  const first = json.find((e) => typeof e === 'object' && e !== null)
  return first !== undefined && FLEETYARDS_KEYS.some((k) => k in (first as object))
}
