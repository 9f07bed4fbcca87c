/**
 * Members and ranks as people name them on the command line: a member by handle or by
 * the start of their key, a rank by id or name (or the start of either), any case. A
 * name that fits several says which; one that fits none says what there is.
 */
import type { MemberListItem, MemberView, RankView } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'

/** The shortest key prefix people are asked to give. */
const MIN_PREFIX = 4
const PAGE = 500

export const orgPath = (org: string) => `/api/v1/orgs/${encodeURIComponent(org)}`

/** Every page of a paginated list at `path` (`?limit=…&cursor=…` added). */
export async function allPages<T>(api: ApiClient, path: string, query = ''): Promise<T[]> {
  const out: T[] = []
  let cursor: string | null = null
  do {
    const params = new URLSearchParams(query)
    params.set('limit', String(PAGE))
    if (cursor !== null) params.set('cursor', cursor)
    const page: { items: T[]; next: string | null } = await api.request('GET', `${path}?${params}`)
    out.push(...page.items)
    cursor = page.next
  } while (cursor !== null)
  return out
}

/** Picks the one candidate `given` names, or explains. */
function pick<T>(given: string, what: string, exact: T[], prefixed: T[], label: (t: T) => string): T {
  const found = exact.length > 0 ? exact : prefixed
  if (found.length === 1) return found[0] as T
  if (found.length === 0) throw new CliError(`No ${what} ${given}.`, { kind: 'not-found' })
  const shown = found.slice(0, 8).map(label).join(', ')
  throw new CliError(
    `${given} fits ${found.length} ${what}s (${shown}${found.length > 8 ? ', …' : ''}): give more of it.`,
    { usage: true },
  )
}

/** A member of `org` by handle or key (its start, at least 4 hex characters). */
export async function resolveMember(api: ApiClient, org: string, given: string): Promise<MemberListItem> {
  const want = given.toLowerCase()
  const members = await allPages<MemberListItem>(api, `${orgPath(org)}/members`)
  const exact = members.filter((m) => m.handle.toLowerCase() === want || m.memberKey === want)
  const prefixed =
    /^[0-9a-f]+$/.test(want) && want.length >= MIN_PREFIX
      ? members.filter((m) => m.memberKey.startsWith(want))
      : members.filter((m) => m.handle.toLowerCase().startsWith(want))
  return pick(given, 'member', exact, prefixed, (m) => `${m.handle} ${m.memberKey.slice(0, 12)}`)
}

/** A member's key: `given` as is when it is a whole key (no lookup), else as `resolveMember`. */
export async function memberKeyOf(api: ApiClient, org: string, given: string): Promise<string> {
  if (/^[0-9a-f]{64}$/.test(given)) return given
  return (await resolveMember(api, org, given)).memberKey
}

/** A rank of `org` by id or name (or the start of either), any case. */
export async function resolveRankRef(api: ApiClient, org: string, given: string): Promise<RankView> {
  const want = given.toLowerCase()
  const ranks = await api.request<RankView[]>('GET', `${orgPath(org)}/ranks`)
  const exact = ranks.filter((r) => r.id === want || r.name.toLowerCase() === want)
  const prefixed = ranks.filter((r) => r.id.startsWith(want) || r.name.toLowerCase().startsWith(want))
  if (exact.length === 0 && prefixed.length === 0)
    throw new CliError(`No rank ${given}; ranks: ${ranks.map((r) => r.name).join(', ')}`, {
      kind: 'not-found',
    })
  return pick(given, 'rank', exact, prefixed, (r) => `${r.name} (${r.id})`)
}

/**
 * The handles of `keys`, for people (one lookup per distinct key; a key no longer in the
 * org, or a caller without members:view, is left out: print the key).
 */
export async function handlesOf(
  api: ApiClient,
  org: string,
  keys: Iterable<string>,
): Promise<Map<string, string>> {
  const handles = new Map<string, string>()
  for (const key of new Set(keys)) {
    const member = await api.request<MemberView>('GET', `${orgPath(org)}/members/${key}`).catch(() => null)
    if (member !== null) handles.set(key, member.handle)
  }
  return handles
}
