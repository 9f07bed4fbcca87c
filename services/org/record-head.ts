import { memberField } from './roster-access.ts'
import type { RosterDoc } from './roster-schema.ts'

/**
 * Records `member`'s chain head in a change (rule 5). Automerge drops a set of an equal
 * value, so an unchanged head is deleted and set again: the change always carries it.
 */
export function recordHead(d: RosterDoc, member: string, seq: number): void {
  const heads = memberField<number>(d, 'mHead', member)
  if (heads[member] === seq) delete heads[member]
  heads[member] = seq
}
