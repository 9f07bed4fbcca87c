/**
 * Invites: signed single-use tokens for a rank below the inviter's, listed with their
 * state, revocable; and joining an org with one (valid with no officer online).
 */
import { z } from 'zod'
import { type DocumentStore, decodeEntry, type MemberKey, type Signer } from '../../crdt/index.ts'
import type { FeatureGate } from '../licensing/features.ts'
import type { AuthIndex } from './auth-index.ts'
import { InvalidInputError } from './errors.ts'
import { handleInput as handle, parseInput as parse, rankIdInput as rankId } from './input.ts'
import { type Invite, newInviteId, readInvite, signInvite } from './invite.ts'
import { memberField, type OrgSummary, RosterAccess, summarizeRoster } from './roster-access.ts'
import { str } from './roster-schema.ts'

export interface InviteView {
  readonly id: string
  readonly inviter: MemberKey
  readonly rank: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly usedBy: string | null
  readonly status: 'open' | 'used' | 'revoked' | 'expired'
}

export class InviteService {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly rosters: RosterAccess
  private readonly gate: FeatureGate

  /** `gate`: seats; a full org takes no new invites. */
  constructor(components: { store: DocumentStore; signer: Signer; auth: AuthIndex; gate: FeatureGate }) {
    this.gate = components.gate
    this.store = components.store
    this.signer = components.signer
    this.rosters = new RosterAccess(components)
  }

  private get me(): MemberKey {
    return this.signer.memberKey
  }

  /** Creates a signed, single-use invite for a rank below yours. */
  async createInvite(
    orgId: string,
    input: { rank: unknown; expiresInHours?: unknown; bootstrap?: readonly string[] },
  ): Promise<{ token: string; invite: Invite }> {
    const r = parse(rankId, input.rank, 'rank')
    const hours = parse(
      z
        .number()
        .positive()
        .max(24 * 365),
      input.expiresInHours ?? 72,
      'expiresInHours',
    )
    const state = await this.rosters.currentState(orgId)
    if (!state.can(this.me, 'members:invite'))
      throw new InvalidInputError('rank', 'you may not invite (members:invite)')
    const rank = state.rank(r)
    if (rank === undefined) throw new InvalidInputError('rank', `no rank ${r}`)
    if (rank.level >= state.levelOf(this.me))
      throw new InvalidInputError('rank', 'must be below your own level')
    await this.gate.requireSeat(orgId)
    const now = Date.now()
    const invite: Invite = {
      id: newInviteId(),
      orgId,
      inviter: this.me,
      rank: r,
      issuedAt: now,
      expiresAt: now + Math.round(hours * 3_600_000),
      bootstrap: input.bootstrap ?? [],
    }
    const token = signInvite(invite, this.signer)
    await this.store.record({
      action: 'invite.create',
      resource: `invite:${orgId}/${invite.id}`,
      details: { rank: r, expiresAt: invite.expiresAt },
    })
    return { token, invite }
  }

  /**
   * Invites of this org, newest first: every member's `invite.create` entry (chains are
   * shared), with its state from the roster. Needs `members:invite` or `members:manage`.
   */
  async listInvites(orgId: string): Promise<InviteView[]> {
    const state = await this.rosters.currentState(orgId)
    if (!state.can(this.me, 'members:invite') && !state.can(this.me, 'members:manage')) {
      throw new InvalidInputError('org', 'listing invites needs members:invite or members:manage')
    }
    const prefix = `invite:${orgId}/`
    const now = Date.now()
    const out: InviteView[] = []
    for (const author of await this.store.chains.authors()) {
      for await (const signed of this.store.chains.entries(author)) {
        const d = decodeEntry(signed)
        if (!d.ok || d.entry.action !== 'invite.create' || !d.entry.resource.startsWith(prefix)) continue
        const id = d.entry.resource.slice(prefix.length)
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

  async revokeInvite(orgId: string, inviteId: unknown): Promise<void> {
    const id = parse(
      z.string().regex(/^[0-9a-f]{32}$/, 'must be an invite id (32 hex characters)'),
      inviteId,
      'invite',
    )
    await this.rosters.change(orgId, { action: 'invite.revoke', resource: `invite:${orgId}/${id}` }, (d) => {
      d.invitesRevoked[id] = Date.now()
    })
  }

  /**
   * Joins the org of an invite. This node must hold the org's roster (synced from a
   * peer); the join is valid on every node with no officer online.
   */
  async join(token: unknown, handleValue: unknown): Promise<OrgSummary> {
    const read = readInvite(token)
    if (!read.ok) throw new InvalidInputError('token', read.reason)
    const h = parse(handle, handleValue, 'handle')
    const invite = read.invite
    await this.rosters.change(
      invite.orgId,
      {
        action: 'member.join',
        resource: `member:${invite.orgId}/${this.me}`,
        details: { invite: token as string },
      },
      (d) => {
        memberField(d, 'mRank', this.me)[this.me] = str(invite.rank)
        memberField(d, 'mHandle', this.me)[this.me] = str(h)
        memberField(d, 'mJoined', this.me)[this.me] = Date.now()
        memberField(d, 'mInvite', this.me)[this.me] = str(invite.id)
        d.invitesUsed[invite.id] = str(this.me)
      },
    )
    return summarizeRoster(await this.rosters.roster(invite.orgId))
  }
}
