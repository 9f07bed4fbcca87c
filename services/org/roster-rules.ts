/**
 * Whether a roster change is allowed to its author, judged on the authorization state
 * at the change's own dependencies, op by op (object + key), never on the visible patch.
 * The same rules judge local and remote changes, so every node reaches the same verdict.
 */
import type * as A from '@automerge/automerge'
import type { Entry, MemberKey, RefusalKind } from '../../crdt/index.ts'
import { isMemberKey } from '../../crdt/index.ts'
import { valueKind } from '../change-limits.ts'
import { AuthState, compareOpIds, type Scalar, type StateOp } from './auth-state.ts'
import { readInvite } from './invite.ts'
import { decodeGrants, within } from './permissions.ts'
import { bucketOf, type Container } from './roster-schema.ts'
import { ROSTER_LIMITS, rosterTextMax, VALID } from './validation.ts'

export type Judgement =
  | { readonly ok: true; readonly after: AuthState }
  | { readonly ok: false; readonly reason: string; readonly kind?: RefusalKind }

export interface RosterChangeInput {
  readonly author: MemberKey
  readonly entry: Entry
  readonly change: A.DecodedChange
  /** The state at the change's dependencies. */
  readonly state: AuthState
  readonly containers: ReadonlyMap<string, Container>
}

const refuse = (reason: string): Judgement => ({ ok: false, reason })

/** Turns a change's ops into state ops, refusing anything but scalar set/del on known containers. */
export function stateOps(
  change: A.DecodedChange,
  containers: ReadonlyMap<string, Container>,
  state: AuthState,
): { ok: true; ops: StateOp[] } | { ok: false; reason: string } {
  const ops: StateOp[] = []
  for (const [i, raw] of change.ops.entries()) {
    const op = raw as {
      action: string
      obj: string
      key?: unknown
      value?: unknown
      datatype?: string
      pred?: string[]
    }
    const container = containers.get(op.obj)
    if (container === undefined)
      return { ok: false, reason: `op on an object outside the roster layout (${op.obj})` }
    if (op.action !== 'set' && op.action !== 'del')
      return { ok: false, reason: `op ${op.action} is not allowed in the roster` }
    if (typeof op.key !== 'string') return { ok: false, reason: 'roster ops must address map keys' }
    if (op.action === 'set' && !isScalar(op.value, op.datatype))
      return { ok: false, reason: `value of ${op.key} is not a plain scalar` }
    const pred = [...(op.pred ?? [])].sort(compareOpIds)
    if (AuthState.tracks(container)) {
      const visible = state.visible(container, op.key)
      if (pred.length !== visible.length || pred.some((p, j) => p !== visible[j])) {
        return {
          ok: false,
          reason: `op on ${op.key} does not overwrite exactly what was visible at its dependencies`,
        }
      }
    }
    ops.push({
      id: `${change.startOp + i}@${change.actor}`,
      container,
      key: op.key,
      action: op.action,
      value: op.action === 'set' ? (op.value as Scalar) : null,
      pred,
    })
  }
  return { ok: true, ops }
}

function isScalar(value: unknown, datatype: string | undefined): boolean {
  if (datatype === 'counter' || datatype === 'timestamp' || datatype === 'bytes') return false
  return value === null || ['string', 'number', 'boolean'].includes(typeof value)
}

/** Judges a roster change after the org's first one. */
export function judgeRosterChange(input: RosterChangeInput): Judgement {
  const { author, state } = input
  const mapped = stateOps(input.change, input.containers, state)
  if (!mapped.ok) return refuse(mapped.reason)
  const ops = mapped.ops
  const oversize = oversizeValue(ops)
  if (oversize !== null) return { ok: false, reason: oversize, kind: 'oversize' }
  if (state.isKicked(author)) return refuse('the author was removed from the org')
  if (state.rankOf(author) === undefined) return withinBounds(state, judgeJoin(input, ops))
  if (!state.isMember(author)) return refuse('the author is not a member')
  for (const op of ops) {
    const reason = memberOpProblem(input, op, ops)
    if (reason !== null) return refuse(reason)
  }
  return withinBounds(state, { ok: true, after: state.apply(ops) })
}

/** `oversize` when an allowed change grows the roster past ROSTER_LIMITS (counted at its deps and after it). */
function withinBounds(before: AuthState, judged: Judgement): Judgement {
  if (!judged.ok) return judged
  const was = before.counts()
  const now = judged.after.counts()
  if (now.ranks > ROSTER_LIMITS.ranks && now.ranks > was.ranks)
    return { ok: false, reason: `an org has at most ${ROSTER_LIMITS.ranks} ranks`, kind: 'oversize' }
  if (now.members > ROSTER_LIMITS.members && now.members > was.members)
    return { ok: false, reason: `an org has at most ${ROSTER_LIMITS.members} members`, kind: 'oversize' }
  return judged
}

/** Why a value of the change is text past its field's bound, or null (checked before anything else). */
function oversizeValue(ops: readonly StateOp[]): string | null {
  for (const op of ops) {
    if (op.action !== 'set' || valueKind(rosterTextMax(op.container, op.key), op.value) !== 'oversize')
      continue
    return VALID.rosterValue(op.container, op.key, op.value) ?? `${op.key.slice(0, 40)} is too long`
  }
  return null
}

/** The rank a change leaves `rankId` at: its own write if it has one, else the state's. */
function levelAfter(state: AuthState, ops: readonly StateOp[], rankId: string): number | undefined {
  const own = ops.find(
    (o) => o.container.kind === 'rank' && o.container.field === 'rankLevel' && o.key === rankId,
  )
  if (own !== undefined) return own.action === 'set' && typeof own.value === 'number' ? own.value : undefined
  return state.rank(rankId)?.level
}

function memberOpProblem(input: RosterChangeInput, op: StateOp, ops: readonly StateOp[]): string | null {
  const { author, state } = input
  const myLevel = state.levelOf(author)
  const c = op.container
  const valueProblem = op.action === 'set' ? VALID.rosterValue(c, op.key, op.value) : null
  if (valueProblem !== null) return valueProblem

  if (c.kind === 'org') {
    if (['name', 'tag', 'description'].includes(op.key)) {
      return state.can(author, 'org:manage') ? null : 'changing the org needs org:manage'
    }
    if (op.key === 'deletedAt')
      return state.can(author, 'org:delete') ? null : 'deleting the org needs org:delete'
    return `org.${op.key} cannot change after creation`
  }

  if (c.kind === 'rank') {
    if (!state.can(author, 'ranks:manage')) return 'changing ranks needs ranks:manage'
    const before = state.rank(op.key)
    if (before !== undefined && before.level >= myLevel) return `rank ${op.key} is at or above your own level`
    const after = levelAfter(state, ops, op.key)
    if (after === undefined && op.action === 'set') return `rank ${op.key} needs a level`
    if (after !== undefined && after >= myLevel)
      return `a rank at level ${after} is at or above your own level (${myLevel})`
    if (
      c.field === 'rankPerms' &&
      op.action === 'set' &&
      !within(decodeGrants(op.value), state.grantsOf(author))
    ) {
      return 'a rank cannot be given permissions you do not have'
    }
    return null
  }

  if (c.kind === 'invite') {
    if (c.field === 'invitesRevoked') {
      return state.can(author, 'members:invite') ? null : 'revoking invites needs members:invite'
    }
    return 'invites are marked used only by the joining member'
  }

  // Member fields: the key is the member concerned.
  const target = op.key
  if (!isMemberKey(target) || bucketOf(target) !== c.bucket)
    return `${target.slice(0, 16)} is not a member key in its bucket`
  const targetLevel = state.levelOf(target)
  const self = target === author
  switch (c.field) {
    case 'mRank': {
      if (self) return 'you cannot change your own rank'
      if (op.action === 'del') {
        if (!state.can(author, 'members:manage')) return 'removing a member needs members:manage'
        return targetLevel >= myLevel ? 'that member is at or above your own level' : null
      }
      const rankLevel = levelAfter(state, ops, String(op.value))
      if (rankLevel === undefined) return `unknown rank ${String(op.value)}`
      if (rankLevel >= myLevel) return `rank ${String(op.value)} is at or above your own level`
      if (state.rankOf(target) === undefined) {
        return state.can(author, 'members:manage') ? null : 'adding a member needs members:manage'
      }
      if (!state.can(author, 'ranks:assign')) return 'assigning ranks needs ranks:assign'
      return targetLevel >= myLevel ? 'that member is at or above your own level' : null
    }
    case 'mHandle':
      if (self) return null
      if (!state.can(author, 'members:manage')) return "changing another member's handle needs members:manage"
      return targetLevel >= myLevel ? 'that member is at or above your own level' : null
    case 'mJoined':
    case 'mInvite':
    case 'mNotes':
      if (!state.can(author, 'members:manage')) return `${c.field} needs members:manage`
      return !self && targetLevel >= myLevel ? 'that member is at or above your own level' : null
    case 'kicked': {
      if (self) return 'you cannot remove yourself this way'
      if (op.action === 'set') {
        if (!state.can(author, 'members:kick')) return 'removing a member needs members:kick'
        return targetLevel >= myLevel ? 'that member is at or above your own level' : null
      }
      if (!state.can(author, 'members:manage')) return 're-admitting a member needs members:manage'
      const rank = state.rankOf(target)
      return rank !== undefined && (state.rank(rank)?.level ?? 0) >= myLevel
        ? 'that member is at or above your own level'
        : null
    }
  }
}

/** A newcomer's join: exactly their own member fields and the invite marked used, under a valid invite. */
function judgeJoin(input: RosterChangeInput, ops: readonly StateOp[]): Judgement {
  const { author, state, entry } = input
  const details = entry.details as { invite?: unknown } | null
  const read = readInvite(details?.invite)
  if (!read.ok) return refuse(`not a member, and no valid invite: ${read.reason}`)
  const invite = read.invite
  if (invite.orgId !== state.orgId) return refuse('the invite is for another org')
  if (!state.can(invite.inviter, 'members:invite'))
    return refuse('the inviter may not invite (members:invite) at that time')
  const rank = state.rank(invite.rank)
  if (rank === undefined) return refuse(`the invite grants an unknown rank ${invite.rank}`)
  if (rank.level >= state.levelOf(invite.inviter))
    return refuse("the invite grants a rank at or above the inviter's level")
  if (entry.time < invite.issuedAt || entry.time > invite.expiresAt)
    return refuse('the invite had expired (or was not yet issued)')
  if (state.isInviteRevoked(invite.id)) return refuse('the invite was revoked')
  if (state.inviteUsedBy(invite.id) !== undefined) return refuse('the invite was already used')
  const wanted = new Map<string, Scalar | ((v: Scalar) => boolean)>([
    ['mRank', invite.rank],
    [
      'mHandle',
      (v) =>
        VALID.rosterValue({ kind: 'member', field: 'mHandle', bucket: bucketOf(author) }, author, v) === null,
    ],
    ['mJoined', (v) => Number.isSafeInteger(v)],
    ['mInvite', invite.id],
    ['invitesUsed', author],
  ])
  const seen = new Set<string>()
  for (const op of ops) {
    const c = op.container
    const field = c.kind === 'member' || c.kind === 'invite' ? c.field : c.kind
    const expectedKey = field === 'invitesUsed' ? invite.id : author
    const rule = wanted.get(field)
    if (rule === undefined || op.key !== expectedKey || op.action !== 'set' || seen.has(field)) {
      return refuse('a join may only add the newcomer under the invite')
    }
    if (typeof rule === 'function' ? !rule(op.value) : rule !== op.value)
      return refuse(`a join wrote an unexpected ${field}`)
    seen.add(field)
  }
  if (seen.size !== wanted.size) return refuse('a join must record rank, handle, join time and the invite')
  return { ok: true, after: state.apply(ops) }
}
