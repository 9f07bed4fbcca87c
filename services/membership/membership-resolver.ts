/**
 * The membership resolver (rule 5 of DESIGN, strong removal as @localfirst/auth does it).
 * A removal, a leave or a rank change records the member's chain head; that member's
 * entries past it, in any document of the org, whatever roster heads they claim, are
 * judged with the reduced rights, and those that fail are masked: every view the
 * services read is a function of the set of changes without them (see causal-fold.ts),
 * so nodes that applied such an entry before they heard of the removal agree with nodes
 * that heard first. Concurrent removals are decided by seniority (the author's rank level
 * at the removal's deps, then member key, then change hash); a removal whose own change
 * is masked, or that would mask a removal already decided, has no effect.
 *
 * Only orgs whose roster records a head (`mHead`) need any of this; the others read
 * Automerge's own views. Results are cached by roster heads and the removed members'
 * chain heads.
 */
import * as A from '@automerge/automerge'
import {
  type ChangeContext,
  type ChangeHash,
  type DocId,
  type DocumentStore,
  decodeEntry,
  type Entry,
  type MemberKey,
  parseDocId,
  type Verdict,
} from '../../crdt/index.ts'

export type { MaskedEntry } from '../org/membership.ts'

import { validateHangar } from '../fleet/hangar-rules.ts'
import { validateLicenseDoc } from '../licensing/license-doc.ts'
import { validateOperation } from '../operations/op-rules.ts'
import type { AuthIndex } from '../org/auth-index.ts'
import { AuthState, type Scalar, type StateOp } from '../org/auth-state.ts'
import type { MaskedEntry, Membership } from '../org/membership.ts'
import { judgeRosterChange } from '../org/roster-rules.ts'
import type { Container, RosterDoc } from '../org/roster-schema.ts'
import { type DecodedChange, decodeAll, foldChanges, opId } from './causal-fold.ts'
import { OverlayAuth } from './overlay-auth.ts'
import { eventsOf, type RemovalEvent } from './removal-events.ts'

export interface Resolution {
  /** The org's authorization state without masked changes: what current views and decisions read. */
  readonly state: AuthState
  /** Masked change hashes per document. */
  readonly masked: ReadonlyMap<DocId, ReadonlySet<string>>
  readonly flagged: readonly MaskedEntry[]
}

export interface MembershipResolverDeps {
  readonly store: () => DocumentStore
  readonly auth: AuthIndex
}

interface RosterHistory {
  readonly key: string
  readonly order: readonly DecodedChange[]
  readonly byHash: ReadonlyMap<string, DecodedChange>
  readonly events: readonly (RemovalEvent & { readonly seniority: number })[]
  readonly containers: ReadonlyMap<string, Container>
}

export class MembershipResolver implements Membership {
  private readonly deps: MembershipResolverDeps
  private readonly histories = new Map<string, RosterHistory>()
  private readonly resolutions = new Map<string, { key: string; resolution: Resolution }>()
  private readonly views = new Map<DocId, { key: string; tree: Record<string, unknown> }>()

  constructor(deps: MembershipResolverDeps) {
    this.deps = deps
  }

  /** The org's resolution, or null when this node does not hold its roster. */
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
    const seqs = await Promise.all(targets.map(async (t) => (await chains.head(t))?.seq ?? 0))
    const key = `${history.key}|${seqs.join(',')}`
    const hit = this.resolutions.get(orgId)
    if (hit?.key === key) return hit.resolution
    const resolution = await this.compute(orgId, history)
    this.resolutions.set(orgId, { key, resolution })
    return resolution
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

  private async roster(orgId: string): Promise<A.Doc<RosterDoc> | null> {
    const id = parseDocId(`org:${orgId}`)
    const store = this.deps.store()
    return (await store.has(id)) ? store.get<RosterDoc>(id) : null
  }

  private async history(orgId: string, roster: A.Doc<RosterDoc>): Promise<RosterHistory | null> {
    const key = [...A.getHeads(roster)].sort().join(',')
    const hit = this.histories.get(orgId)
    if (hit?.key === key) return hit
    const containers = await this.deps.auth.containersOf(orgId, roster)
    if (containers === null) return null
    const order = decodeAll(roster as A.Doc<unknown>)
    const events: (RemovalEvent & { seniority: number })[] = []
    for (const change of order) {
      for (const e of eventsOf(change, containers)) {
        const at = await this.deps.auth.stateAt(orgId, change.deps as ChangeHash[])
        events.push({ ...e, seniority: at?.levelOf(e.author) ?? 0 })
      }
    }
    events.sort(
      (a, b) =>
        b.seniority - a.seniority ||
        cmp(a.author, b.author) ||
        cmp(a.change, b.change) ||
        cmp(a.target, b.target),
    )
    const history = {
      key,
      order,
      byHash: new Map(order.map((c) => [c.hash as string, c])),
      events,
      containers,
    }
    this.histories.set(orgId, history)
    return history
  }

  private async compute(orgId: string, history: RosterHistory): Promise<Resolution> {
    const rosterDoc = parseDocId(`org:${orgId}`)
    const maskedChanges = new Set<string>()
    const held = new Set<string>()
    const flagged = new Map<string, MaskedEntry>()
    for (const e of history.events) {
      if (maskedChanges.has(e.change)) continue // its author had lost the right to make it
      const found: MaskedEntry[] = []
      for (const entry of await this.entriesPast(orgId, e.target, e.cutoff)) {
        const claimed =
          entry.doc === rosterDoc
            ? claimedDeps(entry, history.byHash)
            : (entry.authHeads as readonly string[])
        if (descends(claimed, e.change, history.byHash)) continue // made knowing of it: judged on receipt
        if (e.effect.kind === 'rank' && (await this.passes(orgId, entry, e.effect.rank, history))) continue
        found.push({
          docId: entry.doc as DocId,
          author: entry.author,
          seq: entry.seq,
          action: entry.action,
          resource: entry.resource,
          time: entry.time,
          changes: entry.changes,
          removal: e.change,
          why: e.effect.kind === 'rank' ? 'demoted' : e.effect.kind,
        })
      }
      // Seniority: a later-decided removal never undoes one that holds.
      if (found.some((m) => m.changes.some((h) => held.has(h)))) continue
      held.add(e.change)
      for (const m of found) {
        for (const h of m.changes) maskedChanges.add(h)
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
    const state = effectiveState(history, maskedChanges)
    const list = [...flagged.values()].sort((a, b) => cmp(a.author, b.author) || a.seq - b.seq)
    return { state, masked, flagged: list }
  }

  /** `member`'s entries past `cutoff` that touch a document of this org. */
  private async entriesPast(orgId: string, member: MemberKey, cutoff: number): Promise<Entry[]> {
    const out: Entry[] = []
    for await (const signed of this.deps.store().chains.entries(member, { from: cutoff + 1 })) {
      const d = decodeEntry(signed)
      if (d.ok && d.entry.doc !== null && d.entry.changes.length > 0 && inOrg(d.entry.doc, orgId))
        out.push(d.entry)
    }
    return out
  }

  /** Whether an entry is allowed with its author holding `rank` at the heads it claims. */
  private async passes(orgId: string, entry: Entry, rank: string, history: RosterHistory): Promise<boolean> {
    const auth = new OverlayAuth(this.deps.auth, entry.author, rank)
    const docId = entry.doc as DocId
    if (docId === `org:${orgId}`) {
      for (const hash of entry.changes) {
        const change = history.byHash.get(hash)
        if (change === undefined) return false
        const state = await auth.stateAt(orgId, change.deps as ChangeHash[])
        if (state === null) return false
        const judged = judgeRosterChange({
          author: entry.author,
          entry,
          change,
          state,
          containers: history.containers,
        })
        if (!judged.ok) return false
      }
      return true
    }
    const store = this.deps.store()
    const bytes = await store.changesByHash(docId, entry.changes)
    const changeBytes = entry.changes.map((h) => bytes.get(h))
    if (changeBytes.some((b) => b === undefined)) return false
    const changes = (changeBytes as Uint8Array[]).map((b) => A.decodeChange(b))
    const doc = await store.get<unknown>(docId)
    const first = changes[0] as DecodedChange
    const ctx: ChangeContext = {
      docId,
      entry,
      changes,
      changeBytes: changeBytes as Uint8Array[],
      origin: 'remote',
      doc: first.deps.length === 0 ? A.init() : A.clone(A.view(doc, first.deps)),
      prior: [],
    }
    return (await judgeWith(ctx, auth)).ok
  }
}

function judgeWith(ctx: ChangeContext, auth: AuthIndex): Verdict | Promise<Verdict> {
  const type = ctx.docId.slice(0, ctx.docId.indexOf(':'))
  if (type === 'hangar') return validateHangar(ctx, auth)
  if (type === 'op') return validateOperation(ctx, auth)
  if (type === 'license') return validateLicenseDoc(ctx, auth)
  return { ok: false, reason: `no rules accept ${type} documents` }
}

/** Whether any member's chain head was ever recorded (never deleted, so visible if ever set). */
function recordsHeads(roster: A.Doc<RosterDoc>): boolean {
  const heads = roster.mHead as Record<string, Record<string, number>> | undefined
  if (heads === undefined) return false
  for (const bucket of Object.values(heads)) for (const _ in bucket) return true
  return false
}

function inOrg(docId: string, orgId: string): boolean {
  return (
    docId === `org:${orgId}` ||
    docId === `license:${orgId}` ||
    docId.startsWith(`hangar:${orgId}.`) ||
    docId.startsWith(`op:${orgId}.`)
  )
}

/** The roster heads a roster entry was made at: its changes' deps outside the entry. */
function claimedDeps(entry: Entry, byHash: ReadonlyMap<string, DecodedChange>): string[] {
  const own = new Set<string>(entry.changes)
  const out = new Set<string>()
  for (const h of entry.changes) for (const d of byHash.get(h)?.deps ?? []) if (!own.has(d)) out.add(d)
  return [...out]
}

/** Whether `target` is `heads` or in their causal past. */
function descends(
  heads: readonly string[],
  target: string,
  byHash: ReadonlyMap<string, DecodedChange>,
): boolean {
  const seen = new Set<string>()
  const stack = [...heads]
  while (stack.length > 0) {
    const h = stack.pop() as string
    if (h === target) return true
    if (seen.has(h)) continue
    seen.add(h)
    for (const d of byHash.get(h)?.deps ?? []) stack.push(d)
  }
  return false
}

/** The authorization state folded over the roster's changes without the masked ones. */
function effectiveState(history: RosterHistory, masked: ReadonlySet<string>): AuthState {
  const ops: StateOp[] = []
  for (const change of history.order) {
    if (masked.has(change.hash as string)) continue
    for (const [i, raw] of change.ops.entries()) {
      const op = raw as { action: string; obj: string; key?: unknown; value?: unknown; pred?: string[] }
      const container = history.containers.get(op.obj)
      if (container === undefined || typeof op.key !== 'string') continue
      if (op.action !== 'set' && op.action !== 'del') continue
      ops.push({
        id: opId(change, i),
        container,
        key: op.key,
        action: op.action,
        value: op.action === 'set' ? (op.value as Scalar) : null,
        pred: op.pred ?? [],
      })
    }
  }
  return AuthState.empty().apply(ops)
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
