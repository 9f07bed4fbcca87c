/**
 * The membership resolver (rule 5 of DESIGN, strong removal as @localfirst/auth does it).
 * A removal, a leave or a rank change records the member's chain head; that member's
 * entries past it, in any document of the org, whatever roster heads they claim, are
 * judged with the reduced rights, and those that fail are masked: the authorization
 * state (current, and at any roster heads a change is judged at) and every view the
 * services read are functions of the set of changes without them (causal-fold.ts), so a
 * node that applied such an entry before it heard of the removal agrees with one that
 * heard first. Entries made knowing of the removal (their claimed heads descend from it)
 * were judged on receipt already.
 *
 * Concurrent removals are decided by seniority: the author's rank level at the removal's
 * deps, then member key, then change hash. A removal whose own change is masked, or that
 * would mask a removal already decided, has no effect (two officers kicking each other:
 * exactly one kick holds, the same everywhere).
 *
 * Only orgs whose roster records a head (`mHead`) need any of this; the others read
 * Automerge's own state and documents.
 */
import * as A from '@automerge/automerge'
import {
  type ChangeHash,
  type DocId,
  type DocumentStore,
  decodeEntry,
  type Entry,
  type MemberKey,
  parseDocId,
} from '../../crdt/index.ts'
import { orgOfDoc } from '../document-types.ts'
import type { AuthIndex, MaskedEntry, Membership, RosterDoc } from '../org/index.ts'
import { AuthState, takesRightsAway } from '../org/index.ts'
import { type DecodedChange, decodeAll, foldChanges } from './causal-fold.ts'
import { passesWith } from './rejudge.ts'
import type { RemovalEvent } from './removal-events.ts'
import {
  ancestors,
  claimedDeps,
  descends,
  foldState,
  type RosterHistory,
  rosterHistory,
} from './roster-history.ts'

export type { MaskedEntry } from '../org/index.ts'

export interface Resolution {
  /** The org's current authorization state without masked changes. */
  readonly state: AuthState
  /** Masked change hashes per document. */
  readonly masked: ReadonlyMap<DocId, ReadonlySet<string>>
  readonly flagged: readonly MaskedEntry[]
}

export interface MembershipResolverDeps {
  readonly store: () => DocumentStore
  readonly auth: AuthIndex
}

/** The removals that hold at some roster heads, and the roster entries they mask. */
interface RosterVerdict {
  readonly held: readonly RemovalEvent[]
  readonly masked: ReadonlySet<string>
  readonly found: readonly MaskedEntry[]
}

const MEMO_LIMIT = 8192

export class MembershipResolver implements Membership {
  private readonly deps: MembershipResolverDeps
  private readonly histories = new Map<string, RosterHistory>()
  private readonly resolutions = new Map<string, { key: string; resolution: Resolution }>()
  private readonly views = new Map<DocId, { key: string; tree: Record<string, unknown> }>()
  /** Entries judged per removal, over the whole roster: up to which seq, and those masked. */
  private readonly scanned = new Map<string, { upTo: number; found: MaskedEntry[] }>()
  /** Effective recorded heads, per removal. */
  private readonly cutoffs = new Map<string, number>()
  /** Decoded entries of removed or re-ranked members, from some seq on. */
  /** By `org!member`: the member's chain in that org. */
  private readonly entries = new Map<string, { from: number; upTo: number; list: Entry[] }>()
  /** Verdicts that never change: whether an entry passes with a rank, whether heads descend from a change. */
  private readonly memo = new Map<string, boolean>()

  constructor(deps: MembershipResolverDeps) {
    this.deps = deps
  }

  async current(orgId: string): Promise<AuthState | null> {
    return (await this.resolve(orgId))?.state ?? null
  }

  async maskedDocs(orgId: string): Promise<ReadonlySet<DocId>> {
    return new Set((await this.resolve(orgId))?.masked.keys() ?? [])
  }

  async flagged(orgId: string): Promise<readonly MaskedEntry[]> {
    return (await this.resolve(orgId))?.flagged ?? []
  }

  /**
   * The state at roster `heads` without masked changes, or null when nothing there is
   * masked (then Automerge's state at those heads is the state). What `AuthIndex.stateAt`
   * asks, so changes are judged on it too.
   */
  async stateAt(
    orgId: string,
    roster: A.Doc<RosterDoc>,
    heads: readonly ChangeHash[],
  ): Promise<AuthState | null> {
    if (!recordsHeads(roster)) return null
    const history = await this.history(orgId, roster)
    if (history === null) return null
    const scope = ancestors(heads, history.byHash)
    if (!history.events.some((e) => scope.has(e.change))) return null
    const verdict = await this.judgeRoster(orgId, history, scope)
    if (verdict.masked.size === 0) return null
    // Decided without the masked changes; new ops still overwrite what Automerge shows.
    const raw = AuthState.fromDoc(roster, history.containers, heads)
    return AuthState.masked(foldState(history, verdict.masked, scope), raw)
  }

  /** The org's current resolution, or null when this node does not hold its roster. */
  async resolve(orgId: string): Promise<Resolution | null> {
    const roster = await this.roster(orgId)
    if (roster === null) return null
    const heads = A.getHeads(roster) as ChangeHash[]
    if (!recordsHeads(roster)) {
      const state = await this.deps.auth.stateAt(orgId, heads)
      return state === null ? null : { state, masked: new Map(), flagged: [] }
    }
    const history = await this.history(orgId, roster)
    if (history === null) return null
    const chains = this.deps.store().chains
    const targets = [...new Set(history.events.map((e) => e.target))].sort()
    const seqs = await Promise.all(targets.map(async (t) => (await chains.head(orgId, t))?.seq ?? 0))
    const key = `${[...heads].sort().join(',')}|${seqs.join(',')}`
    const hit = this.resolutions.get(orgId)
    if (hit?.key === key) return hit.resolution
    const resolution = await this.compute(orgId, history, heads)
    this.resolutions.set(orgId, { key, resolution })
    return resolution
  }

  /**
   * A document as the services should read it: null when nothing in it is masked (read
   * the Automerge document), else the plain tree without the masked changes.
   */
  async view(orgId: string, docId: DocId, doc: A.Doc<unknown>): Promise<Record<string, unknown> | null> {
    const masked = (await this.resolve(orgId))?.masked.get(docId)
    if (masked === undefined || masked.size === 0) return null
    const key = `${[...A.getHeads(doc)].sort().join(',')}|${[...masked].sort().join(',')}`
    const hit = this.views.get(docId)
    if (hit?.key === key) return hit.tree
    const tree = foldChanges(decodeAll(doc), masked)
    this.views.set(docId, { key, tree })
    return tree
  }

  private async compute(orgId: string, history: RosterHistory, heads: ChangeHash[]): Promise<Resolution> {
    const verdict = await this.judgeRoster(orgId, history, null)
    const flagged = new Map(verdict.found.map((m) => [`${m.author}!${m.seq}`, m]))
    // The removals that hold mask the member's entries in the org's other documents too.
    for (const e of verdict.held) {
      for (const m of await this.maskedBy(orgId, e, e.cutoff, history, 'other', null)) {
        if (!flagged.has(`${m.author}!${m.seq}`)) flagged.set(`${m.author}!${m.seq}`, m)
      }
    }
    const masked = new Map<DocId, Set<string>>()
    for (const m of flagged.values()) {
      let set = masked.get(m.docId)
      if (set === undefined) {
        set = new Set()
        masked.set(m.docId, set)
      }
      for (const h of m.changes) set.add(h)
    }
    // The same state changes are judged on at these heads (computed by `stateAt`, cached).
    const state = await this.deps.auth.stateAt(orgId, heads)
    const list = [...flagged.values()].sort((a, b) => cmp(a.author, b.author) || a.seq - b.seq)
    return { state: state ?? foldState(history, verdict.masked, null), masked, flagged: list }
  }

  /** Decides which removals in `scope` (null: the whole roster) hold, and the roster entries they mask. */
  private async judgeRoster(
    orgId: string,
    history: RosterHistory,
    scope: ReadonlySet<string> | null,
  ): Promise<RosterVerdict> {
    const events: (RemovalEvent & { seniority: number })[] = []
    for (const e of history.events) {
      if (scope !== null && !scope.has(e.change)) continue
      const change = history.byHash.get(e.change) as DecodedChange
      const at = await this.deps.auth.stateAt(orgId, change.deps as ChangeHash[])
      if (at !== null && e.effect.kind === 'rights' && !takesRightsAway(at, e.target, e.effect.overlay))
        continue
      events.push({ ...e, seniority: at?.levelOf(e.author) ?? 0 })
    }
    events.sort(
      (a, b) =>
        b.seniority - a.seniority ||
        cmp(a.author, b.author) ||
        cmp(a.change, b.change) ||
        cmp(a.target, b.target),
    )
    const masked = new Set<string>()
    const held = new Set<string>()
    const heldEvents: RemovalEvent[] = []
    const found: MaskedEntry[] = []
    for (const e of events) {
      if (masked.has(e.change)) continue // its author had lost the right to make it
      const cutoff = await this.cutoffOf(orgId, e, history)
      const mine = await this.maskedBy(orgId, e, cutoff, history, 'roster', scope)
      // Seniority: a removal decided later never undoes one that holds.
      if (mine.some((m) => m.changes.some((h) => held.has(h)))) continue
      held.add(e.change)
      heldEvents.push({ ...e, cutoff })
      for (const m of mine) {
        for (const h of m.changes) masked.add(h)
        found.push(m)
      }
    }
    return { held: heldEvents, masked, found }
  }

  /**
   * The entries of `e`'s member past `cutoff` that `e` masks, in the roster or in the
   * org's other documents, within `scope` (null: everywhere). Verdicts never change, so
   * over the whole roster each entry is judged once and later calls judge only new ones.
   */
  private async maskedBy(
    orgId: string,
    e: RemovalEvent,
    cutoff: number,
    history: RosterHistory,
    which: 'roster' | 'other',
    scope: ReadonlySet<string> | null,
  ): Promise<readonly MaskedEntry[]> {
    const key = `${which}|${e.change}|${e.target}|${cutoff}`
    const before = scope === null ? this.scanned.get(key) : undefined
    // A new record each time: concurrent calls must not append to one list twice.
    const done = { upTo: before?.upTo ?? cutoff, found: [...(before?.found ?? [])] }
    const rosterDoc = `org:${orgId}`
    for (const entry of await this.entriesPast(orgId, e.target, done.upTo)) {
      done.upTo = Math.max(done.upTo, entry.seq)
      if ((entry.doc === rosterDoc) !== (which === 'roster')) continue
      if (scope !== null && !entry.changes.every((h) => scope.has(h))) continue
      const claimed =
        which === 'roster' ? claimedDeps(entry, history.byHash) : (entry.authHeads as readonly string[])
      if (await this.stands(orgId, entry, claimed, e, history)) continue
      done.found.push(masking(entry, e))
    }
    if (scope === null) {
      if (this.scanned.size >= MEMO_LIMIT) this.scanned.clear()
      this.scanned.set(key, done)
    }
    return done.found
  }

  /**
   * The head `e` counts from: the recorded one, or later if the remover had already seen
   * (in the roster it acted on) an entry of the member past it. A remover cannot take
   * back what its own change shows it knew, and so a removal never masks anything in its
   * own causal past: the state after a change is the state at its deps plus its ops.
   */
  private async cutoffOf(orgId: string, e: RemovalEvent, history: RosterHistory): Promise<number> {
    const key = `c|${e.change}|${e.target}`
    const hit = this.cutoffs.get(key)
    if (hit !== undefined) return hit
    let past: Set<string> | null = null
    let cutoff = e.cutoff
    for (const entry of await this.entriesPast(orgId, e.target, e.cutoff)) {
      if (entry.doc !== `org:${orgId}`) continue
      past ??= ancestors([e.change], history.byHash)
      if (entry.seq > cutoff && entry.changes.some((h) => past?.has(h))) cutoff = entry.seq
    }
    if (this.cutoffs.size >= MEMO_LIMIT) this.cutoffs.clear()
    this.cutoffs.set(key, cutoff)
    return cutoff
  }

  /** Whether an entry past `e`'s recorded head keeps its effect: made knowing of `e`, or allowed under it. */
  private async stands(
    orgId: string,
    entry: Entry,
    claimed: readonly string[],
    e: RemovalEvent,
    history: RosterHistory,
  ): Promise<boolean> {
    const knew = `d|${e.change}|${[...claimed].sort().join(',')}`
    let descendsFrom = this.memo.get(knew)
    if (descendsFrom === undefined) {
      descendsFrom = descends(claimed, e.change, history.byHash)
      this.remember(knew, descendsFrom)
    }
    if (descendsFrom) return true // judged on receipt, with the removal in view
    if (e.effect.kind !== 'rights') return false
    const key = `p|${entry.hash}|${e.change}`
    const hit = this.memo.get(key)
    if (hit !== undefined) return hit
    const ok = await passesWith(this.deps, orgId, entry, e.effect.overlay, history)
    this.remember(key, ok)
    return ok
  }

  private remember(key: string, value: boolean): void {
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear()
    this.memo.set(key, value)
  }

  private async roster(orgId: string): Promise<A.Doc<RosterDoc> | null> {
    const id = parseDocId(`org:${orgId}`)
    const store = this.deps.store()
    return (await store.has(id)) ? store.get<RosterDoc>(id) : null
  }

  private async history(orgId: string, roster: A.Doc<RosterDoc>): Promise<RosterHistory | null> {
    const hit = this.histories.get(orgId)
    if (hit?.doc === roster) return hit
    const containers = await this.deps.auth.containersOf(orgId, roster)
    if (containers === null) return null
    const history = rosterHistory(roster, containers, hit)
    this.histories.set(orgId, history)
    return history
  }

  /**
   * `member`'s entries in this org's chain past `cutoff` that touch a document. Entries
   * never change once stored, so each is read and decoded once; later calls read only new ones.
   */
  private async entriesPast(orgId: string, member: MemberKey, cutoff: number): Promise<Entry[]> {
    const key = `${orgId}!${member}`
    let cached = this.entries.get(key)
    if (cached === undefined || cached.from > cutoff + 1) {
      cached = { from: cutoff + 1, upTo: cutoff, list: [] }
      this.entries.set(key, cached)
    }
    const chains = this.deps.store().chains
    const head = (await chains.head(orgId, member))?.seq ?? 0
    if (head > cached.upTo) {
      for await (const signed of chains.entries(orgId, member, { from: cached.upTo + 1 })) {
        const d = decodeEntry(signed)
        if (!d.ok) continue
        cached.upTo = Math.max(cached.upTo, d.entry.seq)
        if (d.entry.doc !== null && d.entry.changes.length > 0) cached.list.push(d.entry)
      }
    }
    return cached.list.filter((e) => e.seq > cutoff && orgOfDoc(e.doc as string) === orgId)
  }
}

function masking(entry: Entry, e: RemovalEvent): MaskedEntry {
  return {
    docId: entry.doc as DocId,
    author: entry.author,
    seq: entry.seq,
    action: entry.action,
    resource: entry.resource,
    time: entry.time,
    changes: entry.changes,
    removal: e.change,
    why: e.effect.kind === 'rights' ? 'demoted' : e.effect.kind,
  }
}

/** Whether any member's chain head was ever recorded (never deleted, so visible if ever set). */
function recordsHeads(roster: A.Doc<RosterDoc>): boolean {
  const heads = roster.mHead as Record<string, Record<string, number>> | undefined
  if (heads === undefined) return false
  for (const bucket of Object.values(heads)) for (const _ in bucket) return true
  return false
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
