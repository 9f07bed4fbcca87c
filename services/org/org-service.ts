/**
 * Orgs, ranks and members: the operations a leader, officer or member takes (invites
 * are in invite-service.ts).
 * Input is checked here (errors name the field); permissions are checked by the same
 * rules that judge remote changes (`ChangeRefusedError` when not allowed).
 */
import type * as A from '@automerge/automerge'
import { z } from 'zod'
import {
  type Clock,
  type DocumentStore,
  type Entry,
  isMemberKey,
  type MemberKey,
  type Signer,
  systemClock,
} from '../../crdt/index.ts'
import type { AuthIndex } from './auth-index.ts'
import type { AuthState } from './auth-state.ts'
import { FeatureLockedError, InvalidInputError, NotAMemberError } from './errors.ts'
import type { FeatureGate } from './feature-gate.ts'
import { handleInput as handle, parseInput as parse, rankIdInput as rankId } from './input.ts'
import type { MaskedEntry } from './membership.ts'
import { deriveOrgId, newNonce, ORG_ID } from './org-id.ts'
import { DEFAULT_RANKS, decodeGrants, encodeGrants, isGrant, within } from './permissions.ts'
import { memberField, type OrgSummary, RosterAccess, rosterId, summarizeRoster } from './roster-access.ts'
import { bucketOf, layoutRoster, type RosterDoc, str, text } from './roster-schema.ts'
import { type MemberView, memberViews, type RankView, rankViews } from './roster-views.ts'
import {
  DESCRIPTION_MAX,
  MAX_LEVEL,
  NAME_MAX,
  NAME_MIN,
  NOTES_MAX,
  ROSTER_LIMITS,
  TAG,
} from './validation.ts'

export interface OrgServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  /** Asked before licensed writes (custom ranks, RBAC, a second org). */
  readonly gate: FeatureGate
  /** The time an org was founded or deleted; default `systemClock`. */
  readonly clock?: Clock
}

/** An entry of a removed or re-ranked member that has no effect (rule 5). */
export type FlaggedChange = MaskedEntry

const name = z
  .string()
  .trim()
  .min(NAME_MIN, `must be ${NAME_MIN} to ${NAME_MAX} characters`)
  .max(NAME_MAX, `must be ${NAME_MIN} to ${NAME_MAX} characters`)
const tag = z.string().regex(TAG, 'must be 2 to 5 upper-case letters or digits')
const description = z.string().max(DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`)
const level = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_LEVEL - 1)
const grants = z.array(z.string().refine(isGrant, 'is not a known permission (e.g. fleet:manage, ops:*)'))
const memberKey = z.string().refine(isMemberKey, 'must be a member key (64 hex characters)')

export class OrgService {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly rosters: RosterAccess
  private readonly gate: FeatureGate
  private readonly auth: AuthIndex
  private readonly clock: Clock

  constructor(components: OrgServiceComponents) {
    this.clock = components.clock ?? systemClock
    this.gate = components.gate
    this.auth = components.auth
    this.store = components.store
    this.signer = components.signer
    this.rosters = new RosterAccess(components)
  }

  get me(): MemberKey {
    return this.signer.memberKey
  }

  /** Creates an org with the default ranks, its founder as Leader. */
  async createOrg(input: {
    name: unknown
    tag: unknown
    description?: unknown
    handle: unknown
  }): Promise<OrgSummary> {
    const n = parse(name, input.name, 'name')
    const t = parse(tag, input.tag, 'tag')
    const d = parse(description, input.description ?? '', 'description')
    const h = parse(handle, input.handle, 'handle')
    const held = await this.listOrgs()
    for (const org of held) {
      if (org.name.toLowerCase() === n.toLowerCase())
        throw new InvalidInputError('name', `an org named ${org.name} already exists on this node`)
    }
    if (held.some((o) => !o.deleted) && !(await this.gate.anyOrgHas('multiple-orgs')))
      throw new FeatureLockedError(
        'multiple-orgs',
        'a second org on one node needs a Pro license on an org this node holds',
      )
    const nonce = newNonce()
    const orgId = deriveOrgId(this.me, nonce)
    const now = this.clock.now()
    await this.store.create<RosterDoc>(
      rosterId(orgId),
      { action: 'org.create', resource: `org:${orgId}`, details: { name: n, tag: t } },
      (doc) => {
        layoutRoster(doc)
        doc.org = {
          id: str(orgId),
          name: str(n),
          tag: str(t),
          description: str(d),
          founded: now,
          owner: str(this.me),
          nonce: str(nonce),
          deletedAt: null,
        }
        for (const r of DEFAULT_RANKS) {
          doc.rankName[r.id] = str(r.name)
          doc.rankLevel[r.id] = r.level
          doc.rankPerms[r.id] = str(encodeGrants(r.permissions))
        }
        const b = bucketOf(this.me)
        ;(doc.mRank[b] as Record<string, A.ImmutableString>)[this.me] = str('leader')
        ;(doc.mHandle[b] as Record<string, A.ImmutableString>)[this.me] = str(h)
        ;(doc.mJoined[b] as Record<string, number>)[this.me] = now
      },
    )
    return this.getOrg(orgId)
  }

  /** Orgs this node holds. */
  async listOrgs(): Promise<OrgSummary[]> {
    const out: OrgSummary[] = []
    for (const id of await this.store.list('org')) {
      const orgId = id.slice('org:'.length)
      out.push(
        summarizeRoster(
          ORG_ID.test(orgId) ? await this.rosters.rosterView(orgId) : await this.store.get<RosterDoc>(id),
        ),
      )
    }
    return out
  }

  async getOrg(orgId: string): Promise<OrgSummary> {
    return summarizeRoster(await this.rosters.rosterView(orgId))
  }

  async updateOrg(
    orgId: string,
    input: { name?: unknown; tag?: unknown; description?: unknown },
  ): Promise<OrgSummary> {
    const patch = {
      ...(input.name !== undefined ? { name: parse(name, input.name, 'name') } : {}),
      ...(input.tag !== undefined ? { tag: parse(tag, input.tag, 'tag') } : {}),
      ...(input.description !== undefined
        ? { description: parse(description, input.description, 'description') }
        : {}),
    }
    if (Object.keys(patch).length === 0)
      throw new InvalidInputError('org', 'give at least one of name, tag, description')
    await this.change(orgId, { action: 'org.update', resource: `org:${orgId}`, details: patch }, (doc) => {
      for (const [k, v] of Object.entries(patch)) (doc.org as Record<string, unknown>)[k] = str(v)
    })
    return this.getOrg(orgId)
  }

  /** Marks the org deleted: it becomes read-only everywhere; nothing is erased. */
  async deleteOrg(orgId: string): Promise<void> {
    await this.change(orgId, { action: 'org.delete', resource: `org:${orgId}` }, (doc) => {
      doc.org.deletedAt = this.clock.now()
    })
  }

  async ranks(orgId: string): Promise<RankView[]> {
    return rankViews(await this.rosters.rosterView(orgId))
  }

  /** Creates or edits a rank (below your own level, with permissions you hold). */
  async putRank(
    orgId: string,
    input: { id: unknown; name: unknown; level: unknown; permissions: unknown },
  ): Promise<RankView> {
    const id = parse(rankId, input.id, 'id')
    const n = parse(z.string().trim().min(1).max(32), input.name, 'name')
    const l = parse(level, input.level, 'level')
    const p = parse(grants, input.permissions, 'permissions')
    await this.gate.require(orgId, 'custom-ranks')
    // Ranks with one of the default permission sets are custom ranks; any other set is RBAC.
    const key = encodeGrants(p)
    if (!DEFAULT_RANKS.some((r) => encodeGrants(r.permissions) === key))
      await this.gate.require(orgId, 'rbac')
    const roster = await this.roster(orgId)
    const existing = roster.rankLevel[id] !== undefined
    if (!existing && Object.keys(roster.rankLevel).length >= ROSTER_LIMITS.ranks)
      throw new InvalidInputError('id', `an org has at most ${ROSTER_LIMITS.ranks} ranks`)
    // Rule 5: taking rights from a rank records its holders' chain heads as this node has
    // them; their entries past those are judged with the rank's new definition.
    const reduces =
      existing &&
      (l < (roster.rankLevel[id] as number) || !within(decodeGrants(text(roster.rankPerms[id])), new Set(p)))
    const holders = reduces ? (await this.members(orgId)).filter((m) => m.rank === id) : []
    const heads = await Promise.all(
      holders.map(
        async (m) => [m.memberKey, (await this.store.chains.head(orgId, m.memberKey))?.seq ?? 0] as const,
      ),
    )
    await this.change(
      orgId,
      {
        action: existing ? 'rank.update' : 'rank.create',
        resource: `rank:${orgId}/${id}`,
        details: { name: n, level: l, permissions: p },
      },
      (doc) => {
        doc.rankName[id] = str(n)
        doc.rankLevel[id] = l
        doc.rankPerms[id] = str(encodeGrants(p))
        for (const [key, seq] of heads) recordHead(doc, key, seq)
      },
    )
    return { id, name: n, level: l, permissions: [...decodeGrants(encodeGrants(p))] }
  }

  async deleteRank(orgId: string, id: unknown): Promise<void> {
    const r = parse(rankId, id, 'id')
    const doc = await this.roster(orgId)
    if (doc.rankLevel[r] === undefined) throw new InvalidInputError('id', `no rank ${r}`)
    await this.gate.require(orgId, 'custom-ranks')
    const holders = (await this.members(orgId)).filter((m) => m.rank === r)
    if (holders.length > 0)
      throw new InvalidInputError('id', `${holders.length} member(s) still hold rank ${r}`)
    await this.change(orgId, { action: 'rank.delete', resource: `rank:${orgId}/${r}` }, (d) => {
      delete d.rankName[r]
      delete d.rankLevel[r]
      delete d.rankPerms[r]
    })
  }

  /** Current members (kicked ones excluded), highest rank first. */
  async members(orgId: string): Promise<MemberView[]> {
    return memberViews(await this.rosters.rosterView(orgId))
  }

  async member(orgId: string, key: unknown): Promise<MemberView> {
    const k = parse(memberKey, key, 'member')
    const m = (await this.members(orgId)).find((x) => x.memberKey === k)
    if (m === undefined) throw new NotAMemberError(k.slice(0, 16))
    return m
  }

  async setRank(orgId: string, key: unknown, rank: unknown): Promise<void> {
    const k = parse(memberKey, key, 'member')
    const r = parse(rankId, rank, 'rank')
    await this.member(orgId, k)
    if ((await this.roster(orgId)).rankLevel[r] === undefined)
      throw new InvalidInputError('rank', `no rank ${r}`)
    // Rule 5: the member's entries past their head in this org, as this node has it, are judged with the new rank.
    const head = await this.store.chains.head(orgId, k)
    await this.change(
      orgId,
      {
        action: 'member.rank',
        resource: `member:${orgId}/${k}`,
        details: { rank: r, head: head?.seq ?? 0, ...(head ? { headHash: head.hash } : {}) },
      },
      (d) => {
        memberField(d, 'mRank', k)[k] = str(r)
        recordHead(d, k, head?.seq ?? 0)
      },
    )
  }

  async setHandle(orgId: string, key: unknown, value: unknown): Promise<void> {
    const k = parse(memberKey, key, 'member')
    const h = parse(handle, value, 'handle')
    await this.member(orgId, k)
    await this.change(
      orgId,
      { action: 'member.handle', resource: `member:${orgId}/${k}`, details: { handle: h } },
      (d) => {
        memberField(d, 'mHandle', k)[k] = str(h)
      },
    )
  }

  async setNotes(orgId: string, key: unknown, value: unknown): Promise<void> {
    const k = parse(memberKey, key, 'member')
    const n = parse(z.string().max(NOTES_MAX, `must be at most ${NOTES_MAX} characters`), value, 'notes')
    await this.member(orgId, k)
    await this.change(orgId, { action: 'member.notes', resource: `member:${orgId}/${k}` }, (d) => {
      memberField(d, 'mNotes', k)[k] = str(n)
    })
  }

  /**
   * Removes a member. Records their chain head in this org as this node has it: their entries past it
   * have no effect on any node, whatever they claim to have seen (rule 5).
   */
  async kick(orgId: string, key: unknown): Promise<void> {
    const k = parse(memberKey, key, 'member')
    await this.member(orgId, k)
    if (k === this.me) throw new InvalidInputError('member', 'to remove yourself, leave the org')
    const head = await this.store.chains.head(orgId, k)
    const seq = head?.seq ?? 0
    await this.change(
      orgId,
      {
        action: 'member.kick',
        resource: `member:${orgId}/${k}`,
        details: { head: seq, ...(head ? { headHash: head.hash } : {}) },
      },
      (d) => {
        memberField(d, 'kicked', k)[k] = seq
        recordHead(d, k, seq)
      },
    )
  }

  /** Leaves the org: this entry is your last that counts in it (rule 5). */
  async leave(orgId: string): Promise<void> {
    const org = await this.getOrg(orgId)
    await this.member(orgId, this.me)
    if (org.owner === this.me)
      throw new InvalidInputError('org', 'the owner cannot leave; delete the org instead')
    const seq = ((await this.store.chains.head(orgId, this.me))?.seq ?? 0) + 1
    await this.change(orgId, { action: 'member.leave', resource: `member:${orgId}/${this.me}` }, (d) => {
      memberField(d, 'kicked', this.me)[this.me] = seq
      recordHead(d, this.me, seq)
    })
  }

  /**
   * Entries of removed, departed or re-ranked members that have no effect: made past
   * their recorded head and not allowed with the rights they had left, in every document
   * of the org. Listed for officers to review.
   */
  async flagged(orgId: string): Promise<readonly FlaggedChange[]> {
    await this.roster(orgId)
    return (await this.auth.membership?.flagged(orgId)) ?? []
  }

  /** The authorization state at the roster's current heads. */
  async currentState(orgId: string): Promise<AuthState> {
    return this.rosters.currentState(orgId)
  }

  async roster(orgId: string): Promise<A.Doc<RosterDoc>> {
    return this.rosters.roster(orgId)
  }

  private async change(
    orgId: string,
    action: { action: string; resource: string; details?: Record<string, string | number | string[]> },
    fn: (doc: RosterDoc) => void,
  ): Promise<Entry | null> {
    return this.rosters.change(orgId, action, fn)
  }
}

/**
 * Records `member`'s chain head in a change (rule 5). Automerge drops a set of an equal
 * value, so an unchanged head is deleted and set again: the change always carries it.
 */
function recordHead(d: RosterDoc, member: string, seq: number): void {
  const heads = memberField<number>(d, 'mHead', member)
  if (heads[member] === seq) delete heads[member]
  heads[member] = seq
}

export { type OrgSummary, rosterId } from './roster-access.ts'
export type { MemberView, RankView } from './roster-views.ts'
