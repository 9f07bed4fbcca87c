/**
 * The change bytes of recently served documents by hash, for peers catching up: a
 * catch-up asks for thousands, batch by batch, and Automerge's lookup per hash is slow.
 * Kept for the `CHANGE_INDEX_DOCS` documents served last, each as of the heads named,
 * and brought up to date with the changes since (local ones as they are made, accepted
 * remote ones as they are written), so a change never forces a full rebuild.
 */
import * as A from '@automerge/automerge'
import type { ChangeHash, DocId } from '../ids.ts'
import { changeHash } from './change-decoder.ts'
import { type DocAcceptance, headsAfter } from './remote-batch.ts'

/** Documents whose hash → change index is kept for the next catch-up (the last served). */
const CHANGE_INDEX_DOCS = 64

/** A document's change bytes by hash, as of `heads` (the state `doc`, while it is current). */
export interface ChangeIndex {
  heads: string[]
  doc: A.Doc<unknown>
  readonly byHash: Map<ChangeHash, Uint8Array>
}

/** Those of `hashes` the document holds, by hash: for peers catching up. */
export function changesByHash(
  indexes: Map<DocId, ChangeIndex>,
  docId: DocId,
  doc: A.Doc<unknown>,
  hashes: readonly ChangeHash[],
): Map<ChangeHash, Uint8Array> {
  // From an index of the document's changes (a catch-up asks for thousands, batch by
  // batch; Automerge's lookup per hash is slow), built once per document and extended by
  // the changes since the heads it was last brought to (this node's own changes as it
  // makes them: see `indexLocal`). A history that lost those heads (a document reloaded
  // after a failed write) is indexed afresh.
  let index = indexes.get(docId)
  // The most recently served documents only (a Map iterates in insertion order).
  indexes.delete(docId)
  if (index?.doc !== doc) {
    const heads = A.getHeads(doc)
    if (index === undefined || !A.hasHeads(doc, index.heads)) {
      index = { heads, doc, byHash: new Map() }
      for (const c of A.getAllChanges(doc)) index.byHash.set(changeHash(c) as ChangeHash, c)
    } else {
      if (index.heads.join() !== heads.join())
        for (const c of A.getChangesSince(doc, index.heads)) index.byHash.set(changeHash(c) as ChangeHash, c)
      index.heads = heads
      index.doc = doc
    }
  }
  indexes.set(docId, index)
  for (const oldest of indexes.keys()) {
    if (indexes.size <= CHANGE_INDEX_DOCS) break
    indexes.delete(oldest)
  }
  const out = new Map<ChangeHash, Uint8Array>()
  for (const h of hashes) {
    const c = index.byHash.get(h)
    if (c !== undefined) out.set(h, c)
  }
  return out
}

/**
 * A local change `hash` made `after` from `before`: a change index kept for the document
 * as of `before` takes it, so serving the new state costs no Automerge call (a local
 * change depends on every head, so it is the only head after it).
 */
export function indexLocal(
  indexes: ReadonlyMap<DocId, ChangeIndex>,
  docId: DocId,
  before: A.Doc<unknown>,
  after: A.Doc<unknown>,
  hash: ChangeHash,
  change: Uint8Array,
): void {
  const index = indexes.get(docId)
  if (index?.doc !== before) return
  index.byHash.set(hash, change)
  index.heads = [hash]
  index.doc = after
}

/**
 * Accepted remote changes made `after` from `before`: a change index kept for the document
 * as of `before` takes them (their hashes were taken when they were judged), so serving
 * the new state costs no pass over the document's history. Only if `after` holds exactly
 * those changes more (its heads are those they lead to); else the index is brought up to
 * date when next asked, as before.
 */
export function indexRemote(
  indexes: ReadonlyMap<DocId, ChangeIndex>,
  docId: DocId,
  before: A.Doc<unknown>,
  after: A.Doc<unknown>,
  accepted: DocAcceptance,
): void {
  const index = indexes.get(docId)
  if (index?.doc !== before) return
  const heads = A.getHeads(after)
  if (!sameHeads(heads, headsAfter(index.heads, accepted.links))) return
  for (const [i, link] of accepted.links.entries())
    index.byHash.set(link.hash, accepted.changes[i] as Uint8Array)
  index.heads = heads
  index.doc = after
}

export function sameHeads(a: readonly string[], b: ReadonlySet<string>): boolean {
  return a.length === b.size && a.every((h) => b.has(h))
}
