/**
 * Merges a checked backup's documents and chains into a store through its receive path
 * (`DocumentStore.receive`), exactly like content from a peer: every entry's signature
 * and link and every change's authorship and rules are judged again, what the store
 * holds already counts as a duplicate (nothing duplicated), and CRDT merging means
 * nothing newer is overwritten. Batches stay within the receive bounds; entries that
 * wait on another batch (a roster change) are offered again while rounds make progress.
 */
import * as A from '@automerge/automerge'
import {
  BATCH_LIMITS,
  type ChangeHash,
  changeHash,
  type DocId,
  type DocumentStore,
  type Entry,
  type Refusal,
} from '../../crdt/index.ts'
import type { BackupContents } from './backup-inspect.ts'

export interface MergeOutcome {
  /** Entries the store did not hold and took. */
  readonly accepted: number
  /** Entries it held already. */
  readonly duplicates: number
  /** Entries refused, with why (none for an intact backup of this node's orgs). */
  readonly refused: readonly Refusal[]
  /** Documents the merge touched. */
  readonly documents: number
}

/** Kinds of refusal another round may clear (the entry waited on what a later batch brings). */
const RETRY: ReadonlySet<string> = new Set(['missing-dependency', 'unknown-author', 'follows-refused', 'gap'])

export async function mergeBackup(
  store: DocumentStore,
  contents: BackupContents,
  options: { onProgress?: (p: { done: number; total: number }) => void } = {},
): Promise<MergeOutcome> {
  // Every change the backup holds, by hash.
  const changes = new Map<ChangeHash, Uint8Array>()
  for (const bytes of contents.documents.values()) {
    const doc = A.load(bytes)
    for (const c of A.getAllChanges(doc)) changes.set(changeHash(c) as ChangeHash, c)
    // Freed at once: ten thousand documents left to the garbage collector grew Automerge's
    // heap until the first restore of a 10,000-member org took ten times the next.
    A.free(doc)
  }
  let pending: Entry[] = contents.chains.filter((c) => c.scope !== null).flatMap((c) => c.entries)
  const total = pending.length
  let accepted = 0
  let duplicates = 0
  const hard: Refusal[] = []
  const hardRefused = new Set<string>()
  let last = new Map<string, Refusal>()
  const docs = new Set<DocId>()
  for (let round = 0; round < 64 && pending.length > 0; round++) {
    last = new Map()
    for (const batch of batches(pending, changes)) {
      // Verified as a peer's; exempt from the write budget (the member's own history, not a flood).
      const result = await store.receive(batch, { budget: false })
      for (const d of result.byDoc.keys()) docs.add(d)
      accepted +=
        [...result.byDoc.values()].reduce((n, d) => n + d.entries.length, 0) + result.entriesOnly.length
      duplicates += result.duplicates
      for (const r of result.rejected) {
        if (r.hash !== null && RETRY.has(r.kind)) last.set(r.hash, r)
        else {
          hard.push(r)
          if (r.hash !== null) hardRefused.add(r.hash)
        }
      }
      options.onProgress?.({ done: accepted + duplicates, total })
      // Memory stays bounded by a batch's documents, not the whole backup's.
      await store.release()
    }
    // What is not stored yet waited on another batch (a roster change, an earlier entry of
    // its chain): offered again while a round takes something.
    const still: Entry[] = []
    for (const e of pending) {
      if (hardRefused.has(e.hash)) continue
      if (((await store.chains.head(e.scope, e.author))?.seq ?? 0) < e.seq) still.push(e)
    }
    const progress = pending.length - still.length
    pending = still
    if (progress === 0) break
  }
  const refused = [
    ...hard,
    ...pending.map(
      (e): Refusal =>
        last.get(e.hash) ?? {
          author: e.author,
          seq: e.seq,
          hash: e.hash,
          reason: 'was not taken: a change or an earlier entry it needs is not in the backup',
          kind: 'missing-dependency',
        },
    ),
  ]
  return { accepted, duplicates, refused, documents: docs.size }
}

/** `entries` (chains in seq order) cut into receive batches with the changes they cover. */
function* batches(
  entries: readonly Entry[],
  changes: ReadonlyMap<ChangeHash, Uint8Array>,
): Generator<{ entries: Entry[]; changes: Uint8Array[] }> {
  let out: Entry[] = []
  let bytes: Uint8Array[] = []
  for (const e of entries) {
    const covered = e.changes.map((h) => changes.get(h)).filter((c) => c !== undefined)
    if (
      out.length > 0 &&
      (out.length + 1 > BATCH_LIMITS.maxEntries || bytes.length + covered.length > BATCH_LIMITS.maxChanges)
    ) {
      yield { entries: out, changes: bytes }
      out = []
      bytes = []
    }
    out.push(e)
    bytes.push(...covered)
  }
  if (out.length > 0) yield { entries: out, changes: bytes }
}
