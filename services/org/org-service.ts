/**
 * Orgs, ranks, members and invites: the operations a leader, officer or member takes.
 * Input is checked here (errors name the field); permissions are checked by the same
 * rules that judge remote changes (`ChangeRefusedError` when not allowed).
 */
import * as A from '@automerge/automerge'
import { z } from 'zod'
import {
  type DocId,
  type DocumentStore,
  decodeEntry,
  type Entry,
  isMemberKey,
  type MemberKey,
  parseDocId,
  type Signer,
} from '../../crdt/index.ts'
import type { AuthIndex } from './auth-index.ts'
import type { AuthState } from './auth-state.ts'
import { InvalidInputError, NotAMemberError, OrgNotFoundError } from './errors.ts'
import { parseInput as parse } from './input.ts'
import { type Invite, newInviteId, readInvite, signInvite } from './invite.ts'
import { deriveOrgId, newNonce, ORG_ID } from './org-id.ts'
import { DEFAULT_RANKS, decodeGrants, encodeGrants, isGrant } from './permissions.ts'
import { bucketOf, layoutRoster, type RosterDoc, str, text } from './roster-schema.ts'
import {
  DESCRIPTION_MAX,
  HANDLE,
  MAX_LEVEL,
  NAME_MAX,
  NAME_MIN,
  NOTES_MAX,
  RANK_ID,
  TAG,
} from './validation.ts'

export interface OrgServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
}

export interface OrgSummary {
  readonly id: string
  readonly name: string
  readonly tag: string
  readonly description: string
  readonly founded: number
  readonly owner: MemberKey
  readonly deleted: boolean
  /** Derived from the roster, never stored. */
  readonly memberCount: number
}

export interface InviteView {
  readonly id: string
  readonly inviter: MemberKey
  readonly rank: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly usedBy: string | null
  readonly status: 'open' | 'used' | 'revoked' | 'expired'
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
const handle = z.string().regex(HANDLE, 'must be 3 to 60 letters, digits, - or _ (an RSI handle)')
const rankId = z.string().regex(RANK_ID, 'must be lower-case letters, digits and - (e.g. wing-lead)')
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
  private readonly auth: AuthIndex

  constructor(components: OrgServiceComponents) {
    this.store = components.store
    this.signer = components.signer
    this.auth = components.auth
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
    for (const org of await this.listOrgs()) {
      if (org.name.toLowerCase() === n.toLowerCase())
        throw new InvalidInputError('name', `an org named ${org.name} already exists on this node`)
    }
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
    for (const id of await this.store.list('org')) out.push(summarize(await this.store.get<RosterDoc>(id)))
    return out
  }

  async getOrg(orgId: string): Promise<OrgSummary> {
    return summarize(await this.roster(orgId))
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
    const existing = (await this.roster(orgId)).rankLevel[id] !== undefined
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
    const state = await this.currentState(orgId)
    if (!state.can(this.me, 'members:invite'))
      throw new InvalidInputError('rank', 'you may not invite (members:invite)')
    const rank = state.rank(r)
    if (rank === undefined) throw new InvalidInputError('rank', `no rank ${r}`)
    if (rank.level >= state.levelOf(this.me))
      throw new InvalidInputError('rank', 'must be below your own level')
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
    const state = await this.currentState(orgId)
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
    await this.change(orgId, { action: 'invite.revoke', resource: `invite:${orgId}/${id}` }, (d) => {
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
    await this.change(
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
    return this.getOrg(invite.orgId)
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
    const doc = await this.roster(orgId)
    const state = await this.auth.stateAt(orgId, A.getHeads(doc) as never)
    if (state === null) throw new OrgNotFoundError(orgId)
    return state
  }

  async roster(orgId: string): Promise<A.Doc<RosterDoc>> {
    if (!ORG_ID.test(orgId)) throw new InvalidInputError('org', 'must be an org id (32 hex characters)')
    const id = rosterId(orgId)
    if (!(await this.store.has(id))) throw new OrgNotFoundError(orgId)
    return this.store.get<RosterDoc>(id)
  }

  private async change(
    orgId: string,
    action: { action: string; resource: string; details?: Record<string, string | number | string[]> },
    fn: (doc: RosterDoc) => void,
  ): Promise<Entry | null> {
    await this.roster(orgId)
    const { entry } = await this.store.change<RosterDoc>(rosterId(orgId), action, fn)
    return entry
  }
}

export function rosterId(orgId: string): DocId {
  return parseDocId(`org:${orgId}`)
}

function memberField<V>(
  doc: RosterDoc,
  field: 'mRank' | 'mHandle' | 'mJoined' | 'mNotes' | 'mInvite' | 'kicked',
  key: string,
): Record<string, V> {
  return (doc[field] as unknown as Record<string, Record<string, V>>)[bucketOf(key)] as Record<string, V>
}

function summarize(doc: A.Doc<RosterDoc>): OrgSummary {
  let memberCount = 0
  for (const [b, bucket] of Object.entries(doc.mRank)) {
    for (const key of Object.keys(bucket)) if (doc.kicked[b]?.[key] === undefined) memberCount++
  }
  return {
    id: text(doc.org.id) ?? '',
    name: text(doc.org.name) ?? '',
    tag: text(doc.org.tag) ?? '',
    description: text(doc.org.description) ?? '',
    founded: doc.org.founded,
    owner: (text(doc.org.owner) ?? '') as MemberKey,
    deleted: typeof doc.org.deletedAt === 'number',
    memberCount,
  }
}
