/**
 * Reading and changing an org's roster: what the org and invite services share.
 */
import type * as A from '@automerge/automerge'
import { type DocId, type DocumentStore, type Entry, type MemberKey, parseDocId } from '../../crdt/index.ts'
import type { AuthIndex } from './auth-index.ts'
import type { AuthState } from './auth-state.ts'
import { InvalidInputError, OrgNotFoundError } from './errors.ts'
import { ORG_ID } from './org-id.ts'
import { bucketOf, type RosterDoc, text } from './roster-schema.ts'

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

export type RosterAction = {
  action: string
  resource: string
  details?: Record<string, string | number | string[]>
}

export class RosterAccess {
  private readonly store: DocumentStore
  private readonly auth: AuthIndex

  constructor(components: { store: DocumentStore; auth: AuthIndex }) {
    this.store = components.store
    this.auth = components.auth
  }

  async roster(orgId: string): Promise<A.Doc<RosterDoc>> {
    if (!ORG_ID.test(orgId)) throw new InvalidInputError('org', 'must be an org id (32 hex characters)')
    const id = rosterId(orgId)
    if (!(await this.store.has(id))) throw new OrgNotFoundError(orgId)
    return this.store.get<RosterDoc>(id)
  }

  /** The authorization state at the roster's current heads. */
  async currentState(orgId: string): Promise<AuthState> {
    await this.roster(orgId)
    const state = await this.auth.current(orgId)
    if (state === null) throw new OrgNotFoundError(orgId)
    return state
  }

  /** The roster as views read it: without the changes of members past their recorded heads. */
  async rosterView(orgId: string): Promise<RosterDoc> {
    const doc = await this.roster(orgId)
    return ((await this.auth.membership?.view(orgId, rosterId(orgId), doc as A.Doc<unknown>)) ??
      doc) as RosterDoc
  }

  /** Changes the roster (the rules judge it before anything is written). */
  async change(orgId: string, action: RosterAction, fn: (doc: RosterDoc) => void): Promise<Entry | null> {
    await this.roster(orgId)
    const { entry } = await this.store.change<RosterDoc>(rosterId(orgId), action, fn)
    return entry
  }
}

export function rosterId(orgId: string): DocId {
  return parseDocId(`org:${orgId}`)
}

/** The bucket map of one member field that holds `key`. */
export function memberField<V>(
  doc: RosterDoc,
  field: 'mRank' | 'mHandle' | 'mJoined' | 'mNotes' | 'mInvite' | 'kicked' | 'mHead',
  key: string,
): Record<string, V> {
  return (doc[field] as unknown as Record<string, Record<string, V>>)[bucketOf(key)] as Record<string, V>
}

/**
 * Whether the roster's record of `key` makes a member, read from the document as
 * `AuthState.isMember` reads it from the state: not kicked, and the founder or the user
 * of the (unrevoked) invite it was admitted with.
 */
export function isMemberIn(doc: RosterDoc, key: string): boolean {
  const b = bucketOf(key)
  if (doc.mRank[b]?.[key] === undefined || doc.kicked[b]?.[key] !== undefined) return false
  if (key === text(doc.org.owner)) return true
  const invite = text(doc.mInvite[b]?.[key])
  return (
    invite !== undefined && text(doc.invitesUsed[invite]) === key && doc.invitesRevoked[invite] === undefined
  )
}

export function summarizeRoster(doc: RosterDoc): OrgSummary {
  let memberCount = 0
  for (const bucket of Object.values(doc.mRank)) {
    for (const key of Object.keys(bucket)) if (isMemberIn(doc, key)) memberCount++
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
