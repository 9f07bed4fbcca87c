/**
 * Derived rows of documents (e.g. a summary of each hangar), kept in LevelDB and
 * written in the same atomic batch as the change that produced them, so they are never
 * stale after a crash. Rows are rebuilt on start when an indexer's version changes.
 */
import type * as A from '@automerge/automerge'
import type { DocId } from '../ids.ts'
import type { RowTotalsFor } from './index-totals.ts'

export interface DocumentIndexer {
  /** The document type it indexes: the part of the id before `:`. */
  readonly type: string
  /** Bump when the row format changes. */
  readonly version: number
  /** The row for a document's current state, or null for none. */
  row(docId: DocId, doc: A.Doc<unknown>): Uint8Array | null
  /** Totals over groups of rows, kept in the rows' batches (see index-totals.ts). */
  readonly totals?: RowTotalsFor
}
