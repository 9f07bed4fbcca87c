/**
 * What the services read about removals (rule 5), implemented by the membership resolver
 * (services/membership/): the org's authorization state and documents without the changes
 * of members past their recorded heads, and the list of those entries.
 */
import type * as A from '@automerge/automerge'
import type { ChangeHash, DocId, MemberKey } from '../../crdt/index.ts'
import type { AuthState } from './auth-state.ts'
import type { RosterDoc } from './roster-schema.ts'

/** An entry that has no effect: its author had lost the rights it used. */
export interface MaskedEntry {
  readonly docId: DocId
  readonly author: MemberKey
  readonly seq: number
  readonly action: string
  readonly resource: string
  /** Milliseconds since the epoch (the author's clock). */
  readonly time: number
  readonly changes: readonly ChangeHash[]
  /** The roster change that recorded the author's head (the kick, leave or rank change). */
  readonly removal: ChangeHash
  readonly why: 'removed' | 'left' | 'demoted'
}

export interface Membership {
  /**
   * The state at roster `heads` without masked changes, or null when nothing there is
   * masked (Automerge's state at those heads is then the state).
   */
  stateAt(orgId: string, roster: A.Doc<RosterDoc>, heads: readonly ChangeHash[]): Promise<AuthState | null>
  /** The org's current state without masked changes, or null when the roster is not held. */
  current(orgId: string): Promise<AuthState | null>
  /** A document as views read it: null when nothing in it is masked, else its tree without them. */
  view(orgId: string, docId: DocId, doc: A.Doc<unknown>): Promise<Record<string, unknown> | null>
  /** The org's documents that hold masked changes (only these need `view`). */
  maskedDocs(orgId: string): Promise<ReadonlySet<DocId>>
  /** Every masked entry of the org, in every document. */
  flagged(orgId: string): Promise<readonly MaskedEntry[]>
}
