/**
 * The authorization state a hangar or operation change is judged on: the org's roster
 * at the heads the author's entry recorded (`authHeads`).
 */
import type { ChangeContext, ChangeHash, Verdict } from '../../crdt/index.ts'
import type { AuthIndex } from './auth-index.ts'
import type { AuthState } from './auth-state.ts'

type Judged = { ok: true; state: AuthState } | (Verdict & { ok: false })

/** Synchronous when the state at the entry's heads is cached (as on a catch-up, entry after entry). */
export function authForEntry(ctx: ChangeContext, auth: AuthIndex, orgId: string): Judged | Promise<Judged> {
  const heads = ctx.entry.authHeads as readonly ChangeHash[]
  if (heads.length === 0) return { ok: false, reason: 'the entry records no roster heads to judge it by' }
  const hit = auth.cached(orgId, heads)
  return hit !== undefined ? judge(ctx, hit) : auth.stateAt(orgId, heads).then((state) => judge(ctx, state))
}

function judge(ctx: ChangeContext, state: AuthState | null): Judged {
  if (state === null)
    return { ok: false, reason: 'depends on roster changes this node does not hold', pending: true }
  if (state.deleted) return { ok: false, reason: 'the org was deleted; it is read-only' }
  if (!state.isMember(ctx.entry.author)) return { ok: false, reason: 'the author is not a member' }
  return { ok: true, state }
}

/** Object-creating and list ops that document rules refuse: every string is a scalar, no text or lists. */
export function structuralProblem(ops: readonly { action: string }[]): string | null {
  for (const op of ops) {
    if (op.action === 'makeText' || op.action === 'makeList' || op.action === 'makeTable') {
      return `op ${op.action} is not allowed: fields are scalars and maps`
    }
    if (op.action !== 'set' && op.action !== 'del' && op.action !== 'makeMap')
      return `op ${op.action} is not allowed`
  }
  return null
}
