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
import { type Access, accessOf, explainRefusal, lacking, requireRead } from './caller.ts'
import { FeatureLockedError, InvalidInputError, NotAMemberError } from './errors.ts'
import type { FeatureGate } from './feature-gate.ts'
import { handleInput as handle, parseInput as parse, rankIdInput as rankId } from './input.ts'
import type { MaskedEntry } from './membership.ts'
import { deriveOrgId, newNonce, ORG_ID } from './org-id.ts'
import { DEFAULT_RANKS, encodeGrants } from './permissions.ts'
import { RankBook, type RankInput, type RankPatch } from './rank-book.ts'
import { recordHead } from './record-head.ts'
import { memberField, type OrgSummary, RosterAccess, rosterId, summarizeRoster } from './roster-access.ts'
import { bucketOf, layoutRoster, type RosterDoc, str } from './roster-schema.ts'
import { type MemberView, memberViews, type RankView } from './roster-views.ts'
import { NO_SHIP_COUNTS, type ShipCounts } from './ship-counts.ts'
import { DESCRIPTION_MAX, NAME_MAX, NAME_MIN, NOTES_MAX, TAG } from './validation.ts'

export interface OrgServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  /** Asked before licensed writes (custom ranks, RBAC, a second org). */
  readonly gate: FeatureGate
  /** The time an org was founded or deleted; default `systemClock`. */
  readonly clock?: Clock
  /** Ship counts for the members list (`FleetService`); default: none counted. */
  readonly ships?: ShipCounts
}

/** A member as the members list shows them: with how many of their ships the reader sees. */
export interface MemberListItem extends MemberView {
  readonly ships: number
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
const memberKey = z.string().refine(isMemberKey, 'must be a member key (64 hex characters)')
const notes = z.string().max(NOTES_MAX, `must be at most ${NOTES_MAX} characters`)

export class OrgService {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly rosters: RosterAccess
  private readonly gate: FeatureGate
  private readonly auth: AuthIndex
  private readonly clock: Clock
  private readonly shipCounts: ShipCounts
  private readonly rankBook: RankBook

  constructor(components: OrgServiceComponents) {
    this.clock = components.clock ?? systemClock
    this.shipCounts = components.ships ?? NO_SHIP_COUNTS
    this.gate = components.gate
    this.auth = components.auth
    this.store = components.store
    this.signer = components.signer
    this.rosters = new RosterAccess(components)
    this.rankBook = new RankBook({ ...components, rosters: this.rosters, me: this.me })
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

  /** The org's ranks, highest first (ranks:view). */
  async ranks(orgId: string): Promise<RankView[]> {
    return this.rankBook.list(orgId)
  }

  /** Creates a rank (ranks:manage; a license with custom ranks); refused if the id is taken. */
  async createRank(orgId: string, input: RankInput): Promise<RankView> {
    return this.rankBook.create(orgId, input)
  }

  /** Changes a rank's name, level or permissions; what is not given stays. */
  async updateRank(orgId: string, id: unknown, patch: RankPatch): Promise<RankView> {
    return this.rankBook.update(orgId, id, patch)
  }

  /** Creates or edits a rank (below your own level, with permissions you hold). */
  async putRank(orgId: string, input: RankInput): Promise<RankView> {
    return this.rankBook.put(orgId, input)
  }

  /** Deletes a rank nobody holds (ranks:manage; a license with custom ranks). */
  async deleteRank(orgId: string, id: unknown): Promise<RankView> {
    return this.rankBook.delete(orgId, id)
  }

  /**
   * Current members (kicked ones excluded), highest rank first, as this node holds them,
   * unchecked: for the services and the node itself. What the member reads goes through
   * `listMembers` and `showMember`.
   */
  async members(orgId: string): Promise<MemberView[]> {
    return memberViews(await this.rosters.rosterView(orgId))
  }

  /**
   * The members list (members:view), each with the count of their ships the reader may
   * see (one pass over the hangar index, no hangar loaded).
   */
  async listMembers(orgId: string): Promise<MemberListItem[]> {
    requireRead(await this.currentState(orgId), this.me, 'listing members', 'members:view')
    const [members, counts] = await Promise.all([this.members(orgId), this.shipCounts.shipCounts(orgId)])
    return members.map((m) => ({ ...m, ships: counts.get(m.memberKey) ?? 0 }))
  }

  /** One member (members:view; a member may always read their own record). */
  async showMember(orgId: string, key: unknown): Promise<MemberListItem> {
    const k = parse(memberKey, key, 'member')
    if (k !== this.me) requireRead(await this.currentState(orgId), this.me, 'reading members', 'members:view')
    const m = await this.member(orgId, k)
    const counts = await this.shipCounts.shipCounts(orgId, k)
    return { ...m, ships: counts.get(k) ?? 0 }
  }

  /**
   * Changes a member's handle and notes in one change: your own handle, or with
   * members:manage another's below your level; notes need members:manage.
   */
  async updateMember(
    orgId: string,
    key: unknown,
    patch: { handle?: unknown; notes?: unknown },
  ): Promise<MemberListItem> {
    return this.showMember(orgId, await this.writeMember(orgId, key, patch))
  }

  /** A current member, unchecked (see `members`); `NotAMemberError` when not one. */
  async member(orgId: string, key: unknown): Promise<MemberView> {
    const k = parse(memberKey, key, 'member')
    const m = (await this.members(orgId)).find((x) => x.memberKey === k)
    if (m === undefined) throw new NotAMemberError(k.slice(0, 16))
    return m
  }

  /** Gives a member below your level a rank below yours (ranks:assign). Returns them as changed. */
  async setRank(orgId: string, key: unknown, rank: unknown): Promise<MemberView> {
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
      (state) => lacking(state, this.me, 'assigning ranks', 'ranks:assign'),
    )
    return this.member(orgId, k)
  }

  async setHandle(orgId: string, key: unknown, value: unknown): Promise<void> {
    await this.writeMember(orgId, key, { handle: value ?? null })
  }

  async setNotes(orgId: string, key: unknown, value: unknown): Promise<void> {
    await this.writeMember(orgId, key, { notes: value ?? null })
  }

  /** Writes a member's handle and notes (those given) in one change; returns their key. */
  private async writeMember(
    orgId: string,
    key: unknown,
    patch: { handle?: unknown; notes?: unknown },
  ): Promise<MemberKey> {
    const k = parse(memberKey, key, 'member')
    const h = patch.handle === undefined ? undefined : parse(handle, patch.handle, 'handle')
    const n = patch.notes === undefined ? undefined : parse(notes, patch.notes, 'notes')
    if (h === undefined && n === undefined)
      throw new InvalidInputError('member', 'give at least one of handle, notes')
    await this.member(orgId, k)
    await this.change(
      orgId,
      {
        action: h !== undefined ? 'member.handle' : 'member.notes',
        resource: `member:${orgId}/${k}`,
        ...(h === undefined ? {} : { details: { handle: h } }),
      },
      (d) => {
        if (h !== undefined) memberField(d, 'mHandle', k)[k] = str(h)
        if (n !== undefined) memberField(d, 'mNotes', k)[k] = str(n)
      },
      (state) =>
        (n === undefined ? null : lacking(state, this.me, "changing a member's notes", 'members:manage')) ??
        (h === undefined || k === this.me
          ? null
          : lacking(state, this.me, "changing another member's handle", 'members:manage')),
    )
    return k
  }

  /**
   * Removes a member. Records their chain head in this org as this node has it: their entries past it
   * have no effect on any node, whatever they claim to have seen (rule 5). Returns them as
   * they were.
   */
  async kick(orgId: string, key: unknown): Promise<MemberView> {
    const k = parse(memberKey, key, 'member')
    const was = await this.member(orgId, k)
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
      (state) => lacking(state, this.me, 'removing a member', 'members:kick'),
    )
    return was
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

  /** `flagged`, for a member who may review it (members:kick or members:manage). */
  async listFlagged(orgId: string): Promise<readonly FlaggedChange[]> {
    const state = await this.currentState(orgId)
    requireRead(state, this.me, 'reviewing flagged changes', 'members:kick', 'members:manage')
    return this.flagged(orgId)
  }

  /** The authorization state at the roster's current heads. */
  /** What this node's member is in the org and may do there. */
  async myAccess(orgId: string): Promise<Access> {
    return accessOf(await this.currentState(orgId), this.me)
  }

  async currentState(orgId: string): Promise<AuthState> {
    return this.rosters.currentState(orgId)
  }

  async roster(orgId: string): Promise<A.Doc<RosterDoc>> {
    return this.rosters.roster(orgId)
  }

  /**
   * Changes the roster; when the rules refuse, `explain` may name why on the state now
   * (e.g. the permission this member lacks), see `explainRefusal`.
   */
  private async change(
    orgId: string,
    action: { action: string; resource: string; details?: Record<string, string | number | string[]> },
    fn: (doc: RosterDoc) => void,
    explain: (state: AuthState) => Error | null = () => null,
  ): Promise<Entry | null> {
    return explainRefusal(
      () => this.rosters.change(orgId, action, fn),
      async () => explain(await this.currentState(orgId)),
    )
  }
}

export type { RankInput, RankPatch } from './rank-book.ts'
export { type OrgSummary, rosterId } from './roster-access.ts'
export type { MemberView, RankView } from './roster-views.ts'
