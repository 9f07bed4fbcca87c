/**
 * What a receive takes and gives: a batch of remote entries and the changes they cover
 * (`RemoteBatch`), what judging it needs (`ReceiveDeps`), and its outcome
 * (`ReceiveResult`: accepted entries by document, refusals with a reason and a kind),
 * with the helpers that combine rounds. Judging a batch: receive-batch.ts.
 */
import type * as A from '@automerge/automerge'
import type { Entry, EntryScope, SignedEntry } from '../chain/entry.ts'
import type { ChangeHash, DocId, EntryHash, MemberKey } from '../ids.ts'
import type { ChainStore } from './chain-store.ts'
import { CHANGE_BOUNDS } from './change-bounds.ts'
import type { ChangeValidator, RefusalKind } from './validator.ts'

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

/** Records a refusal of `e` (null: of something that is no entry) in a result. */
export type Refuse = (e: Entry | null, reason: string, kind: RefusalKind) => void
/** Refuses `first` for `reason` and the rest of `rest` (the entries after it in its chain) as following it. */
export type RefuseRest = (rest: readonly Entry[], first: Entry, reason: string, kind: RefusalKind) => void

/** The refusal recorders of `result`. */
export function refusals(result: ReceiveResult): { refuse: Refuse; refuseRest: RefuseRest } {
  const refuse: Refuse = (e, reason, kind) => {
    result.rejected.push({
      author: e?.author ?? null,
      seq: e?.seq ?? null,
      hash: e?.hash ?? null,
      reason,
      kind,
    })
  }
  const refuseRest: RefuseRest = (rest, first, reason, kind) => {
    for (const e of rest)
      if (e === first) refuse(e, reason, kind)
      else refuse(e, `follows refused entry ${first.seq}`, 'follows-refused')
  }
  return { refuse, refuseRest }
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

/** The key of an entry's chain: its scope and author. */
export function chainOf(e: Entry): string {
  return `${e.scope}!${e.author}`
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
