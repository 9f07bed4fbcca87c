/**
 * Who may read and change which hangar, checked before anything is read or signed. The
 * reads follow `sees` (fleet-totals.ts): your own hangar is always yours to read (also
 * after you left the org); anyone else's ships need `fleet:view`, officer-only ships
 * `fleet:manage`, private ships are their owner's alone. The writes mirror the hangar
 * rules (hangar-rules.ts) that every node applies again on receipt: your own hangar, or
 * with `fleet:manage` the hangar of a member below your level.
 */
import type { AuthState } from '../org/index.ts'
import { PermissionDeniedError } from '../org/index.ts'
import { HangarOutOfReachError } from './errors.ts'
import type { Viewer } from './fleet-totals.ts'

/** `me`'s rank (its name) in `state`; null when not a member. */
export function rankName(state: AuthState, me: string): string | null {
  const id = state.isMember(me) ? state.rankOf(me) : undefined
  return id === undefined ? null : (state.rank(id)?.name ?? id)
}

/** `me`'s rights over ships, read once per query. */
export function viewerOf(state: AuthState, me: string): Viewer {
  return { me, view: state.can(me, 'fleet:view'), manage: state.can(me, 'fleet:manage') }
}

/** Throws unless `me` may read beyond their own hangar (`what`: the action, for the message). */
export function requireView(state: AuthState, me: string, what: string): void {
  if (!state.can(me, 'fleet:view')) throw new PermissionDeniedError(what, 'fleet:view', rankName(state, me))
}

/** Throws unless `me` may change `owner`'s hangar, as the hangar rules judge it. */
export function requireChange(state: AuthState, me: string, owner: string): void {
  if (owner === me) return
  if (!state.can(me, 'fleet:manage'))
    throw new PermissionDeniedError("changing another member's hangar", 'fleet:manage', rankName(state, me))
  if (state.isMember(owner) && state.levelOf(owner) >= state.levelOf(me))
    throw new HangarOutOfReachError(rankName(state, me))
}
