/**
 * Loading a stored document: its snapshot and the change records since it, read as one
 * Automerge document under a fresh actor. Damage (an empty snapshot, bytes that do not
 * load, missing changes) is a `StorageCorruptError`.
 */
import * as A from '@automerge/automerge'
import { DocumentNotFoundError, StorageCorruptError } from '../errors.ts'
import type { DocId } from '../ids.ts'
import { unpackChanges } from './change-records.ts'
import type { Database } from './database.ts'
import type { DocState } from './store-core.ts'

/** Reads `docId` from `db` under `actor`. Throws `DocumentNotFoundError` for an unknown id. */
export async function loadDocState(db: Database, docId: DocId, actor: string): Promise<DocState> {
  const snapshot = await db.read(() => db.snapshots.get(docId))
  if (snapshot === undefined) throw new DocumentNotFoundError(docId)
  // A.save never writes an empty snapshot: an empty one is damage, not an empty document.
  if (snapshot.length === 0) throw new StorageCorruptError(db.path, `document ${docId} has an empty snapshot`)
  const rows = await db.read(() => db.changes.iterator({ gt: `${docId}!`, lt: `${docId}!~` }).all())
  let doc: A.Doc<unknown>
  try {
    // A record holds one change, or a batch of them (see packChanges). The snapshot and
    // its changes are loaded as one (a saved document followed by change chunks): applying
    // them to a loaded document builds its JS view twice (~35% more CPU for a hangar or
    // an operation with a hundred changes pending).
    doc = A.load(
      withChanges(
        snapshot,
        rows.flatMap(([, v]) => unpackChanges(v)),
      ),
      { actor },
    )
  } catch (cause) {
    throw new StorageCorruptError(db.path, `document ${docId} does not load`, { cause })
  }
  if (A.getMissingDeps(doc, []).length > 0) {
    throw new StorageCorruptError(db.path, `document ${docId} is missing changes`)
  }
  const last = rows[rows.length - 1]
  const lastSeq = last === undefined ? 0 : Number(last[0].slice(last[0].lastIndexOf('!') + 1))
  return { doc, lastSeq, pending: rows.length }
}

/** `snapshot` followed by the chunks of `changes`: what `A.load` reads as one document. */
function withChanges(snapshot: Uint8Array, changes: readonly Uint8Array[]): Uint8Array {
  if (changes.length === 0) return snapshot
  let size = snapshot.length
  for (const c of changes) size += c.length
  const out = new Uint8Array(size)
  out.set(snapshot)
  let at = snapshot.length
  for (const c of changes) {
    out.set(c, at)
    at += c.length
  }
  return out
}
