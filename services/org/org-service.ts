/**
 * Orgs, ranks and members: the operations a leader, officer or member takes (invites
 * are in invite-service.ts).
 * Input is checked here (errors name the field); permissions are checked by the same
 * rules that judge remote changes (`ChangeRefusedError` when not allowed).
 */
import * as A from '@automerge/automerge'
import { z } from 'zod'
import {
  type DocId,
  type DocumentStore,
  type Entry,
  isMemberKey,
  type MemberKey,
  type Signer,
} from '../../crdt/index.ts'
import { FeatureLockedError } from '../licensing/errors.ts'
import type { FeatureGate } from '../licensing/features.ts'
import type { AuthIndex } from './auth-index.ts'
import type { AuthState } from './auth-state.ts'
import { InvalidInputError, NotAMemberError } from './errors.ts'
import { handleInput as handle, parseInput as parse, rankIdInput as rankId } from './input.ts'
import { deriveOrgId, newNonce } from './org-id.ts'
import { DEFAULT_RANKS, decodeGrants, encodeGrants, isGrant } from './permissions.ts'
import { memberField, type OrgSummary, RosterAccess, rosterId, summarizeRoster } from './roster-access.ts'
import { bucketOf, layoutRoster, type RosterDoc, str, text } from './roster-schema.ts'
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
}

export interface FlaggedChange {
  readonly docId: DocId
  readonly author: MemberKey
  readonly change: string
  /** Milliseconds since the epoch (the author's clock). */
  readonly time: number
  /** The change that removed the author. */
  readonly kick: string
}

export interface RankView {
  readonly id: string
  readonly name: string
  readonly level: number
  readonly permissions: string[]
}

export interface MemberView {
  readonly memberKey: MemberKey
  readonly handle: string
  readonly rank: string
  readonly rankName: string
  readonly level: number
  readonly joinedAt: number
  readonly notes: string
}

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

  constructor(components: OrgServiceComponents) {
    this.gate = components.gate
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
    const now = Date.now()
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
    for (const id of await this.store.list('org'))
      out.push(summarizeRoster(await this.store.get<RosterDoc>(id)))
    return out
  }

  async getOrg(orgId: string): Promise<OrgSummary> {
    return summarizeRoster(await this.roster(orgId))
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
      doc.org.deletedAt = Date.now()
    })
  }

  async ranks(orgId: string): Promise<RankView[]> {
    const doc = await this.roster(orgId)
    return Object.keys(doc.rankLevel)
      .map((id) => ({
        id,
        name: text(doc.rankName[id]) ?? id,
        level: doc.rankLevel[id] as number,
        permissions: [...decodeGrants(text(doc.rankPerms[id]))],
      }))
      .sort((a, b) => b.level - a.level)
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
    const ranks = (await this.roster(orgId)).rankLevel
    const existing = ranks[id] !== undefined
    if (!existing && Object.keys(ranks).length >= ROSTER_LIMITS.ranks)
      throw new InvalidInputError('id', `an org has at most ${ROSTER_LIMITS.ranks} ranks`)
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
    const doc = await this.roster(orgId)
    const out: MemberView[] = []
    for (const [b, bucket] of Object.entries(doc.mRank)) {
      for (const [key, rankValue] of Object.entries(bucket)) {
        if (doc.kicked[b]?.[key] !== undefined) continue
        const rank = text(rankValue) ?? ''
        out.push({
          memberKey: key as MemberKey,
          handle: text(doc.mHandle[b]?.[key]) ?? '',
          rank,
          rankName: text(doc.rankName[rank]) ?? rank,
          level: doc.rankLevel[rank] ?? 0,
          joinedAt: doc.mJoined[b]?.[key] ?? 0,
          notes: text(doc.mNotes[b]?.[key]) ?? '',
        })
      }
    }
    return out.sort((a, b) => b.level - a.level || a.handle.localeCompare(b.handle))
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
    await this.change(
      orgId,
      { action: 'member.rank', resource: `member:${orgId}/${k}`, details: { rank: r } },
      (d) => {
        memberField(d, 'mRank', k)[k] = str(r)
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

  /** Removes a member: their later changes are refused everywhere. */
  async kick(orgId: string, key: unknown): Promise<void> {
    const k = parse(memberKey, key, 'member')
    await this.member(orgId, k)
    await this.change(orgId, { action: 'member.kick', resource: `member:${orgId}/${k}` }, (d) => {
      memberField(d, 'kicked', k)[k] = Date.now()
    })
  }

  /**
   * Changes by removed members that were made concurrently with their removal: valid at
   * their own dependencies, so accepted everywhere, and listed here for officers to
   * review (and revert if needed).
   */
  async flagged(orgId: string): Promise<FlaggedChange[]> {
    const doc = await this.roster(orgId)
    const backend = A.getBackend(doc as A.Doc<unknown>)
    const all = A.getChangesMetaSince(doc, [])
    const out: FlaggedChange[] = []
    for (const [b, bucket] of Object.entries(doc.kicked)) {
      const bucketObj = A.getObjectId(doc.kicked, b)
      if (bucketObj === null) continue
      for (const member of Object.keys(bucket)) {
        for (const [, , opId] of backend.getAll(bucketObj, member) as [string, unknown, string][]) {
          const [counter, actor] = opId.split('@')
          const kick = all.find(
            (m) => m.actor === actor && m.startOp <= Number(counter) && Number(counter) <= m.maxOp,
          )
          if (kick === undefined) continue
          for (const m of A.getChangesMetaSince(doc, [kick.hash])) {
            if (m.actor.startsWith(member)) {
              out.push({
                docId: rosterId(orgId),
                author: member as MemberKey,
                change: m.hash,
                time: m.time * 1000,
                kick: kick.hash,
              })
            }
          }
        }
      }
    }
    return out
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

export { type OrgSummary, rosterId } from './roster-access.ts'
