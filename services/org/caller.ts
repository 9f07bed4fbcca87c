/**
 * What this node's member may do in an org, read from the org's current authorization
 * state, thrown as `PermissionDeniedError` naming the permission and the member's rank.
 * Reads are checked here only (DESIGN rule 7: every member's node holds the org's data on
 * disk). Writes are judged by the roster rules, on this node and every other; a refusal
 * is then named here (`explainRefusal`), never decided here.
 */
import type { MemberKey } from '../../crdt/index.ts'
import type { AuthState } from './auth-state.ts'
import { PermissionDeniedError } from './errors.ts'
import { allows, PERMISSIONS, type Permission } from './permissions.ts'

/** `member`'s rank (its name) in `state`; null when not a member. */
export function rankNameOf(state: AuthState, member: MemberKey | string): string | null {
  const id = state.isMember(member) ? state.rankOf(member) : undefined
  return id === undefined ? null : (state.rank(id)?.name ?? id)
}

/**
 * Throws unless `member` holds one of `permissions` to read. Read rights outlive the
 * org's deletion (a deleted org is read-only, not hidden), unlike write rights.
 */
export function requireRead(
  state: AuthState,
  member: MemberKey | string,
  what: string,
  ...permissions: [Permission, ...Permission[]]
): void {
  const rank = state.isMember(member) ? state.rank(state.rankOf(member) as string) : undefined
  const grants = rank?.grants ?? new Set<string>()
  if (permissions.some((p) => allows(grants, p))) return
  throw new PermissionDeniedError(what, permissions.join(' or '), rankNameOf(state, member))
}

/** The error for `member` lacking `permission` to change the org now, or null if they hold it. */
export function lacking(
  state: AuthState,
  member: MemberKey | string,
  what: string,
  permission: Permission,
): PermissionDeniedError | null {
  return state.can(member, permission)
    ? null
    : new PermissionDeniedError(what, permission, rankNameOf(state, member))
}

/**
 * Runs a change the roster rules judge; when they refuse it, throws what `explain` finds
 * instead (the permission the caller lacks, a level too high: errors that name it), with
 * the refusal as its cause. The rules stay the one judge: this only names their verdict.
 */
export async function explainRefusal<T>(
  run: () => Promise<T>,
  explain: () => Promise<Error | null>,
): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if ((err as Error).name !== 'ChangeRefusedError') throw err
    const named = await explain()
    if (named === null) throw err
    named.cause = err
    throw named
  }
}

/** What a member is in an org and may do there (a client offers only that). */
export interface Access {
  readonly memberKey: string
  /** Whether they are a member now (not kicked, not gone). */
  readonly member: boolean
  readonly rank: string | null
  readonly rankName: string | null
  readonly level: number
  /** Every permission their rank allows, wildcards expanded. */
  readonly permissions: Permission[]
}

export function accessOf(state: AuthState, member: string): Access {
  const isMember = state.isMember(member)
  const rankId = isMember ? (state.rankOf(member) ?? null) : null
  const rank = rankId === null ? undefined : state.rank(rankId)
  const grants = rank?.grants ?? new Set<string>()
  return {
    memberKey: member,
    member: isMember,
    rank: rankId,
    rankName: rank?.name ?? rankId,
    level: isMember ? state.levelOf(member) : 0,
    permissions: PERMISSIONS.filter((p) => allows(grants, p)),
  }
}
