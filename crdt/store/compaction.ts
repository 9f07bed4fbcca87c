/**
 * Compaction: a document's snapshot rewritten (`A.save`) and the change records it covers
 * dropped, in one batch; started in the background once enough changes are pending.
 */
import * as A from '@automerge/automerge'
import type { DocId } from '../ids.ts'
import { changeKey } from './change-records.ts'
import type { BatchOp } from './database.ts'
import type { DocState, StoreCore } from './store-core.ts'

/** Keys of a document's change records up to `lastSeq`. */
export function changeKeys(core: StoreCore, docId: DocId, lastSeq: number): Promise<string[]> {
  return core.db.read(() => core.db.changes.keys({ gt: `${docId}!`, lte: changeKey(docId, lastSeq) }).all())
}

/** Writes a snapshot of `docId` now and drops the changes it covers. */
export async function compact(core: StoreCore, docId: DocId): Promise<void> {
  await core.enqueue(async () => {
    const state = core.docs.get(docId)
    if (state === undefined || state.pending === 0) return
    const covered = await changeKeys(core, docId, state.lastSeq)
    const ops: BatchOp[] = [
      { type: 'put', section: core.db.snapshots, key: docId, value: A.save(state.doc) },
      ...covered.map((key): BatchOp => ({ type: 'del', section: core.db.changes, key })),
    ]
    await core.db.write(ops, core.sync)
    state.pending = 0
  })
}

/** Compacts `docId` in the background once `compactAfter` changes are pending. */
export function maybeCompact(core: StoreCore, docId: DocId, state: DocState): void {
  if (state.pending < core.compactAfter || core.compacting.has(docId)) return
  core.compacting.add(docId)
  setImmediate(() => {
    if (!core.isOpen()) {
      core.compacting.delete(docId)
      return
    }
    compact(core, docId)
      .catch((err: unknown) =>
        core.log.error({ err, docId }, 'compaction failed; will retry after more changes'),
      )
      .finally(() => {
        core.compacting.delete(docId)
      })
  })
}
