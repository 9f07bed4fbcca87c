/**
 * Who may have entries in an org's sync or gossip at all, decided before any of their
 * entries is verified or any change they cover is read (crdt's `AuthorGate`): an author
 * the org's roster knows (a member, or a former one: what a removed member did is the
 * roster rules' business, judged and masked there). A newcomer is in the roster once a
 * member's node admitted it: the admission (the admitter's roster entry) travels first
 * (catch-up sends the roster first). Anyone else's bytes are dropped unread.
 */
import type { AuthorGate, MemberKey } from '../../crdt/index.ts'
import type { AuthState } from '../org/index.ts'

/** Where an author stands in an org, for the mesh: serve and pull members only; tell the removed. */
export type Standing = 'member' | 'removed' | 'stranger'

export function standingIn(state: AuthState, member: string): Standing {
  if (state.isMember(member)) return 'member'
  return state.rankOf(member) !== undefined ? 'removed' : 'stranger'
}

/**
 * The gate for receiving an org's entries. `state` reads the org's current authorization
 * state, or null when this node does not hold the org yet (just admitted, fetching it
 * from the admitting member: then every author is let through to the usual checks).
 */
export function authorGate(state: () => Promise<AuthState | null>): AuthorGate {
  return async (author: MemberKey) => {
    const s = await state()
    return s === null || s.rankOf(author) !== undefined
  }
}
