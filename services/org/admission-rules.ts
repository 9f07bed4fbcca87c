/**
 * Admission: the only way a key that is not a member gets a member record. A member's
 * node judges the newcomer's signed join request against its own current roster and
 * clock and writes one roster change (action `member.admit`) that adds the newcomer at
 * the invite's rank and marks the invite used; the entry's details carry the request
 * (which carries the invite). Every node checks that change with `judgeAdmission`, on
 * the state at the change's dependencies and the admitting member's signed time: the
 * newcomer controls neither.
 *
 * The invite's own signature carries the inviter's authority: the admitting member needs
 * no `members:manage`. What admission cannot see (a concurrent revocation, a concurrent
 * admission with the same invite) is settled by the state itself: a member added by
 * invite counts only while that invite names them as its user and is not revoked
 * (`AuthState.isMember`).
 */
import type { Entry, MemberKey } from '../../crdt/index.ts'
import type { AuthState, Scalar, StateOp } from './auth-state.ts'
import type { Invite } from './invite.ts'
import { type JoinRequest, readJoinRequestText } from './join-request.ts'
import { bucketOf } from './roster-schema.ts'
import { VALID } from './validation.ts'

export const ADMIT_ACTION = 'member.admit'
/**
 * How far an admitting member's clock may be behind the inviter's at issue time (an
 * invite admitted by another member right after it was made). The expiry has no slack.
 */
export const ISSUE_SKEW_MS = 10 * 60_000

/** Why an invite cannot admit anyone now: a code the newcomer's node can act on, and words. */
export type InviteRefusalCode = 'used' | 'revoked' | 'expired' | 'not-yet-valid' | 'invalid'
export interface InviteProblem {
  readonly code: InviteRefusalCode
  readonly reason: string
}

/** Whether `invite` may admit someone on `state` at time `now` (the admitting member's clock). */
export function inviteProblem(state: AuthState, invite: Invite, now: number): InviteProblem | null {
  const invalid = (reason: string): InviteProblem => ({ code: 'invalid', reason })
  if (invite.orgId !== state.orgId) return invalid('the invite is for another org')
  if (state.deleted) return invalid('the org was deleted')
  if (!state.can(invite.inviter, 'members:invite'))
    return invalid('the inviter may not invite (members:invite) at that time')
  const rank = state.rank(invite.rank)
  if (rank === undefined) return invalid(`the invite grants an unknown rank ${invite.rank}`)
  if (rank.level >= state.levelOf(invite.inviter))
    return invalid("the invite grants a rank at or above the inviter's level")
  if (state.isInviteRevoked(invite.id)) return { code: 'revoked', reason: 'this invite was revoked' }
  if (state.inviteUsedBy(invite.id) !== undefined)
    return { code: 'used', reason: 'this invite was already used' }
  if (now > invite.expiresAt)
    return { code: 'expired', reason: `this invite expired on ${new Date(invite.expiresAt).toISOString()}` }
  if (now < invite.issuedAt - ISSUE_SKEW_MS)
    return { code: 'not-yet-valid', reason: 'this invite is not valid yet (check the clocks)' }
  return null
}

export type AdmissionJudgement =
  | { readonly ok: true; readonly newcomer: MemberKey }
  | { readonly ok: false; readonly reason: string }

/**
 * Judges an admission change by `author`: a member at the change's dependencies, admitting
 * the key that signed the request, with exactly the newcomer's member fields and the
 * invite marked used, under an invite good at the entry's time.
 */
export function judgeAdmission(
  input: { author: MemberKey; entry: Entry; state: AuthState },
  ops: readonly StateOp[],
): AdmissionJudgement {
  const { author, entry, state } = input
  const refuse = (reason: string): AdmissionJudgement => ({
    ok: false,
    reason: `invalid admission: ${reason}`,
  })
  if (!state.isMember(author)) return refuse('the admitting author is not a member')
  const read = readJoinRequestText((entry.details as { request?: unknown } | null)?.request)
  if (!read.ok) return refuse(read.reason)
  const { request, invite } = read
  const newcomer = request.member
  if (entry.resource !== `member:${state.orgId}/${newcomer}`)
    return refuse('the entry names another member than the request')
  // A record that does not count (its invite went to someone else, or was revoked) may be
  // replaced by a new admission; a member or a removed member may not be admitted.
  if (state.isMember(newcomer)) return refuse('the newcomer is already a member')
  if (state.isKicked(newcomer)) return refuse('the newcomer was removed from the org')
  const problem = inviteProblem(state, invite, entry.time)
  if (problem !== null) return refuse(problem.reason)
  const problemOps = admissionOpsProblem(request, invite, ops, state.rankOf(newcomer))
  if (problemOps !== null) return refuse(problemOps)
  return { ok: true, newcomer }
}

/**
 * The ops must be exactly: rank, handle, join time and invite of the newcomer, and the
 * invite used by them. Over a record that did not count (`oldRank`: its rank), Automerge
 * writes no op for a value that stays the same: then the rank must already be the
 * invite's, and a handle or join time left as they were is harmless.
 */
function admissionOpsProblem(
  request: JoinRequest,
  invite: Invite,
  ops: readonly StateOp[],
  oldRank: string | undefined,
): string | null {
  const newcomer = request.member
  const handleOk = (v: Scalar) =>
    v === request.handle &&
    VALID.rosterValue({ kind: 'member', field: 'mHandle', bucket: bucketOf(newcomer) }, newcomer, v) === null
  const wanted = new Map<string, (v: Scalar) => boolean>([
    ['mRank', (v) => v === invite.rank],
    ['mHandle', handleOk],
    ['mJoined', (v) => Number.isSafeInteger(v)],
    ['mInvite', (v) => v === invite.id],
    ['invitesUsed', (v) => v === newcomer],
  ])
  const seen = new Set<string>()
  for (const op of ops) {
    const c = op.container
    const field = c.kind === 'member' || c.kind === 'invite' ? c.field : c.kind
    const rule = wanted.get(field)
    const expectedKey = field === 'invitesUsed' ? invite.id : newcomer
    if (rule === undefined || op.key !== expectedKey || op.action !== 'set' || seen.has(field))
      return 'an admission may only add the newcomer under the invite'
    if (!rule(op.value)) return `an admission wrote an unexpected ${field}`
    seen.add(field)
  }
  const required = ['mInvite', 'invitesUsed']
  if (oldRank !== invite.rank) required.push('mRank')
  if (oldRank === undefined) required.push('mHandle', 'mJoined')
  if (required.some((f) => !seen.has(f)))
    return 'an admission must record rank, handle, join time and the invite'
  return null
}
