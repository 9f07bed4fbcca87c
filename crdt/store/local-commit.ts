/**
 * A local change: made on the document, bound to a new signed entry of this node's chain,
 * judged by the validator like a remote one, and written with its entry in one atomic
 * batch; only then is the in-memory document advanced.
 */
import * as A from '@automerge/automerge'
import { type Entry, type EntryScope, signEntry } from '../chain/entry.ts'
import { ChangeRefusedError } from '../errors.ts'
import type { ChangeHash, DocId } from '../ids.ts'
import { isProblem, outlineChange } from './change-bounds.ts'
import { decodeChange } from './change-decoder.ts'
import { indexLocal } from './change-index.ts'
import { changeKey } from './change-records.ts'
import { maybeCompact } from './compaction.ts'
import type { BatchOp } from './database.ts'
import { type ActionInput, type Committed, type DocState, rowOf, type StoreCore } from './store-core.ts'

export async function commitLocal(
  core: StoreCore,
  docId: DocId,
  scope: string,
  state: DocState,
  action: ActionInput,
  fn: A.ChangeFn<unknown>,
  extraOps: BatchOp[],
): Promise<Committed<unknown>> {
  const after = A.change(state.doc, { time: Math.floor(core.clock.now() / 1000) }, fn)
  const change = A.getLastLocalChange(after)
  if (after === state.doc || change === undefined) {
    if (extraOps.length > 0) throw new TypeError('a new document needs an initial change')
    return { doc: state.doc, entry: null }
  }
  const hash = A.getHeads(after)[0] as ChangeHash
  try {
    const entry = await nextEntry(core, scope, action, docId, [hash])
    // A change past the bounds would be refused by every peer: refuse it here first.
    const outline = outlineChange(change)
    if (isProblem(outline)) throw new ChangeRefusedError(`the change is too large: ${outline.reason}`)
    const verdict = await core.validator.validate({
      docId,
      entry,
      changes: [decodeChange(change)],
      changeBytes: [change],
      origin: 'local',
      doc: state.doc,
      prior: [],
    })
    if (!verdict.ok) throw new ChangeRefusedError(verdict.reason)
    const ops = [...extraOps, changeOp(core, docId, state.lastSeq + 1, change), ...core.chains.putOps(entry)]
    const indexed = core.indexOp(docId, after)
    if (indexed !== null) ops.push(indexed)
    const totals = core.totals.batch()
    if (indexed !== null) totals.row(docId, rowOf(indexed))
    ops.push(...(await totals.ops()))
    await core.db.write(ops, core.sync).then(
      () => totals.done(true),
      (err: unknown) => {
        totals.done(false)
        throw err
      },
    )
    indexLocal(core.changeIndex, docId, state.doc, after, hash, change)
    state.doc = after
    state.lastSeq++
    state.pending++
    core.docs.set(docId, state)
    core.chains.appended(entry)
    core.events.emit('change', { docId, origin: 'local', entries: [entry], changes: [change] })
    maybeCompact(core, docId, state)
    return { doc: after, entry }
  } catch (err) {
    // The in-memory document ran ahead of the disk: drop it, reload on next use.
    core.docs.delete(docId)
    throw err
  }
}

export async function nextEntry(
  core: StoreCore,
  scope: EntryScope,
  action: ActionInput,
  docId: DocId | null,
  changes: ChangeHash[],
): Promise<Entry> {
  const head = await core.chains.head(scope, core.signer.memberKey)
  return signEntry(
    {
      scope,
      author: core.signer.memberKey,
      seq: (head?.seq ?? 0) + 1,
      prev: head?.hash ?? null,
      time: core.clock.now(),
      action: action.action,
      resource: action.resource,
      details: action.details ?? null,
      doc: docId,
      changes,
      authHeads: action.authHeads ?? [],
    },
    core.signer,
  )
}

export function changeOp(core: StoreCore, docId: DocId, seq: number, change: Uint8Array): BatchOp {
  return { type: 'put', section: core.db.changes, key: changeKey(docId, seq), value: change }
}
