/**
 * The org's first change: the founder lays out the roster, the default ranks and
 * themself as Leader. Judged by materializing it and comparing with the only allowed
 * shape.
 */
import * as A from '@automerge/automerge'
import type { MemberKey } from '../../crdt/index.ts'
import { AuthState } from './auth-state.ts'
import { deriveOrgId } from './org-id.ts'
import { DEFAULT_RANKS, encodeGrants } from './permissions.ts'
import {
  BUCKETS,
  bucketOf,
  type Container,
  containerIndex,
  INVITE_FIELDS,
  MEMBER_FIELDS,
  ROSTER_SCHEMA,
  type RosterDoc,
  text,
} from './roster-schema.ts'
import { VALID } from './validation.ts'

export type CreateJudgement =
  | { readonly ok: true; readonly after: AuthState; readonly containers: Map<string, Container> }
  | { readonly ok: false; readonly reason: string }

const TOP_KEYS = [
  'schema',
  'org',
  'rankName',
  'rankLevel',
  'rankPerms',
  ...MEMBER_FIELDS,
  ...INVITE_FIELDS,
].sort()

export function judgeRosterCreate(input: {
  readonly orgId: string
  readonly author: MemberKey
  readonly change: A.DecodedChange
  readonly bytes: Uint8Array
}): CreateJudgement {
  const refuse = (reason: string): CreateJudgement => ({
    ok: false,
    reason: `invalid org creation: ${reason}`,
  })
  const { change, author } = input
  if (change.deps.length !== 0) return refuse('the first change must have no dependencies')
  for (const op of change.ops as { action: string }[]) {
    if (op.action !== 'makeMap' && op.action !== 'set') return refuse(`op ${op.action} is not allowed`)
  }
  let doc: A.Doc<RosterDoc>
  try {
    ;[doc] = A.applyChanges(A.init<RosterDoc>(), [input.bytes])
  } catch {
    return refuse('the change does not apply')
  }
  const js = A.toJS(doc) as unknown as Record<string, unknown>
  if (Object.keys(js).sort().join() !== TOP_KEYS.join()) return refuse('wrong top-level layout')
  if (js.schema !== ROSTER_SCHEMA) return refuse('unknown schema version')
  const rawOrg = js.org as Record<string, unknown>
  if (typeof rawOrg !== 'object' || rawOrg === null) return refuse('no org')
  // Scalar strings come back as ImmutableString: read them as plain strings.
  const org = Object.fromEntries(Object.entries(rawOrg).map(([k, v]) => [k, text(v) ?? v]))
  const expectOrg = ['deletedAt', 'description', 'founded', 'id', 'name', 'nonce', 'owner', 'tag']
  if (Object.keys(org).sort().join() !== expectOrg.join()) return refuse('wrong org fields')
  if (typeof org.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(org.nonce)) return refuse('bad nonce')
  if (org.id !== input.orgId || deriveOrgId(author, org.nonce) !== input.orgId) {
    return refuse('the org id is not bound to this founder')
  }
  if (org.owner !== author) return refuse('the owner must be the founder')
  if (org.deletedAt !== null || !Number.isSafeInteger(org.founded)) return refuse('bad founding time')
  for (const key of ['name', 'tag', 'description']) {
    const problem = VALID.rosterValue({ kind: 'org' }, key, org[key] as string)
    if (problem !== null) return refuse(problem)
  }
  for (const rank of DEFAULT_RANKS) {
    const name = text((js.rankName as Record<string, unknown>)[rank.id])
    const level = (js.rankLevel as Record<string, unknown>)[rank.id]
    const perms = text((js.rankPerms as Record<string, unknown>)[rank.id])
    if (name !== rank.name || level !== rank.level || perms !== encodeGrants(rank.permissions)) {
      return refuse(`default rank ${rank.id} is not as specified`)
    }
  }
  for (const f of ['rankName', 'rankLevel', 'rankPerms']) {
    if (Object.keys(js[f] as object).length !== DEFAULT_RANKS.length)
      return refuse('only the default ranks at creation')
  }
  const home = bucketOf(author)
  for (const field of MEMBER_FIELDS) {
    const buckets = js[field] as Record<string, Record<string, unknown>>
    if (Object.keys(buckets).length !== BUCKETS) return refuse(`${field} must have ${BUCKETS} buckets`)
    for (let b = 0; b < BUCKETS; b++) {
      const bucket = buckets[String(b)]
      if (typeof bucket !== 'object' || bucket === null) return refuse(`${field}/${b} missing`)
      const keys = Object.keys(bucket)
      const founderOnly = ['mRank', 'mHandle', 'mJoined'].includes(field) && String(b) === home
      if (keys.length !== (founderOnly ? 1 : 0) || (founderOnly && keys[0] !== author)) {
        return refuse('only the founder may be on the roster at creation')
      }
    }
  }
  const founder = (f: string) => {
    const v = (js[f] as Record<string, Record<string, unknown>>)[home]?.[author]
    return text(v) ?? v
  }
  if (founder('mRank') !== 'leader') return refuse('the founder must be Leader')
  if (
    VALID.rosterValue(
      { kind: 'member', field: 'mHandle', bucket: home },
      author,
      founder('mHandle') as string,
    )
  ) {
    return refuse('invalid founder handle')
  }
  if (!Number.isSafeInteger(founder('mJoined'))) return refuse('invalid founder join time')
  for (const f of INVITE_FIELDS)
    if (Object.keys(js[f] as object).length !== 0) return refuse('no invites at creation')
  // Every string must be a scalar (ImmutableString), never collaborative text.
  const containers = containerIndex(doc)
  return { ok: true, after: AuthState.fromDoc(doc, containers), containers }
}
