/**
 * Receiving remote entries and changes: the batch judged (receive-batch.ts), then what it
 * accepted written in one atomic batch and applied in memory, in rounds while entries wait
 * on changes of the same batch.
 */
import * as A from '@automerge/automerge'
import type { Entry } from '../chain/entry.ts'
import type { DocId, MemberKey } from '../ids.ts'
import { snapshotProblem } from './change-bounds.ts'
import { snapshotHeads } from './change-decoder.ts'
import { indexRemote, sameHeads } from './change-index.ts'
import { packChanges } from './change-records.ts'
import { changeKeys, maybeCompact } from './compaction.ts'
import type { BatchOp } from './database.ts'
import { changeOp } from './local-commit.ts'
import { receiveBatch } from './receive-batch.ts'
import {
  acceptedCount,
  type DocAcceptance,
  headsAfter,
  mergeInto,
  type ReceiveDeps,
  type ReceiveResult,
  type RemoteBatch,
  refuseWaiting,
} from './remote-batch.ts'
import { type DocState, type ReceiveOptions, rowOf, type StoreCore } from './store-core.ts'

/**
 * Verifies and applies a batch of remote entries and the changes they cover. Only
 * entries whose signatures, chain links, change authorship and validator verdicts
 * all pass are stored; the rest are refused with a reason.
 */
export async function receiveRemote(
  core: StoreCore,
  batch: RemoteBatch,
  options: ReceiveOptions,
): Promise<ReceiveResult> {
  return core.enqueue(async () => {
    const deps: ReceiveDeps = {
      chains: core.chains,
      validator: core.validator,
      loadDoc: async (docId: DocId) => ((await core.has(docId)) ? (await core.load(docId)).doc : null),
      ...(options.knowsAuthor === undefined ? {} : { knowsAuthor: options.knowsAuthor }),
      ...(options.scope === undefined ? {} : { scope: options.scope }),
    }
    // Anything malformed is refused by receiveBatch; snapshots only as a map of bytes.
    const offered = (batch as RemoteBatch | null)?.snapshots
    const snapshots = new Map<DocId, Uint8Array>()
    if (offered instanceof Map)
      for (const [docId, bytes] of offered) if (bytes instanceof Uint8Array) snapshots.set(docId, bytes)
    // Entries past their author's write budget are refused before any work (kind `budget`).
    const within =
      core.budget !== undefined &&
      options.budget !== false &&
      Array.isArray((batch as RemoteBatch | null)?.entries)
        ? await core.budget.admit(
            batch.entries,
            async (author, scope) => (await core.chains.head(scope, author as MemberKey))?.seq ?? 0,
          )
        : null
    const total = await receiveBatch(within === null ? batch : { ...batch, entries: within.admitted }, deps)
    await commitRemote(core, total, snapshots)
    // Entries that waited on this batch's other changes (e.g. roster heads) get another
    // round once those are written, as long as rounds make progress.
    let last = total
    for (let round = 0; round < 16 && last.waiting.length > 0 && acceptedCount(last) > 0; round++) {
      const waiting = last.waiting.splice(0)
      const changes = waiting.flatMap((e) =>
        e.changes.map((h) => last.changeBytes.get(h)).filter((c) => c !== undefined),
      )
      last = await receiveBatch({ entries: waiting, changes }, deps)
      await commitRemote(core, last, snapshots)
      mergeInto(total, last)
    }
    total.waiting.push(...last.waiting.splice(0))
    refuseWaiting(total, last.strangers)
    if (within !== null) {
      total.rejected.push(...within.refused)
      const stored = [...[...total.byDoc.values()].flatMap((a) => a.entries), ...total.entriesOnly]
      core.budget?.charge(stored, total.changeBytes)
    }
    if (total.rejected.length > 0) core.events.emit('rejected', { result: total })
    return total
  })
}

/**
 * Writes what a receive round accepted: one atomic batch, then the in-memory state. A
 * document with a snapshot that holds exactly the history it gets here is loaded from
 * it (several times faster than applying thousands of changes) and stored as it.
 */
async function commitRemote(
  core: StoreCore,
  result: ReceiveResult,
  snapshots: ReadonlyMap<DocId, Uint8Array>,
): Promise<void> {
  // Everything accepted goes to disk in one batch (changes, entries, index rows), so a
  // crash never leaves a hole in a chain or a stale row. The new documents are kept in
  // memory only once the write succeeded.
  const ops: BatchOp[] = []
  const next = new Map<DocId, DocState>()
  const totals = core.totals.batch()
  for (const [docId, acceptedHere] of result.byDoc) {
    const existing = await core.has(docId)
    const state = existing
      ? await core.load(docId)
      : { doc: A.init({ actor: core.freshActor() }), lastSeq: 0, pending: 0 }
    const snapshot = snapshots.get(docId)
    const loaded =
      snapshot === undefined ? null : loadIfHistory(core, snapshot, state.doc, acceptedHere, result)
    if (loaded !== null) {
      // The snapshot replaces the stored one and every change record since it.
      ops.push({ type: 'put', section: core.db.snapshots, key: docId, value: snapshot as Uint8Array })
      for (const key of await changeKeys(core, docId, state.lastSeq))
        ops.push({ type: 'del', section: core.db.changes, key })
      const indexed = core.indexOp(docId, loaded)
      if (indexed !== null) ops.push(indexed)
      if (indexed !== null) totals.row(docId, rowOf(indexed))
      next.set(docId, { ...state, doc: loaded, pending: 0 })
      continue
    }
    if (!existing) ops.push({ type: 'put', section: core.db.snapshots, key: docId, value: A.save(state.doc) })
    // One record for all of this batch's changes to the document: thousands of puts
    // become one (read back change by change, so damage is still caught).
    const seq = state.lastSeq + 1
    ops.push(changeOp(core, docId, seq, packChanges(acceptedHere.changes)))
    const [doc] = A.applyChanges(state.doc, acceptedHere.changes as A.Change[])
    const indexed = core.indexOp(docId, doc)
    if (indexed !== null) ops.push(indexed)
    if (indexed !== null) totals.row(docId, rowOf(indexed))
    next.set(docId, { ...state, doc, lastSeq: seq, pending: state.pending + acceptedHere.changes.length })
  }
  const accepted = [...[...result.byDoc.values()].flatMap((a) => a.entries), ...result.entriesOnly]
  // Runs of a chain share a record: a catch-up's thousands of entries are a few dozen puts.
  ops.push(...core.chains.putAllOps(accepted))
  ops.push(...(await totals.ops()))
  if (ops.length > 0) {
    try {
      // Not flushed to disk before going on: what peers sent can be fetched again, and
      // LevelDB's log is sequential, so the next flushed write (this node's own next
      // action) makes it durable too. It survives a crash of the process either way.
      await core.db.write(ops, false)
      totals.done(true)
    } catch (err) {
      totals.done(false)
      for (const docId of next.keys()) core.docs.delete(docId)
      throw err
    }
  }
  // Each chain's newest accepted entry is its head now.
  const newest = new Map<string, Entry>()
  for (const entry of accepted) {
    const chain = `${entry.scope}!${entry.author}`
    if ((newest.get(chain)?.seq ?? 0) < entry.seq) newest.set(chain, entry)
  }
  for (const entry of newest.values()) core.chains.appended(entry)
  for (const [docId, state] of next) {
    const before = core.docs.get(docId)?.doc
    core.docs.set(docId, state)
    const accepted = result.byDoc.get(docId)
    if (before !== undefined && accepted !== undefined)
      indexRemote(core.changeIndex, docId, before, state.doc, accepted)
    core.events.emit('change', {
      docId,
      origin: 'remote',
      entries: accepted?.entries ?? [],
      changes: accepted?.changes ?? [],
    })
    maybeCompact(core, docId, state)
  }
  for (const f of result.forks) await core.chains.recordFork(f[0], f[1])
}

/**
 * `bytes` loaded as a document, if it loads and holds exactly the history of `doc` plus
 * the `accepted` changes (Automerge checks on load that the heads a snapshot names are
 * those of its content; a change hash covers all its ancestors, so equal heads are an
 * equal history). Else null.
 */
function loadIfHistory(
  core: StoreCore,
  bytes: Uint8Array,
  doc: A.Doc<unknown>,
  accepted: DocAcceptance,
  result: ReceiveResult,
): A.Doc<unknown> | null {
  const heads = headsAfter(A.getHeads(doc), accepted.links)
  // The heads its header claims first: a snapshot of another state is not even loaded.
  const claimed = snapshotHeads(bytes)
  if (claimed === null || !sameHeads(claimed, heads)) return null
  // Nor one that declares more than that history holds, or inflates past the bound.
  const stats = A.stats(doc)
  const problem = snapshotProblem(bytes, {
    changes: stats.numChanges + accepted.links.length,
    ops: stats.numOps + accepted.ops,
  })
  if (problem !== null) {
    // Refused like an entry (no author): the peer that sent it answers for it.
    const reason = `snapshot refused: ${problem.reason}`
    result.rejected.push({ author: null, seq: null, hash: null, reason, kind: problem.kind })
    return null
  }
  let loaded: A.Doc<unknown>
  try {
    loaded = A.load(bytes, { actor: core.freshActor() })
  } catch {
    return null
  }
  return sameHeads(A.getHeads(loaded), heads) ? loaded : null
}
