/**
 * Which of a file's ships an import adds and which it skips: entries that are not ships,
 * and duplicates, of a ship the hangar holds or of one earlier in the file. Two ships are
 * the same when their models match (any case) and, if both have a pledge id, their pledge
 * ids match, else their own names match (any case; no name matches no name).
 */
import type { ImportedShip, ParsedImport } from './imported-ship.ts'

/** A ship as the duplicate check sees it. */
export interface ShipIdentity {
  readonly model: string
  readonly name: string
  /** '' when it has none. */
  readonly pledgeId: string
}

export const SKIP_REASONS = ['duplicate-in-hangar', 'duplicate-in-file', 'not-a-ship'] as const
export type SkipReason = (typeof SKIP_REASONS)[number]

export interface SkippedEntry {
  readonly row: number
  readonly model: string
  readonly name: string
  readonly reason: SkipReason
  readonly detail: string
}

export interface ImportPlan {
  readonly add: readonly ImportedShip[]
  readonly skipped: readonly SkippedEntry[]
}

/** Ships seen so far, looked up by pledge id and model, and by model and name. */
class Identities {
  private readonly byPledge = new Set<string>()
  private readonly byNameNoPledge = new Set<string>()
  private readonly byName = new Set<string>()

  add(s: ShipIdentity): void {
    const name = nameKey(s)
    this.byName.add(name)
    if (s.pledgeId === '') this.byNameNoPledge.add(name)
    else this.byPledge.add(pledgeKey(s))
  }

  /** What `s` duplicates, or null. */
  match(s: ShipIdentity): string | null {
    if (s.pledgeId !== '') {
      if (this.byPledge.has(pledgeKey(s))) return `pledge ${s.pledgeId}`
      return this.byNameNoPledge.has(nameKey(s)) ? 'same model and name' : null
    }
    return this.byName.has(nameKey(s)) ? 'same model and name' : null
  }
}

const fold = (s: string) => s.trim().toLowerCase()
const pledgeKey = (s: ShipIdentity) => `${s.pledgeId}\u0000${fold(s.model)}`
const nameKey = (s: ShipIdentity) => `${fold(s.model)}\u0000${fold(s.name)}`

/** Splits a parsed file into the ships to add and the entries skipped, in file order. */
export function planImport(parsed: ParsedImport, held: Iterable<ShipIdentity>): ImportPlan {
  const hangar = new Identities()
  for (const s of held) hangar.add(s)
  const file = new Identities()
  const add: ImportedShip[] = []
  const skipped: SkippedEntry[] = parsed.notShips.map((n) => ({
    row: n.row,
    model: n.model,
    name: '',
    reason: 'not-a-ship' as const,
    detail: n.reason,
  }))
  for (const s of parsed.ships) {
    const inHangar = hangar.match(s)
    const inFile = inHangar === null ? file.match(s) : null
    if (inHangar !== null || inFile !== null) {
      skipped.push({
        row: s.row,
        model: s.model,
        name: s.name,
        reason: inHangar !== null ? 'duplicate-in-hangar' : 'duplicate-in-file',
        detail:
          inHangar !== null ? `in your hangar already (${inHangar})` : `repeats an earlier row (${inFile})`,
      })
      continue
    }
    file.add(s)
    add.push(s)
  }
  skipped.sort((a, b) => a.row - b.row)
  return { add, skipped }
}
