/**
 * The last stage of receiving a batch (receive-batch.ts): verified entries judged in an
 * order that respects dependencies across authors. Only now, covered by a verified entry
 * of a known author, is a change's structure read (its run lengths summed, never
 * expanded) and then decoded: a change in the canonical form is read once, by the
 * decoder, which is bounded by itself (change-decoder.ts). Each entry's changes must be
 * in the batch (or already held), within the bounds (change-bounds.ts), made by an actor
 * of the entry's author, with all dependencies present, and allowed by the validator.
 */
import * as A from '@automerge/automerge'
import type { Entry } from '../chain/entry.ts'
import type { ChangeHash, DocId } from '../ids.ts'
import { acceptedBy, type HeldChange } from './batch-decode.ts'
import {
  type BoundsProblem,
  CHANGE_BOUNDS,
  type ChangeOutline,
  isProblem,
  outlineChange,
} from './change-bounds.ts'
import { decodeCanonicalChange, decodeOutlinedChange } from './change-decoder.ts'
import type { ChangeLink, ReceiveDeps, ReceiveResult, RefuseRest } from './remote-batch.ts'
import type { RefusalKind, Verdict } from './validator.ts'

/** A judge's answer: not yet, a dependency is still queued in this batch. */
const WAIT = Symbol('wait')

/**
 * Judges the verified `queues` (one per chain) against the batch's `changes`, recording
 * acceptances and refusals in `result`; entries still waiting on a change of this batch
 * (or a validator's pending verdict) are left in `result.waiting`.
 */
export async function judgeQueues(
  queues: readonly Entry[][],
  changes: ReadonlyMap<ChangeHash, HeldChange>,
  deps: ReceiveDeps,
  result: ReceiveResult,
  refuseRest: RefuseRest,
): Promise<void> {
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

/** A judge's answer: accepted (null), not yet (WAIT), or why not. */
type Judgement = { readonly reason: string; readonly kind: RefusalKind } | null | typeof WAIT

function no(reason: string, kind: RefusalKind): Judgement {
  return { reason, kind }
}
