/**
 * Judging an entry again with its author's rights reduced (rule 5): the same rules that
 * judged it on receipt, on the state at the heads it claims, with the writes of the rank
 * change (the author's new rank, or a rank's new definition) laid over it.
 */
import * as A from '@automerge/automerge'
import type { ChangeContext, ChangeHash, DocId, DocumentStore, Entry, Verdict } from '../../crdt/index.ts'
import { documentTypeOf } from '../document-types.ts'
import type { AuthIndex, OverlayOp } from '../org/index.ts'
import { judgeRosterChange } from '../org/index.ts'
import type { DecodedChange } from './causal-fold.ts'
import { OverlayAuth } from './overlay-auth.ts'
import type { RosterHistory } from './roster-history.ts'

/** Whether an entry is allowed at the heads it claims with `overlay` written over them. */
export async function passesWith(
  deps: { readonly store: () => DocumentStore; readonly auth: AuthIndex },
  orgId: string,
  entry: Entry,
  overlay: readonly OverlayOp[],
  history: RosterHistory,
): Promise<boolean> {
  const auth = new OverlayAuth(deps.auth, overlay)
  const docId = entry.doc as DocId
  // A roster change is judged on the roster's own history, with the overlay.
  if (docId === `org:${orgId}`) {
    for (const hash of entry.changes) {
      const change = history.byHash.get(hash)
      if (change === undefined) return false
      const state = await auth.stateAt(orgId, change.deps as ChangeHash[])
      if (state === null) return false
      const judged = judgeRosterChange({
        author: entry.author,
        entry,
        change,
        state,
        containers: history.containers,
      })
      if (!judged.ok) return false
    }
    return true
  }
  const store = deps.store()
  const bytes = await store.changesByHash(docId, entry.changes)
  const changeBytes = entry.changes.map((h) => bytes.get(h))
  if (changeBytes.some((b) => b === undefined)) return false
  const changes = (changeBytes as Uint8Array[]).map((b) => A.decodeChange(b))
  const doc = await store.get<unknown>(docId)
  const first = changes[0] as DecodedChange
  const ctx: ChangeContext = {
    docId,
    entry,
    changes,
    changeBytes: changeBytes as Uint8Array[],
    origin: 'remote',
    // The document as it was before the entry (what the rules judged it on at receipt).
    doc: first.deps.length === 0 ? A.init() : A.clone(A.view(doc, first.deps)),
    prior: [],
  }
  return (await judgeWith(ctx, auth)).ok
}

/** The rules of the entry's document type (registered in document-types.ts). */
function judgeWith(ctx: ChangeContext, auth: AuthIndex): Verdict | Promise<Verdict> {
  const type = documentTypeOf(ctx.docId)
  if (type === null)
    return { ok: false, reason: `no rules accept ${ctx.docId.slice(0, ctx.docId.indexOf(':'))} documents` }
  return type.validate(ctx, { auth })
}
