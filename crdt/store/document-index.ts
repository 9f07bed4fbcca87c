/**
 * The document store's derived rows (see indexer.ts): per indexed document one row,
 * written in the batch of the change that alters it; totals over groups of rows
 * (index-totals.ts); and a rebuild on start when an indexer's version changed.
 */
import type * as A from '@automerge/automerge'
import type { DocId, MemberKey } from '../ids.ts'
import type { Logger } from '../logger.ts'
import type { BatchOp, Database } from './database.ts'
import { IndexTotals } from './index-totals.ts'
import type { DocumentIndexer } from './indexer.ts'
import type { DocState } from './store-core.ts'

/** What a rebuild needs of the store: its documents. */
export interface IndexedDocuments {
  list(type: string): Promise<DocId[]>
  load(docId: DocId): Promise<DocState>
  /** Drops a loaded document from memory (a rebuild does not keep every one loaded). */
  forget(docId: DocId): void
}

/** What reading a total needs of the store. */
export interface TotalsReader {
  queued<R>(task: () => Promise<R>): Promise<R>
  rows(prefix: string): Promise<[DocId, Uint8Array][]>
}

export class DocumentIndex {
  readonly totals: IndexTotals
  readonly #db: Database
  readonly #indexers: ReadonlyMap<string, DocumentIndexer>
  readonly #log: Logger

  constructor(db: Database, indexers: readonly DocumentIndexer[], memberKey: MemberKey, log: Logger) {
    this.#db = db
    this.#log = log
    this.#indexers = new Map(indexers.map((i) => [i.type, i]))
    const totals = indexers.flatMap((i) =>
      i.totals === undefined ? [] : [[i.type, i.totals(memberKey)] as const],
    )
    this.totals = new IndexTotals(db, new Map(totals))
  }

  /** The batch operation that keeps a document's row current (null: not an indexed type). */
  op(docId: DocId, doc: A.Doc<unknown>): BatchOp | null {
    const indexer = this.#indexers.get(docId.slice(0, docId.indexOf(':')))
    if (indexer === undefined) return null
    const row = indexer.row(docId, doc)
    return row === null
      ? { type: 'del', section: this.#db.index, key: docId }
      : { type: 'put', section: this.#db.index, key: docId, value: row }
  }

  /** Rows of documents whose id starts with `prefix`. */
  async rows(prefix: string): Promise<[DocId, Uint8Array][]> {
    return (await this.#db.read(() =>
      this.#db.index.iterator({ gte: prefix, lt: `${prefix}\uffff` }).all(),
    )) as [DocId, Uint8Array][]
  }

  /**
   * The total of the rows under `group` and the stored rows of `docs`, as of one moment.
   * Built from the rows (read with `store.rows`, the store's own scan) once when none is
   * stored or it does not read back. `store.queued` runs a task after the store's queued
   * writes (a batch's total and rows land together).
   */
  async total<T>(
    type: string,
    group: string,
    docs: readonly DocId[],
    store: TotalsReader,
  ): Promise<{ total: T; rows: Map<DocId, Uint8Array> }> {
    if (docs.length === 0) {
      // One record, read between batches.
      const total = await this.totals.read<T>(type, group)
      if (total !== null) return { total, rows: new Map() }
    }
    return store.queued(async () => {
      let total: T | null = await this.totals.read<T>(type, group)
      if (total === null) {
        const built = this.totals.build<T>(type, group, await store.rows(group))
        // Not flushed on its own: lost with a crash, it is only built again.
        await this.#db.write([built.op], false)
        this.totals.built(group, built.op)
        total = built.total
      }
      const rows = new Map<DocId, Uint8Array>()
      for (const docId of docs) {
        const row = await this.#db.read(() => this.#db.index.get(docId))
        if (row !== undefined) rows.set(docId, row)
      }
      return { total, rows }
    })
  }

  /** Rebuilds the rows of every indexer whose stored version is not its own. */
  async rebuildStale(documents: IndexedDocuments): Promise<void> {
    for (const indexer of this.#indexers.values()) await this.#rebuildIfStale(indexer, documents)
  }

  async #rebuildIfStale(indexer: DocumentIndexer, documents: IndexedDocuments): Promise<void> {
    const db = this.#db
    const key = `index-version:${indexer.type}`
    const stored = await db.read(() => db.meta.get(key))
    const version = String(indexer.version)
    if (stored !== undefined && new TextDecoder().decode(stored) === version) return
    const docIds = await documents.list(indexer.type)
    if (docIds.length > 0)
      this.#log.info({ type: indexer.type, documents: docIds.length }, 'rebuilding index')
    const old = await db.read(() => db.index.keys({ gte: `${indexer.type}:`, lt: `${indexer.type};` }).all())
    const ops: BatchOp[] = old.map((k) => ({ type: 'del', section: db.index, key: k }))
    ops.push(...(await this.totals.dropOps(indexer.type))) // built again from the new rows when read
    for (const docId of docIds) {
      const row = indexer.row(docId, (await documents.load(docId)).doc)
      if (row !== null) ops.push({ type: 'put', section: db.index, key: docId, value: row })
      documents.forget(docId)
    }
    ops.push({ type: 'put', section: db.meta, key, value: new TextEncoder().encode(version) })
    await db.write(ops, true)
  }
}
