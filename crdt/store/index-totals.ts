/**
 * Totals over index rows (e.g. an org's fleet composition over its hangar rows), kept in
 * LevelDB beside the rows and written in the same atomic batch as every row that changes
 * them: a stored total is always exactly the sum of the rows stored with it, even after a
 * crash, so reading it costs one record whatever the number of rows.
 *
 * A total that is not stored (a database written before totals existed, or an index just
 * rebuilt) or that does not read back (another format, damage) is not kept up to date by
 * writes: its reader has it built from the rows once (`build`), in the store's queue, so
 * no write comes between the scan and the record.
 */
import type { DocId, MemberKey } from '../ids.ts'
import type { BatchOp, Database } from './database.ts'

/** How an indexer's rows add up; `T` is a plain mutable accumulator. */
export interface RowTotals<T> {
  /**
   * The group a document's row counts toward, as the key prefix of the group's rows
   * (e.g. `hangar:<org>.`), or null for none.
   */
  group(docId: DocId): string | null
  /** The total of no rows. */
  empty(): T
  /** Adds (`sign` 1) or takes out (-1) one row. */
  count(total: T, docId: DocId, row: Uint8Array, sign: 1 | -1): void
  encode(total: T): Uint8Array
  /** A stored total read back, or null when it does not read back whole in this format. */
  decode(bytes: Uint8Array): T | null
}

/** Row totals for the node whose member key is `me` (a total may depend on whose node counts). */
export type RowTotalsFor = (me: MemberKey) => RowTotals<unknown>

/** The meta key of a group's stored total. */
export const indexTotalKey = (group: string): string => `index-total:${group}`
const key = indexTotalKey

/** One batch's folding of rows into totals: `row` for every row written, then `ops`, then `done`. */
export interface TotalsBatch {
  /** A document's new row (null: it has none now), to fold into its group's total. */
  row(docId: DocId, row: Uint8Array | null): void
  /** The writes that keep the touched totals exact; put them in the batch with the rows. */
  ops(): Promise<BatchOp[]>
  /** After the batch: whether it was written. */
  done(written: boolean): void
}

interface Folded {
  readonly totals: RowTotals<unknown>
  /** The total being folded, or null: none kept (absent, or unreadable and deleted). */
  readonly value: unknown
  /** What is stored once the batch is written (null: nothing). */
  bytes: Uint8Array | null
}

export class IndexTotals {
  private readonly db: Database
  private readonly byType: ReadonlyMap<string, RowTotals<unknown>>
  /** Stored totals as last read or written, by group: bytes, or null for none (absent or unreadable). */
  private readonly cache = new Map<string, Uint8Array | null>()

  constructor(db: Database, byType: ReadonlyMap<string, RowTotals<unknown>>) {
    this.db = db
    this.byType = byType
  }

  /** Starts folding one batch. Batches must not overlap (the store's queue runs them one at a time). */
  batch(): TotalsBatch {
    const written = new Map<DocId, Uint8Array | null>()
    const folded = new Map<string, Folded>()
    return {
      row: (docId, row) => {
        if (this.byType.has(docId.slice(0, docId.indexOf(':')))) written.set(docId, row)
      },
      ops: async () => {
        const ops: BatchOp[] = []
        const fold: [DocId, Folded][] = []
        for (const docId of written.keys()) {
          const totals = this.byType.get(docId.slice(0, docId.indexOf(':'))) as RowTotals<unknown>
          const group = totals.group(docId)
          if (group === null) continue
          let f = folded.get(group)
          if (f === undefined) {
            const bytes = await this.stored(group)
            const value = bytes === null ? null : totals.decode(bytes)
            f = { totals, value, bytes: null }
            folded.set(group, f)
            // An unreadable total is dropped: its reader builds it again from the rows.
            if (bytes !== null && value === null)
              ops.push({ type: 'del', section: this.db.meta, key: key(group) })
          }
          if (f.value !== null) fold.push([docId, f])
        }
        if (fold.length === 0) return ops
        // The rows as stored before this batch: exactly what the totals counted.
        const old = await this.db.read(() => this.db.index.getMany(fold.map(([docId]) => docId)))
        fold.forEach(([docId, f], i) => {
          const before = old[i]
          const after = written.get(docId) ?? null
          if (before !== undefined) f.totals.count(f.value, docId, before, -1)
          if (after !== null) f.totals.count(f.value, docId, after, 1)
        })
        for (const [group, f] of folded) {
          if (f.value === null) continue
          f.bytes = f.totals.encode(f.value)
          ops.push({ type: 'put', section: this.db.meta, key: key(group), value: f.bytes })
        }
        return ops
      },
      done: (ok) => {
        // A failed batch leaves the disk as it was: read it again next time.
        for (const [group, f] of folded) {
          if (ok) this.cache.set(group, f.bytes)
          else this.cache.delete(group)
        }
      },
    }
  }

  /**
   * The stored total of `group` as a fresh accumulator, or null when none is stored or it
   * does not read back. Exact for the rows as of the last batch written.
   */
  async read<T>(type: string, group: string): Promise<T | null> {
    const totals = this.byType.get(type)
    if (totals === undefined) throw new TypeError(`no totals are kept for ${type} rows`)
    const bytes = this.cache.has(group) ? (this.cache.get(group) ?? null) : await this.stored(group)
    return bytes === null ? null : (totals.decode(bytes) as T | null)
  }

  /**
   * Builds `group`'s total from its rows (`rows`: the index rows under the group's prefix)
   * and the write that stores it. Run with no batch in between (in the store's queue).
   */
  build<T>(type: string, group: string, rows: readonly [DocId, Uint8Array][]): { total: T; op: BatchOp } {
    const totals = this.byType.get(type)
    if (totals === undefined) throw new TypeError(`no totals are kept for ${type} rows`)
    const total = totals.empty()
    for (const [docId, row] of rows) if (totals.group(docId) === group) totals.count(total, docId, row, 1)
    const bytes = totals.encode(total)
    return {
      total: totals.decode(bytes) as T,
      op: { type: 'put', section: this.db.meta, key: key(group), value: bytes },
    }
  }

  /** After `build`'s write: the stored total is current. */
  built(group: string, op: BatchOp): void {
    if (op.type === 'put') this.cache.set(group, op.value)
  }

  /** The writes that drop every stored total of `type` (its rows are rebuilt); forgets them. */
  async dropOps(type: string): Promise<BatchOp[]> {
    for (const group of [...this.cache.keys()]) if (group.startsWith(`${type}:`)) this.cache.delete(group)
    const keys = await this.db.read(() =>
      this.db.meta.keys({ gte: key(`${type}:`), lt: key(`${type};`) }).all(),
    )
    return keys.map((k) => ({ type: 'del', section: this.db.meta, key: k }))
  }

  private async stored(group: string): Promise<Uint8Array | null> {
    if (this.cache.has(group)) return this.cache.get(group) ?? null
    const bytes = (await this.db.read(() => this.db.meta.get(key(group)))) ?? null
    return bytes
  }
}
