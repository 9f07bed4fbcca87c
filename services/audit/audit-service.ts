/**
 * The audit trail of an org: its members' signed chain entries, listed newest first with
 * filters and a cursor, verified chain by chain, and exported (JSON Lines or CSV).
 * Reading needs `audit:view`; verifying needs only membership (anyone in the org can check
 * that no one rewrote history); exporting needs `audit:view` and the org's license to
 * carry `audit-export`. Every member's node holds the chains on disk: the permission is
 * the API's, not a secret.
 */
import { stringify } from 'csv-stringify/sync'
import { type ChainStore, isMemberKey, type MemberKey } from '../../crdt/index.ts'
import type { AuthState } from '../org/index.ts'
import { InvalidInputError, PermissionDeniedError } from '../org/index.ts'
import { type AuditEntry, type AuditFilter, auditEntry, matches } from './audit-entry.ts'
import { type AuditVerification, verifyOrgChains } from './chain-verdicts.ts'
import { compareKeys, decodeCursor, type EntryKey, encodeCursor } from './entry-key.ts'
import { MergedChains } from './merged-chains.ts'
import { type KeyFilter, TrailIndex, textHash } from './trail-index.ts'

export const AUDIT_PAGE_DEFAULT = 50
export const AUDIT_PAGE_MAX = 500

export const AUDIT_FORMATS = ['jsonl', 'csv'] as const
export type AuditFormat = (typeof AUDIT_FORMATS)[number]

export const AUDIT_CSV_COLUMNS = [
  'time',
  'author',
  'seq',
  'action',
  'resource',
  'doc',
  'changes',
  'hash',
  'prev',
  'details',
] as const

export interface AuditPage {
  readonly items: AuditEntry[]
  /** The cursor of the next page; null when nothing is left. */
  readonly next: string | null
  /** Entries that match, on every page (null with a `doc` filter). */
  readonly total: number | null
}

export interface AuditServiceInit {
  readonly chains: ChainStore
  /** This node's member key: whose rights are checked. */
  readonly self: MemberKey
  /** The org's current authorization state (throws `OrgNotFoundError`). */
  readonly state: (orgId: string) => Promise<AuthState>
  /** The license gate for exports (`FeatureLockedError` without `audit-export`). */
  readonly gate: { require(orgId: string, feature: 'audit-export'): Promise<void> }
}

export class AuditService {
  readonly #c: AuditServiceInit
  /** By org: built on the org's first listing, kept current by each listing. */
  readonly #indexes = new Map<string, TrailIndex>()

  constructor(init: AuditServiceInit) {
    this.#c = init
  }

  /**
   * One page, newest first (by recorded time, then author, then seq). Cost: the org's
   * `TrailIndex` (built on the first listing, then only entries appended since are read),
   * a binary search for the cursor, a walk of the in-memory keys, and one point read per
   * entry shown (a `doc` filter matches by hash, confirmed on the entry).
   */
  async list(
    orgId: string,
    filter: AuditFilter,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<AuditPage> {
    await this.#require(orgId, 'reading the audit trail', true)
    const f = checkFilter(filter)
    const limit = page.limit ?? AUDIT_PAGE_DEFAULT
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX)
      throw new InvalidInputError('limit', `a whole number from 1 to ${AUDIT_PAGE_MAX}`)
    const top = untilBound(f)
    let bound = top
    if (page.cursor !== undefined) {
      const c = decodeCursor(page.cursor)
      if (bound === null || compareKeys(c, bound) < 0) bound = c
    }
    const index = this.#index(orgId)
    await index.refresh()
    const keys: KeyFilter = {
      member: f.member,
      action: f.action,
      docHash: f.doc === undefined ? undefined : textHash(f.doc),
      since: f.since,
    }
    const items: AuditEntry[] = []
    let more = true
    let last: EntryKey | null = null
    while (more && items.length < limit) {
      const walked = index.walk(bound, keys, limit - items.length)
      more = walked.more
      for (const k of walked.keys) {
        const e = await this.#c.chains.get(orgId, k.author as MemberKey, k.seq)
        if (e !== null && matches(e, f)) items.push(auditEntry(e))
        last = k
      }
      if (last !== null) bound = last
      if (walked.keys.length === 0) break
    }
    return {
      items,
      next: more && last !== null ? encodeCursor(last) : null,
      total: f.doc === undefined ? index.count(top, keys) : null,
    }
  }

  /** Every chain of the org verified (every signature checked), with the evidence of each issue. */
  async verify(orgId: string): Promise<AuditVerification> {
    await this.#require(orgId, 'verifying the audit trail', false)
    return verifyOrgChains(this.#c.chains, orgId)
  }

  /**
   * The filtered trail as lines of `format`, newest first, read a batch at a time (never
   * held whole). The rights and the license are checked before the first line.
   */
  async export(orgId: string, format: unknown, filter: AuditFilter): Promise<AsyncIterable<string>> {
    if (!(AUDIT_FORMATS as readonly unknown[]).includes(format))
      throw new InvalidInputError('format', `one of ${AUDIT_FORMATS.join(', ')}`)
    await this.#require(orgId, 'exporting the audit trail', true)
    await this.#c.gate.require(orgId, 'audit-export')
    const f = checkFilter(filter)
    const merged = await this.#open(orgId, f, untilBound(f))
    return lines(merged, f, format as AuditFormat)
  }

  #index(orgId: string): TrailIndex {
    let index = this.#indexes.get(orgId)
    if (index === undefined) {
      index = new TrailIndex(this.#c.chains, orgId)
      this.#indexes.set(orgId, index)
    }
    return index
  }

  async #open(orgId: string, f: AuditFilter, bound: EntryKey | null): Promise<MergedChains> {
    const authors = f.member !== undefined ? [f.member] : await this.#c.chains.authors(orgId)
    return MergedChains.open(this.#c.chains, orgId, authors, bound)
  }

  async #require(orgId: string, what: string, view: boolean): Promise<void> {
    const state = await this.#c.state(orgId)
    const me = this.#c.self
    if (!state.isMember(me))
      throw new PermissionDeniedError(what, view ? 'audit:view' : 'membership of the org', null)
    if (view && !state.can(me, 'audit:view'))
      throw new PermissionDeniedError(what, 'audit:view', state.rank(state.rankOf(me) ?? '')?.name ?? null)
  }
}

async function* lines(merged: MergedChains, f: AuditFilter, format: AuditFormat): AsyncGenerator<string> {
  if (format === 'csv') yield stringify([[...AUDIT_CSV_COLUMNS]])
  while (true) {
    const e = await merged.take()
    if (e === null || (f.since !== undefined && e.time < f.since)) return
    if (!matches(e, f)) continue
    const a = auditEntry(e)
    if (format === 'jsonl') yield `${JSON.stringify(a)}\n`
    else
      yield stringify([
        [
          new Date(a.time).toISOString(),
          a.author,
          a.seq,
          a.action,
          a.resource,
          a.doc ?? '',
          a.changes,
          a.hash,
          a.prev ?? '',
          JSON.stringify(a.details),
        ],
      ])
  }
}

/** The filter, checked (each bad one names its field). */
function checkFilter(f: AuditFilter): AuditFilter {
  if (f.member !== undefined && !isMemberKey(f.member))
    throw new InvalidInputError('member', 'must be a member key (64 hex characters)')
  if (f.action !== undefined && (f.action.length === 0 || f.action.length > 64))
    throw new InvalidInputError('action', 'must be an action name (e.g. ship.add)')
  if (f.doc !== undefined && (f.doc.length === 0 || f.doc.length > 256))
    throw new InvalidInputError('doc', 'must be a document id or resource (at most 256 characters)')
  for (const field of ['since', 'until'] as const) {
    const t = f[field]
    if (t !== undefined && (!Number.isSafeInteger(t) || t < 0))
      throw new InvalidInputError(field, 'must be a time in whole milliseconds since the epoch')
  }
  if (f.since !== undefined && f.until !== undefined && f.since > f.until)
    throw new InvalidInputError('since', 'must not be after until')
  return f
}

/** The exclusive bound that keeps entries up to `until` (inclusive). */
function untilBound(f: AuditFilter): EntryKey | null {
  return f.until === undefined ? null : { time: f.until + 1, author: '', seq: 0 }
}
