/**
 * The roster (authorization) document `org:<orgId>`: flat maps of scalar values, all
 * created by the org's first change. Member fields are bucketed by member key (64
 * buckets), so one change never copies a map of the whole roster. Later changes may only
 * set or delete keys of these containers, which keeps every op judgeable by
 * (container, key).
 */
import * as A from '@automerge/automerge'
import type { MemberKey } from '../../crdt/index.ts'

export const ROSTER_SCHEMA = 1
export const BUCKETS = 64

/**
 * Per-member fields, each a bucketed map memberKey → scalar. `kicked` and `mHead` hold a
 * chain seq: the member's chain head as the member who removed or re-ranked them saw it
 * (rule 5: the member's entries past it are judged with the reduced rights).
 */
export const MEMBER_FIELDS = ['mRank', 'mHandle', 'mJoined', 'mNotes', 'mInvite', 'kicked', 'mHead'] as const
export type MemberField = (typeof MEMBER_FIELDS)[number]
export const RANK_FIELDS = ['rankName', 'rankLevel', 'rankPerms'] as const
export type RankField = (typeof RANK_FIELDS)[number]
export const INVITE_FIELDS = ['invitesUsed', 'invitesRevoked'] as const
export type InviteField = (typeof INVITE_FIELDS)[number]
export const ORG_FIELDS = [
  'id',
  'name',
  'tag',
  'description',
  'founded',
  'owner',
  'nonce',
  'deletedAt',
] as const

type Str = A.ImmutableString
type Buckets<V> = Record<string, Record<string, V>>

export interface RosterDoc {
  schema: number
  org: {
    id: Str
    name: Str
    tag: Str
    description: Str
    founded: number
    owner: Str
    nonce: Str
    deletedAt: number | null
  }
  rankName: Record<string, Str>
  rankLevel: Record<string, number>
  rankPerms: Record<string, Str>
  mRank: Buckets<Str>
  mHandle: Buckets<Str>
  mJoined: Buckets<number>
  mNotes: Buckets<Str>
  mInvite: Buckets<Str>
  /** memberKey → the seq of their chain head when they were removed (their entries past it have no effect). */
  kicked: Buckets<number>
  /** memberKey → their chain head seq as seen at their last removal or rank change (set, never deleted). */
  mHead: Buckets<number>
  invitesUsed: Record<string, Str>
  invitesRevoked: Record<string, number>
}

export function bucketOf(memberKey: string): string {
  return String(Number.parseInt(memberKey.slice(0, 2), 16) & (BUCKETS - 1))
}

export function str(value: string): A.ImmutableString {
  return new A.ImmutableString(value)
}

/** Reads a scalar string field (ImmutableString or plain). */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (A.isImmutableString(value)) return value.toString()
  return typeof value === 'string' ? value : undefined
}

/** Where an object id sits in the roster. */
export type Container =
  | { readonly kind: 'org' }
  | { readonly kind: 'rank'; readonly field: RankField }
  | { readonly kind: 'member'; readonly field: MemberField; readonly bucket: string }
  | { readonly kind: 'invite'; readonly field: InviteField }

/** Object id → container, read once from a roster document (containers never change). */
export function containerIndex(doc: A.Doc<RosterDoc>): Map<string, Container> {
  const index = new Map<string, Container>()
  const id = (parent: unknown, key: string): string | null => A.getObjectId(parent as A.Doc<unknown>, key)
  const org = id(doc, 'org')
  if (org) index.set(org, { kind: 'org' })
  for (const field of RANK_FIELDS) {
    const o = id(doc, field)
    if (o) index.set(o, { kind: 'rank', field })
  }
  for (const field of INVITE_FIELDS) {
    const o = id(doc, field)
    if (o) index.set(o, { kind: 'invite', field })
  }
  for (const field of MEMBER_FIELDS) {
    const parent = doc[field]
    if (parent === undefined) continue
    for (let b = 0; b < BUCKETS; b++) {
      const o = id(parent, String(b))
      if (o) index.set(o, { kind: 'member', field, bucket: String(b) })
    }
  }
  return index
}

/** Lays out an empty roster in a change function (the org's first change). */
export function layoutRoster(d: RosterDoc): void {
  d.schema = ROSTER_SCHEMA
  d.rankName = {}
  d.rankLevel = {}
  d.rankPerms = {}
  for (const field of MEMBER_FIELDS) {
    const buckets: Buckets<never> = {}
    for (let b = 0; b < BUCKETS; b++) buckets[String(b)] = {}
    d[field] = buckets as never
  }
  d.invitesUsed = {}
  d.invitesRevoked = {}
}

export function memberBucket<V>(buckets: Buckets<V>, key: MemberKey | string): Record<string, V> | undefined {
  return buckets[bucketOf(key)]
}
