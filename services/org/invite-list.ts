/**
 * The org's invites as people see them: every member's `invite.create` entry in the org's
 * chains (shared with its members), with its state from the roster.
 */
import { type DocumentStore, decodeEntry, type MemberKey } from '../../crdt/index.ts'
import type { AuthState } from './auth-state.ts'

export interface InviteView {
  readonly id: string
  readonly inviter: MemberKey
  readonly rank: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly usedBy: string | null
  readonly status: 'open' | 'used' | 'revoked' | 'expired'
}

/** The org's invites (only invite `only`, when given), newest first, as of `state` and `now`. */
export async function inviteViews(
  store: DocumentStore,
  orgId: string,
  state: AuthState,
  now: number,
  only?: string,
): Promise<InviteView[]> {
  const prefix = `invite:${orgId}/`
  const out: InviteView[] = []
  for (const author of await store.chains.authors(orgId)) {
    for await (const signed of store.chains.entries(orgId, author)) {
      const d = decodeEntry(signed)
      if (!d.ok || d.entry.action !== 'invite.create' || !d.entry.resource.startsWith(prefix)) continue
      const id = d.entry.resource.slice(prefix.length)
      if (only !== undefined && id !== only) continue
      const details = (d.entry.details ?? {}) as { rank?: unknown; expiresAt?: unknown }
      const expiresAt = typeof details.expiresAt === 'number' ? details.expiresAt : 0
      const usedBy = state.inviteUsedBy(id) ?? null
      out.push({
        id,
        inviter: author,
        rank: typeof details.rank === 'string' ? details.rank : '',
        createdAt: d.entry.time,
        expiresAt,
        usedBy,
        status:
          usedBy !== null
            ? 'used'
            : state.isInviteRevoked(id)
              ? 'revoked'
              : expiresAt < now
                ? 'expired'
                : 'open',
      })
    }
  }
  return out.sort((a, b) => b.createdAt - a.createdAt)
}
