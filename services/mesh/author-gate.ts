/**
 * Who may have entries in an org's sync or gossip at all, decided before any of their
 * entries is verified or any change they cover is read (crdt's `AuthorGate`): an author
 * the org's roster knows (a member, or a former one: what a removed member did is the
 * roster rules' business, judged and masked there), or a newcomer with a
 * join with an invite to this org from an inviter the roster knows. Anyone else's bytes
 * are dropped unread.
 */
import type { AuthorGate, Entry, MemberKey } from '../../crdt/index.ts'
import type { AuthState } from '../org/auth-state.ts'
import { readInvite } from '../org/invite.ts'
import { rosterId } from '../org/roster-access.ts'

/** Where an author stands in an org, for the mesh: serve and pull members only; tell the removed. */
export type Standing = 'member' | 'removed' | 'stranger'

export function standingIn(state: AuthState, member: string): Standing {
  if (state.isMember(member)) return 'member'
  return state.rankOf(member) !== undefined ? 'removed' : 'stranger'
}

/**
 * The gate for receiving `org`'s entries. `state` reads the org's current authorization
 * state, or null when this node does not hold the org yet (a newcomer fetching it with an
 * invite: then every author is let through to the usual checks). `only`: let through
 * this author alone (a pull from a peer that is not a member: its own chain, nothing else).
 */
export function authorGate(org: string, state: () => Promise<AuthState | null>, only?: string): AuthorGate {
  return async (author: MemberKey, entries: readonly Entry[]) => {
    if (only !== undefined && author !== only) return false
    const s = await state()
    if (s === null) return true
    if (s.rankOf(author) !== undefined) return true
    return entries.some((e) => isJoin(org, s, e))
  }
}

/** A newcomer's join of this org's roster, with an invite from someone the roster knows. */
function isJoin(org: string, state: AuthState, entry: Entry): boolean {
  if (entry.action !== 'member.join' || entry.doc !== rosterId(org)) return false
  const read = readInvite((entry.details as { invite?: unknown } | null)?.invite)
  return read.ok && read.invite.orgId === org && state.rankOf(read.invite.inviter) !== undefined
}
