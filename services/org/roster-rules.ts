/**
 * Whether a roster change is allowed to its author, judged on the authorization state
 * at the change's own dependencies, op by op (object + key), never on the visible patch.
 * The same rules judge local and remote changes, so every node reaches the same verdict.
 */
import type * as A from '@automerge/automerge'
import type { Entry, MemberKey, RefusalKind } from '../../crdt/index.ts'
import { isMemberKey } from '../../crdt/index.ts'
import { valueKind } from '../change-limits.ts'
import { ADMIT_ACTION, judgeAdmission } from './admission-rules.ts'
import { AuthState, compareOpIds, type Scalar, type StateOp, takesRightsAway } from './auth-state.ts'
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
  // Nobody joins by themself: a newcomer is added by a member's admission.
  if (!state.isMember(author)) return { ok: false, reason: 'the author is not a member', kind: 'not-member' }
  if (input.entry.action === ADMIT_ACTION) {
    const admitted = judgeAdmission(input, ops)
    return admitted.ok ? withinBounds(state, { ok: true, after: state.apply(ops) }) : refuse(admitted.reason)
  }
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
    // Taking rights from a rank's holders records each one's chain head (rule 5).
    const writes = ops.filter((o) => o.container.kind === 'rank')
    for (const holder of state.holdersOf(op.key)) {
      if (headOf(ops, holder) === undefined && takesRightsAway(state, holder, writes))
        return `taking rights from rank ${op.key} must record its holders' chain heads (mHead)`
    }
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
      if (!state.can(author, 'members:invite')) return 'revoking invites needs members:invite'
      // Revoking a used invite would void the membership it gave: that is a kick's job.
      return state.inviteUsedBy(op.key) === undefined ? null : 'that invite was already used'
    }
    return 'invites are marked used only by an admission'
  }

  // Member fields: the key is the member concerned.
  const target = op.key
  if (!isMemberKey(target) || bucketOf(target) !== c.bucket)
    return `${target.slice(0, 16)} is not a member key in its bucket`
  if (state.rankOf(target) === undefined) return 'a member record is created only by an admission'
  const targetLevel = state.levelOf(target)
  const self = target === author
  switch (c.field) {
    case 'mRank': {
      if (self) return 'you cannot change your own rank'
      // Removing or re-ranking a member records their chain head (rule 5).
      if (state.rankOf(target) !== undefined && headOf(ops, target) === undefined)
        return "changing a member's rank must record their chain head (mHead)"
      if (op.action === 'del') {
        if (!state.can(author, 'members:manage')) return 'removing a member needs members:manage'
        return targetLevel >= myLevel ? 'that member is at or above your own level' : null
      }
      const rankLevel = levelAfter(state, ops, String(op.value))
      if (rankLevel === undefined) return `unknown rank ${String(op.value)}`
      if (rankLevel >= myLevel) return `rank ${String(op.value)} is at or above your own level`
      if (!state.can(author, 'ranks:assign')) return 'assigning ranks needs ranks:assign'
      return targetLevel >= myLevel ? 'that member is at or above your own level' : null
    }
    case 'mHead': {
      // Re-recording an unchanged head deletes and sets it (Automerge drops an equal set).
      if (op.action !== 'set' && headOf(ops, target) === undefined)
        return 'a recorded chain head is never deleted'
      const rank = state.rankOf(target)
      const decides = ops.some(
        (o) =>
          (o.container.kind === 'rank' && o.key === rank) ||
          (o.key === target &&
            o.container.kind === 'member' &&
            (o.container.field === 'mRank' || (o.container.field === 'kicked' && o.action === 'set'))),
      )
      return decides ? null : 'mHead is recorded only with a removal or a rank change of that member'
    }
    case 'mHandle':
      if (self) return null
      if (!state.can(author, 'members:manage')) return "changing another member's handle needs members:manage"
      return targetLevel >= myLevel ? 'that member is at or above your own level' : null
    case 'mInvite':
      return "a member's invite is written only by their admission"
    case 'mJoined':
    case 'mNotes':
      if (!state.can(author, 'members:manage')) return `${c.field} needs members:manage`
      return !self && targetLevel >= myLevel ? 'that member is at or above your own level' : null
    case 'kicked': {
      if (op.action === 'set') {
        if (headOf(ops, target) !== op.value) return 'a removal must record the same chain head in mHead'
        // Leaving: the member's own entry is the last one that counts.
        if (self) return op.value === input.entry.seq ? null : 'leaving records your own entry as your last'
        if (!state.can(author, 'members:kick')) return 'removing a member needs members:kick'
        return targetLevel >= myLevel ? 'that member is at or above your own level' : null
      }
      if (self) return 'you cannot re-admit yourself'
      if (!state.can(author, 'members:manage')) return 're-admitting a member needs members:manage'
      const rank = state.rankOf(target)
      return rank !== undefined && (state.rank(rank)?.level ?? 0) >= myLevel
        ? 'that member is at or above your own level'
        : null
    }
  }
}

/** The chain head a change records for `member` (mHead), if it records one. */
function headOf(ops: readonly StateOp[], member: string): Scalar | undefined {
  const op = ops.find(
    (o) =>
      o.key === member &&
      o.container.kind === 'member' &&
      o.container.field === 'mHead' &&
      o.action === 'set',
  )
  return op?.value
}
