/**
 * A local change: made on the document, bound to a new signed entry of this node's chain,
 * judged by the validator like a remote one, and written with its entry in one atomic
 * batch; only then is the in-memory document advanced. An action may make several
 * Automerge changes (one per step), all covered by its one entry.
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
  fns: readonly A.ChangeFn<unknown>[],
  extraOps: BatchOp[],
): Promise<Committed<unknown>> {
  // One Automerge change per step (steps that change nothing make none), all covered by
  // the one entry: an action past the per-change op bound stays one action.
  const time = Math.floor(core.clock.now() / 1000)
  const steps: { before: A.Doc<unknown>; after: A.Doc<unknown>; hash: ChangeHash; change: Uint8Array }[] = []
  let after = state.doc
  try {
    for (const fn of fns) {
      const next = A.change(after, { time }, fn)
      const change = A.getLastLocalChange(next)
      if (next === after || change === undefined) continue
      steps.push({ before: after, after: next, hash: A.getHeads(next)[0] as ChangeHash, change })
      after = next
    }
  } catch (err) {
    // A step threw after earlier ones changed the document: drop it, reload on next use.
    if (steps.length > 0) core.docs.delete(docId)
    throw err
  }
  if (steps.length === 0) {
    if (extraOps.length > 0) throw new TypeError('a new document needs an initial change')
    return { doc: state.doc, entry: null }
  }
  const changes = steps.map((s) => s.change)
  try {
    const entry = await nextEntry(
      core,
      scope,
      action,
      docId,
      steps.map((s) => s.hash),
    )
    // A change past the bounds would be refused by every peer: refuse it here first.
    for (const change of changes) {
      const outline = outlineChange(change)
      if (isProblem(outline)) throw new ChangeRefusedError(`the change is too large: ${outline.reason}`)
    }
    const verdict = await core.validator.validate({
      docId,
      entry,
      changes: changes.map((c) => decodeChange(c)),
      changeBytes: changes,
      origin: 'local',
      doc: state.doc,
      prior: [],
    })
    if (!verdict.ok) throw new ChangeRefusedError(verdict.reason)
    const ops = [
      ...extraOps,
      ...changes.map((c, i) => changeOp(core, docId, state.lastSeq + 1 + i, c)),
      ...core.chains.putOps(entry),
    ]
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
    for (const s of steps) indexLocal(core.changeIndex, docId, s.before, s.after, s.hash, s.change)
    state.doc = after
    state.lastSeq += steps.length
    state.pending += steps.length
    core.docs.set(docId, state)
    core.chains.appended(entry)
    core.events.emit('change', { docId, origin: 'local', entries: [entry], changes })
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
