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
    for (const c of A.getAllChanges(A.load(bytes))) changes.set(changeHash(c) as ChangeHash, c)
  }
  let pending: Entry[] = contents.chains.filter((c) => c.scope !== null).flatMap((c) => c.entries)
  const total = pending.length
  let accepted = 0
  let duplicates = 0
  let refused: Refusal[] = []
  const docs = new Set<DocId>()
  for (let round = 0; round < 32 && pending.length > 0; round++) {
    const retry: Entry[] = []
    refused = []
    let progress = 0
    for (const batch of batches(pending, changes)) {
      const result = await store.receive(batch)
      const took =
        [...result.byDoc.values()].reduce((n, d) => n + d.entries.length, 0) + result.entriesOnly.length
      for (const d of result.byDoc.keys()) docs.add(d)
      accepted += took
      duplicates += result.duplicates
      progress += took + result.duplicates
      const byKey = new Map<string, Entry[]>()
      for (const e of batch.entries)
        byKey.set(`${e.author}!${e.seq}`, [...(byKey.get(`${e.author}!${e.seq}`) ?? []), e])
      for (const r of result.rejected) {
        const same = r.author === null ? undefined : byKey.get(`${r.author}!${r.seq}`)
        const e = same?.find((x) => x.hash === r.hash) ?? same?.[0]
        if (e !== undefined && RETRY.has(r.kind)) retry.push(e)
        else refused.push(r)
      }
      options.onProgress?.({ done: accepted + duplicates, total })
    }
    pending = retry
    if (progress === 0) break
  }
  if (pending.length > 0 && refused.length === 0)
    refused = pending.map((e) => ({
      author: e.author,
      seq: e.seq,
      hash: e.hash,
      reason: 'depends on changes the backup does not hold',
      kind: 'missing-dependency' as const,
    }))
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
