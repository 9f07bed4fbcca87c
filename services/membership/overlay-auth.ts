/**
 * The authorization states an entry past a recorded head is judged on (rule 5): the
 * state at the heads the entry claims, with the writes of the rank change that recorded
 * the head laid over it (the author's new rank, or a rank's reduced definition). Plugs
 * into the rules where they take an `AuthIndex`.
 */
import type { ChangeHash } from '../../crdt/index.ts'
import type { AuthState, OverlayOp } from '../org/index.ts'
import { AuthIndex } from '../org/index.ts'

export class OverlayAuth extends AuthIndex {
  private readonly base: AuthIndex
  private readonly ops: readonly OverlayOp[]

  constructor(base: AuthIndex, ops: readonly OverlayOp[]) {
    super({ roster: async () => null })
    this.base = base
    this.ops = ops
  }

  override cached(orgId: string, heads: readonly ChangeHash[]): AuthState | undefined {
    return this.base.cached(orgId, heads)?.withOps(this.ops)
  }

  override async stateAt(orgId: string, heads: readonly ChangeHash[]): Promise<AuthState | null> {
    return (await this.base.stateAt(orgId, heads))?.withOps(this.ops) ?? null
  }
}
