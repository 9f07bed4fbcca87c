/** What `op` commands take: times (ISO 8601 with an offset) and members (handle or key). */
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'

type Page<T> = { items: T[]; next: string | null }
type MemberRow = { memberKey: string; handle: string }

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

/** `--at`: an ISO 8601 time with an offset, as ms since the epoch. */
export function isoTime(flag: string): (value: string) => number {
  return (value) => {
    const ms = Date.parse(value)
    if (!ISO_WITH_OFFSET.test(value) || !Number.isFinite(ms))
      throw new CliError(
        `${flag} must be an ISO 8601 time with an offset, e.g. 2030-01-02T18:30Z or 2030-01-02T20:30+02:00 (got ${JSON.stringify(value)})`,
        { usage: true },
      )
    return ms
  }
}

const MEMBER_KEY = /^[0-9a-f]{64}$/

/** A member key, or a handle looked up in the org's members. */
export async function memberOf(api: ApiClient, org: string, given: string): Promise<string> {
  if (MEMBER_KEY.test(given)) return given
  const want = given.toLowerCase()
  let cursor: string | null = null
  do {
    const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
    const page: Page<MemberRow> = await api.request<Page<MemberRow>>(
      'GET',
      `/api/v1/orgs/${encodeURIComponent(org)}/members?limit=500${q}`,
    )
    const hit = page.items.find((m) => m.handle.toLowerCase() === want)
    if (hit !== undefined) return hit.memberKey
    cursor = page.next
  } while (cursor !== null)
  throw new CliError(`No member ${given} in this org (give a handle or a member key).`)
}
