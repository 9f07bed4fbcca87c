/**
 * The authorization states an entry past a recorded head is judged on (rule 5): the
 * state at the heads the entry claims, with the author's rank as the rank change that
 * recorded the head left it. Plugs into the rules where they take an `AuthIndex`.
 */
import type { ChangeHash, MemberKey } from '../../crdt/index.ts'
import { AuthIndex } from '../org/auth-index.ts'
import type { AuthState } from '../org/auth-state.ts'

export class OverlayAuth extends AuthIndex {
  private readonly base: AuthIndex
  private readonly member: MemberKey
  private readonly rank: string | null

  constructor(base: AuthIndex, member: MemberKey, rank: string | null) {
    super({ roster: async () => null })
    this.base = base
    this.member = member
    this.rank = rank
  }

  override cached(orgId: string, heads: readonly ChangeHash[]): AuthState | undefined {
    return this.base.cached(orgId, heads)?.withRank(this.member, this.rank)
  }

  override async stateAt(orgId: string, heads: readonly ChangeHash[]): Promise<AuthState | null> {
    return (await this.base.stateAt(orgId, heads))?.withRank(this.member, this.rank) ?? null
  }
}
