/**
 * Judging a batch of remote entries and the Automerge changes they cover. Pure with
 * respect to storage: it reads chain heads and documents, and returns what to store.
 *
 * An entry is accepted only if it decodes, belongs to the scope the batch is for
 * (`ReceiveDeps.scope`; the node-local chain never travels), its author is known to the
 * store's owner (`ReceiveDeps.knowsAuthor`), it continues its (scope, author) chain as
 * stored (hash link and seq), is vouched for by a valid signature (one per linked run), every change it lists
 * is in the batch (or already held), within the bounds (change-bounds.ts), made by an
 * actor of the entry's author (actor ids start with the member key), with all
 * dependencies present, and the validator allows it. A refused entry refuses every later
 * entry of the same chain in the batch: the chain must stay unbroken.
 *
 * Work follows trust: entries are decoded first (small, bounded); changes are only
 * hashed to match them to entries; a change's structure is read (its run lengths
 * summed, never expanded) and then decoded only once a verified entry of a known author
 * covers it; such a change in the canonical form is read once, by the decoder, which is
 * bounded by itself (change-decoder.ts). Changes no such entry covers are dropped unread.
 */
import * as A from '@automerge/automerge'
import type { ChainStore } from '../chain/chain-store.ts'
import type { Entry, EntryScope, SignedEntry } from '../chain/entry.ts'
import { decodeEntry } from '../chain/entry-decode.ts'
import { inSeqOrder, verifyEntryChain } from '../chain/verify.ts'
import { ed25519Verify, fromHex } from '../crypto.ts'
import type { ChangeHash, DocId, EntryHash, MemberKey } from '../ids.ts'
import {
  type BoundsProblem,
  CHANGE_BOUNDS,
  type ChangeOutline,
  changeChunkHash,
  isProblem,
  outlineChange,
} from './change-bounds.ts'
import { decodeCanonicalChange, decodeOutlinedChange } from './change-decoder.ts'
import type { ChangeValidator, RefusalKind, Verdict } from './validator.ts'

/** A judge's answer: not yet, a dependency is still queued in this batch. */
const WAIT = Symbol('wait')

export const BATCH_LIMITS = {
  maxEntries: 20_000,
  maxChanges: 40_000,
  maxChangeBytes: CHANGE_BOUNDS.maxChangeBytes,
} as const

export interface RemoteBatch {
  readonly entries: readonly SignedEntry[]
  readonly changes: readonly Uint8Array[]
  /**
   * Documents in compact form as the sender holds them after these changes. The store
   * loads one instead of applying the accepted changes only if it holds exactly the
   * history this node has plus those changes (same heads); otherwise it is ignored.
   */
  readonly snapshots?: ReadonlyMap<DocId, Uint8Array>
}

export interface Refusal {
  readonly author: MemberKey | null
  readonly seq: number | null
  readonly hash: EntryHash | null
  readonly reason: string
  /** Why, as a type: offences are decided on this, never on `reason`'s wording. */
  readonly kind: RefusalKind
}

export interface DocAcceptance {
  readonly entries: Entry[]
  /** Change bytes in an order that respects dependencies. */
  readonly changes: Uint8Array[]
  /** Each of those changes' hash and dependencies, in the same order. */
  readonly links: ChangeLink[]
  /** Ops those changes declare, in all (bounds a snapshot that stands for them). */
  ops: number
}

export interface ChangeLink {
  readonly hash: ChangeHash
  readonly deps: readonly ChangeHash[]
}

/** The heads of a document with `heads` once `links` (in dependency order) are applied. */
export function headsAfter(heads: readonly string[], links: readonly ChangeLink[]): Set<string> {
  const out = new Set<string>(heads)
  for (const l of links) {
    for (const d of l.deps) out.delete(d)
    out.add(l.hash)
  }
  return out
}

export interface ReceiveResult {
  /** Accepted entries with document changes, grouped by document. */
  readonly byDoc: Map<DocId, DocAcceptance>
  /** Accepted entries that change no document. */
  readonly entriesOnly: Entry[]
  readonly rejected: Refusal[]
  /** Chains whose batch started past our head: fetch their entries after `after`. */
  readonly missing: { scope: EntryScope; author: MemberKey; after: number }[]
  /** Two signed entries with one seq: proof of equivocation. */
  readonly forks: [Entry, Entry][]
  /** Entries we already held. */
  duplicates: number
  /**
   * Verified entries that could not be judged yet: they depend on changes (of another
   * document, e.g. roster heads) accepted in this batch. The store judges them again
   * once the accepted ones are written.
   */
  readonly waiting: Entry[]
  /** The batch's changes by hash, for such a second round. */
  readonly changeBytes: ChangeBytes
  /** Authors `knowsAuthor` did not know (their entries wait: this batch may introduce them). */
  readonly strangers: Set<MemberKey>
}

/** A batch's change bytes by hash (a view of what the batch held, not a copy). */
export interface ChangeBytes {
  get(hash: ChangeHash): Uint8Array | undefined
}

export interface ReceiveDeps {
  readonly chains: ChainStore
  readonly validator: ChangeValidator
  /** The document as held now, or null if this node has none yet. */
  readonly loadDoc: (docId: DocId) => Promise<A.Doc<unknown> | null>
  /**
   * Whether `author` may have entries here at all (e.g. is or was a member of the org the
   * batch came for), asked before any of its entries is verified or any change it covers
   * is read. Absent: every author is.
   */
  readonly knowsAuthor?: AuthorGate
  /**
   * The scope every entry of the batch must have (the org it came for); an entry of
   * another scope is refused (`wrong-scope`) as soon as it is decoded, before any
   * signature check. Absent: any shared scope. The node-local chain is never taken.
   */
  readonly scope?: string
}

/** See `ReceiveDeps.knowsAuthor`; `entries`: the author's entries in the batch, in seq order. */
export type AuthorGate = (author: MemberKey, entries: readonly Entry[]) => boolean | Promise<boolean>

interface HeldChange {
  readonly bytes: Uint8Array
  /** Its chunk hash (`changeChunkHash`), taken when the batch came in. */
  readonly hash: ChangeHash
  /** Read once a verified entry covers the change. */
  outline?: ChangeOutline | BoundsProblem
  /** The document (its view) that accepted the change in this batch, once one has. */
  acceptedIn?: object
  /** Any other documents that did (the same bytes, covered again for another document). */
  alsoIn?: Set<object>
}

/** Whether the document `s` accepted `c` in this batch. */
function acceptedBy(c: HeldChange | undefined, s: object): boolean {
  return c !== undefined && (c.acceptedIn === s || (c.alsoIn?.has(s) ?? false))
}

/** Refuses entries still waiting when no further round can help (`strangers`: authors still unknown). */
export function refuseWaiting(
  result: ReceiveResult,
  strangers: ReadonlySet<MemberKey> = result.strangers,
): void {
  const firstOf = new Map<string, Entry>()
  for (const e of result.waiting) if (!firstOf.has(chainOf(e))) firstOf.set(chainOf(e), e)
  for (const e of result.waiting) {
    const first = firstOf.get(chainOf(e)) as Entry
    const stranger = strangers.has(e.author)
    result.rejected.push({
      author: e.author,
      seq: e.seq,
      hash: e.hash,
      ...(e !== first
        ? { reason: `follows refused entry ${first.seq}`, kind: 'follows-refused' as const }
        : stranger
          ? { reason: 'the author is not known here', kind: 'unknown-author' as const }
          : { reason: 'depends on changes this node does not hold', kind: 'missing-dependency' as const }),
    })
  }
  result.waiting.length = 0
}

export async function receiveBatch(batch: RemoteBatch, deps: ReceiveDeps): Promise<ReceiveResult> {
  const result: ReceiveResult = {
    byDoc: new Map(),
    entriesOnly: [],
    rejected: [],
    missing: [],
    forks: [],
    duplicates: 0,
    waiting: [],
    changeBytes: { get: (hash) => changes.get(hash)?.bytes },
    strangers: new Set(),
  }
  // Changes are only hashed here: nothing is read inside them until an entry covers them.
  const changes = new Map<ChangeHash, HeldChange>()
  const refuse = (e: Entry | null, reason: string, kind: RefusalKind): void => {
    result.rejected.push({
      author: e?.author ?? null,
      seq: e?.seq ?? null,
      hash: e?.hash ?? null,
      reason,
      kind,
    })
  }
  const refuseRest = (rest: readonly Entry[], first: Entry, reason: string, kind: RefusalKind): void => {
    for (const e of rest)
      if (e === first) refuse(e, reason, kind)
      else refuse(e, `follows refused entry ${first.seq}`, 'follows-refused')
  }
  if (
    typeof batch !== 'object' ||
    batch === null ||
    !Array.isArray(batch.entries) ||
    !Array.isArray(batch.changes)
  ) {
    refuse(null, 'malformed batch', 'malformed')
    return result
  }
  if (batch.entries.length > BATCH_LIMITS.maxEntries || batch.changes.length > BATCH_LIMITS.maxChanges) {
    refuse(null, 'batch too large', 'oversize')
    return result
  }

  for (const bytes of batch.changes) {
    const hash = bytes instanceof Uint8Array ? changeChunkHash(bytes) : null
    if (hash === null || typeof hash !== 'string') {
      refuse(null, `change refused: ${hash?.reason ?? 'not bytes'}`, hash?.kind ?? 'malformed')
      continue
    }
    changes.set(hash as ChangeHash, { bytes, hash: hash as ChangeHash })
  }
  /** A batch change's outline (dependencies, actor, op count), read once and only when needed. */
  const outline = (c: HeldChange): ChangeOutline | BoundsProblem => {
    c.outline ??= outlineChange(c.bytes, c.hash)
    return c.outline
  }
  /** What `coveredOutline` decoded on its last call, if it did. */
  let justDecoded: A.DecodedChange | null = null
  /**
   * `outline(c)` for a change a verified entry covers, about to be decoded (`opsLeft`: of
   * the entry's bound): a change in the canonical form is decoded at once and its outline taken from that (one read, not
   * two: the canonical decoder is bounded by itself, and what it reads is within the bounds
   * with the same outline); anything else is outlined first, as every change is elsewhere.
   */
  const coveredOutline = (c: HeldChange, opsLeft: number): ChangeOutline | BoundsProblem => {
    justDecoded = null
    if (c.outline !== undefined) return c.outline
    let d: A.DecodedChange | null = null
    try {
      // Never more ops than the entry has left: past that, the outline refuses it unread.
      d = decodeCanonicalChange(c.bytes, c.hash, undefined, opsLeft)
    } catch {
      // Left to the outline and the decode after it, which refuse it with a reason.
    }
    if (d === null) return outline(c)
    justDecoded = d
    c.outline = { hash: c.hash, deps: d.deps, actor: d.actor, ops: d.ops.length }
    return c.outline
  }

  /** Entries by chain (`chainOf`). */
  const byChain = new Map<string, Entry[]>()
  /** The list of the last entry's chain: a batch sends a chain's entries together. */
  let last: Entry[] | null = null
  for (const signed of batch.entries) {
    const d = decodeEntry(signed)
    if (!d.ok) {
      refuse(null, `undecodable entry: ${d.reason}`, 'malformed')
      continue
    }
    const { scope } = d.entry
    if (scope === null || (deps.scope !== undefined && scope !== deps.scope)) {
      // Costs nothing: refused before its signature is checked or a change it covers is read.
      refuse(
        d.entry,
        scope === null ? 'a node-local entry never travels' : 'an entry of another org',
        'wrong-scope',
      )
      continue
    }
    const prior = last?.[0]
    if (last !== null && prior?.author === d.entry.author && prior.scope === scope) {
      last.push(d.entry)
      continue
    }
    const chain = chainOf(d.entry)
    let list = byChain.get(chain)
    if (list === undefined) {
      list = []
      byChain.set(chain, list)
    }
    list.push(d.entry)
    last = list
  }

  /** A document being judged; a change it accepted in this batch has it as `acceptedIn`. */
  interface DocView {
    readonly doc: A.Doc<unknown> | null
    /** Whether the document holds a change, as found out so far. */
    readonly holds: Map<ChangeHash, boolean>
  }
  const docs = new Map<DocId, DocView>()
  let emptyDoc: A.Doc<unknown> | null = null
  const empty = (): A.Doc<unknown> => {
    emptyDoc ??= A.init()
    return emptyDoc
  }
  const docState = async (docId: DocId): Promise<DocView> => {
    let s = docs.get(docId)
    if (s === undefined) {
      s = { doc: await deps.loadDoc(docId), holds: new Map() }
      docs.set(docId, s)
    }
    return s
  }
  /**
   * Whether the document holds `hash`. A document holds a change only with all its
   * dependencies, so a batch change with a dependency it lacks is not asked about: on a
   * catch-up, Automerge is asked once for the first new change, not for every one.
   */
  const holds = (s: DocView, hash: ChangeHash, depth = 0): boolean => {
    if (s.doc === null) return false
    const known = s.holds.get(hash)
    if (known !== undefined) return known
    const c = changes.get(hash)
    const o = c === undefined ? undefined : outline(c)
    const lacksDep =
      o !== undefined &&
      !isProblem(o) &&
      depth < 64 &&
      (o.deps as ChangeHash[]).some((d) => !holds(s, d, depth + 1))
    const v = !lacksDep && A.hasHeads(s.doc, [hash])
    s.holds.set(hash, v)
    return v
  }
  /** Whether the document has `hash`: accepted in this batch (`c`: the batch's change of that hash) or held. */
  const held = (s: DocView, hash: ChangeHash, c: HeldChange | undefined): boolean =>
    acceptedBy(c, s) || holds(s, hash)

  const queues: Entry[][] = []
  for (const list of byChain.values()) {
    const sorted = inSeqOrder(list)
    const { author, scope } = sorted[0] as Entry
    // An author the owner does not know costs nothing more: no signature, no change read.
    if (deps.knowsAuthor !== undefined && !(await deps.knowsAuthor(author, sorted))) {
      result.strangers.add(author)
      result.waiting.push(...sorted)
      continue
    }
    const head = await deps.chains.head(scope, author)
    const fresh: Entry[] = []
    for (const e of sorted) {
      if (head !== null && e.seq <= head.seq) {
        const mine = e.seq === head.seq ? head : await deps.chains.get(scope, author, e.seq)
        if (mine?.hash === e.hash) result.duplicates++
        else if (mine !== null && ed25519Verify(fromHex(author), e.bytes, e.signature)) {
          result.forks.push([mine, e])
          refuse(e, `fork: a second signed entry ${e.seq}`, 'fork')
        } else refuse(e, 'conflicts with a stored entry and does not verify', 'conflict')
      } else fresh.push(e)
    }
    if (fresh.length === 0) continue
    const after = head === null ? undefined : { seq: head.seq, hash: head.hash }
    const first = fresh[0] as Entry
    if (first.seq !== (head?.seq ?? 0) + 1) {
      result.missing.push({ scope, author, after: head?.seq ?? 0 })
      for (const e of fresh) refuse(e, `missing earlier entries (have up to ${head?.seq ?? 0})`, 'gap')
      continue
    }
    const report = verifyEntryChain(author, fresh, { signatures: 'head', scope, ...(after ? { after } : {}) })
    const verifiedUpTo = report.head?.seq ?? 0
    const queue: Entry[] = []
    for (let i = 0; i < fresh.length; i++) {
      const e = fresh[i] as Entry
      if (e.seq <= verifiedUpTo) {
        queue.push(e)
        continue
      }
      const issue = report.issues.find((x) => x.kind === 'tampered' && x.seq === e.seq)
      const reason = `entry ${e.seq} does not verify${issue?.kind === 'tampered' ? `: ${issue.reason}` : ''}`
      refuseRest(fresh.slice(i), e, reason, 'bad-signature')
      break
    }
    if (queue.length > 0) queues.push(queue)
  }

  // Every document an entry changes, loaded before judging (judging then only waits
  // for a validator that needs to).
  for (const queue of queues) for (const e of queue) if (e.doc !== null) await docState(e.doc)

  // Judge entries in an order that respects dependencies across authors: each round
  // takes every author's next entry whose changes' dependencies are now held.
  // A cursor per queue (shift() on long queues would be quadratic).
  const cursors = queues.map(() => 0)
  let progress = true
  while (progress) {
    progress = false
    for (const [q, queue] of queues.entries()) {
      let at = cursors[q] as number
      while (at < queue.length) {
        const e = queue[at] as Entry
        let verdict = judge(e, queue, at)
        if (verdict instanceof Promise) verdict = await verdict
        if (verdict === WAIT) break
        at++
        progress = true
        if (verdict !== null) {
          refuseRest(queue.slice(at - 1), e, verdict.reason, verdict.kind)
          at = queue.length
        }
      }
      cursors[q] = at
    }
  }
  for (const [q, queue] of queues.entries()) result.waiting.push(...queue.slice(cursors[q]))
  return result

  /**
   * Checks one verified entry's changes and records acceptance. Null when accepted, WAIT
   * when a dependency is in this batch but not yet accepted, else why not; a promise of
   * that only when the validator answers asynchronously.
   */
  function judge(e: Entry, queue: readonly Entry[], at: number): Judgement | Promise<Judgement> {
    if (e.doc === null) {
      result.entriesOnly.push(e)
      return null
    }
    const docId = e.doc
    const s = docs.get(docId) as DocView
    /** The entry's changes, each with its outline read and within the bounds. */
    const covered: (HeldChange & { readonly outline: ChangeOutline })[] = []
    /** Those already decoded (by `coveredOutline`), by position in `covered`. */
    const decodedNow: (A.DecodedChange | null)[] = []
    /** The entry's own changes judged so far, as a set once there are more than a few. */
    let inEntry: Set<ChangeHash> | null = null
    const ownChange = (hash: ChangeHash): boolean => {
      if (inEntry !== null) return inEntry.has(hash)
      for (const c of covered) if (c.hash === hash) return true
      return false
    }
    let ops = 0
    for (const hash of e.changes) {
      // A change is covered by exactly one entry, stored with it: a new entry claiming a
      // held change is claiming someone else's work.
      const c = changes.get(hash)
      if (held(s, hash, c)) return no(`change ${short(hash)} is already covered by another entry`, 'rule')
      if (c === undefined) return no(`change ${short(hash)} is not in the batch`, 'missing-dependency')
      const o = coveredOutline(c, CHANGE_BOUNDS.maxOps - ops)
      const d = justDecoded
      if (isProblem(o)) return no(`change ${short(hash)}: ${o.reason}`, o.kind)
      ops += o.ops
      if (ops > CHANGE_BOUNDS.maxOps)
        return no(`the entry's changes declare more than ${CHANGE_BOUNDS.maxOps} ops`, 'oversize')
      // An actor id starts with its member's key: a change is its entry author's own.
      if (!o.actor.startsWith(e.author))
        return no(`change ${short(hash)} has another author than its entry`, 'rule')
      for (const dep of o.deps as ChangeHash[]) {
        const inBatch = changes.get(dep)
        if (held(s, dep, inBatch) || ownChange(dep)) continue
        if (inBatch !== undefined) return WAIT
        return no(`change ${short(hash)} depends on a change not held`, 'missing-dependency')
      }
      covered.push(c as HeldChange & { readonly outline: ChangeOutline })
      decodedNow.push(d)
      if (inEntry !== null) inEntry.add(hash)
      else if (covered.length > 8) inEntry = new Set(covered.map((x) => x.hash))
    }
    // Only now, within the bounds and covered by a verified entry, are the changes decoded
    // (those in the canonical form already are, as they were outlined).
    let decoded: A.DecodedChange[]
    try {
      decoded = covered.map((c, i) => decodedNow[i] ?? decodeOutlinedChange(c.bytes, c.outline))
    } catch (err) {
      return no(`a change does not decode: ${(err as Error).message}`, 'malformed')
    }
    const verdict = deps.validator.validate({
      docId,
      entry: e,
      changes: decoded,
      changeBytes: covered.map((c) => c.bytes),
      origin: 'remote',
      doc: s.doc ?? empty(),
      prior: result.byDoc.get(docId)?.changes ?? [],
      following: (limit) => following(queue, at, docId, limit),
    })
    const record = (v: Verdict): Judgement => {
      if (!v.ok) return v.pending ? WAIT : no(v.reason, v.kind ?? 'rule')
      for (const c of covered)
        if (c.acceptedIn === undefined) c.acceptedIn = s
        else if (c.acceptedIn !== s) {
          c.alsoIn ??= new Set()
          c.alsoIn.add(s)
        }
      const acc = result.byDoc.get(docId) ?? { entries: [], changes: [], links: [], ops: 0 }
      acc.entries.push(e)
      acc.ops += ops
      for (const c of covered) {
        acc.changes.push(c.bytes)
        acc.links.push(c.outline as ChangeOutline & ChangeLink) // its hash and deps: no copy
      }
      result.byDoc.set(docId, acc)
      return null
    }
    return verdict instanceof Promise ? verdict.then(record) : record(verdict)
  }

  /** See `ChangeContext.following`: from the entries after `queue[at]`, in order. */
  function following(queue: readonly Entry[], at: number, docId: DocId, limit: number): Uint8Array[] {
    const out: Uint8Array[] = []
    for (let k = at + 1; k < queue.length && out.length < limit; k++) {
      const next = queue[k] as Entry
      if (next.doc !== docId) continue
      for (const hash of next.changes) {
        const c = changes.get(hash)
        const o = c === undefined ? undefined : outline(c)
        // What the judge would refuse before reading it is not given early either.
        if (o === undefined || isProblem(o) || !o.actor.startsWith(next.author)) return out
        out.push((c as HeldChange).bytes)
      }
    }
    return out
  }
}

/** A change hash as a refusal names it. */
function short(hash: string): string {
  return hash.slice(0, 12)
}

/** The key of an entry's chain: its scope and author. */
function chainOf(e: Entry): string {
  return `${e.scope}!${e.author}`
}

/** A judge's answer: accepted (null), not yet (WAIT), or why not. */
type Judgement = { readonly reason: string; readonly kind: RefusalKind } | null | typeof WAIT

function no(reason: string, kind: RefusalKind): Judgement {
  return { reason, kind }
}

/** How many entries a receive round accepted. */
export function acceptedCount(r: ReceiveResult): number {
  let n = r.entriesOnly.length
  for (const d of r.byDoc.values()) n += d.entries.length
  return n
}

/** Adds a later round's outcome to the first round's result. */
export function mergeInto(total: ReceiveResult, round: ReceiveResult): void {
  for (const [docId, acc] of round.byDoc) {
    const into = total.byDoc.get(docId)
    if (into === undefined) total.byDoc.set(docId, acc)
    else {
      into.entries.push(...acc.entries)
      into.changes.push(...acc.changes)
      into.links.push(...acc.links)
      into.ops += acc.ops
    }
  }
  total.entriesOnly.push(...round.entriesOnly)
  total.rejected.push(...round.rejected)
  total.missing.push(...round.missing)
  total.forks.push(...round.forks)
  total.duplicates += round.duplicates
}
