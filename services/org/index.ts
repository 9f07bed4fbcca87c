/**
 * services/org: the roster document (org, ranks, members, invites), permissions, the
 * authorization state, `OrgService` and `InviteService`, and the `FeatureGate` port
 * (with `FeatureLockedError`) that services/licensing implements.
 */
export { authForEntry, structuralProblem } from './auth-for-entry.ts'
export { AuthIndex } from './auth-index.ts'
export { settingsShelf } from './auth-snapshot.ts'
export {
  AuthState,
  compareOpIds,
  type OverlayOp,
  type Scalar,
  type StateOp,
  takesRightsAway,
} from './auth-state.ts'
export type { Access } from './caller.ts'
export {
  FeatureLockedError,
  InvalidInputError,
  InviteNotFoundError,
  InviteRefusedError,
  NotAMemberError,
  OrgNotFoundError,
  PermissionDeniedError,
  RankExistsError,
  RankInUseError,
  RankNotFoundError,
} from './errors.ts'
export { type FeatureGate, type GatedFeature, OPEN_GATE } from './feature-gate.ts'
export { parseInput } from './input.ts'
export type { Invite } from './invite.ts'
export {
  InviteService,
  type InviteView,
  type JoinStaging,
  type JoinTransport,
} from './invite-service.ts'
export type { MaskedEntry, Membership } from './membership.ts'
export { isOrgId, ORG_ID } from './org-id.ts'
export {
  type FlaggedChange,
  type MemberListItem,
  type MemberView,
  OrgService,
  type RankInput,
  type RankPatch,
  type RankView,
  rosterId,
} from './org-service.ts'
export { type OrgSummary, RosterAccess, summarizeRoster } from './roster-access.ts'
export { judgeRosterCreate } from './roster-create.ts'
export { judgeRosterChange } from './roster-rules.ts'
export { type Container, type RosterDoc, str, text } from './roster-schema.ts'
export { rosterType } from './roster-type.ts'
export { NO_SHIP_COUNTS, type ShipCounts } from './ship-counts.ts'
