/**
 * The storage port: what the document and chain stores need from a key-value store, and
 * nothing more. Named sections (keyspaces) of string keys and byte values; point reads;
 * ordered range reads; one atomic batch across sections; open and close. Implemented on
 * LevelDB (`level-storage.ts`, the node's) and in memory (`memory-storage.ts`, for tests
 * of logic); `tests/crdt/store/storage-acceptance.ts` holds both to one contract.
 *
 * Keys are ordered by code point (what LevelDB's UTF-8 byte order gives), so `!` sorts
 * before any letter or digit and `~` after them; `\uffff` is past every BMP character but
 * before characters outside it. Keys must be well-formed UTF-16 (no lone surrogates).
 */

type Bytes = Uint8Array

/**
 * Bounds of an ordered range read; all optional (no bound: the whole section). Give one
 * lower and one upper bound at most: as in LevelDB, `gte` wins over `gt`, `lte` over `lt`.
 */
export interface Range {
  readonly gt?: string
  readonly gte?: string
  readonly lt?: string
  readonly lte?: string
  /** Largest key first. */
  readonly reverse?: boolean
  /** At most this many rows (a negative limit, or none: no limit). */
  readonly limit?: number
}

export interface IteratorOptions extends Range {
  /**
   * How many bytes an implementation that reads ahead (LevelDB) fetches per step; a
   * hint, ignored where reads cost nothing.
   */
  readonly highWaterMarkBytes?: number
}

/** A range read of rows, taken as of its creation (later writes are not seen). */
export interface RowIterator {
  /** The next row, or undefined at the end. */
  next(): Promise<[string, Bytes] | undefined>
  /** Up to `size` next rows: fewer (what is at hand) is not the end, an empty list is. */
  nextv(size: number): Promise<[string, Bytes][]>
  /** Every remaining row; closes the iterator. */
  all(): Promise<[string, Bytes][]>
  /** Frees the iterator; call it when not read to the end with `all`. */
  close(): Promise<void>
}

/** A range read handing over its keys (or values) at once. */
export interface RangeRead<T> {
  all(): Promise<T[]>
}

/**
 * One keyspace. Values read are the caller's to keep: a later write never changes a
 * value already read, and changing a value read or written never changes what is stored.
 */
export interface Section {
  /** The section's name in its storage. */
  readonly name: string
  get(key: string): Promise<Bytes | undefined>
  /** Values of `keys`, in their order; undefined where there is none. */
  getMany(keys: readonly string[]): Promise<(Bytes | undefined)[]>
  has(key: string): Promise<boolean>
  iterator(options?: IteratorOptions): RowIterator
  keys(range?: Range): RangeRead<string>
  values(range?: Range): RangeRead<Bytes>
}

/** One write of an atomic batch. */
export type StorageOp =
  | { readonly type: 'put'; readonly section: Section; readonly key: string; readonly value: Bytes }
  | { readonly type: 'del'; readonly section: Section; readonly key: string }

/**
 * A key-value store with sections. Reads and writes reject while it is not open; a
 * failure of the medium itself is a `StorageCorruptError` (see `crdt/errors.ts`).
 */
export interface Storage {
  /** Where the data lies, for messages (a folder; `memory` for the memory storage). */
  readonly location: string
  /** The section `name` (the same object for the same name). */
  section(name: string): Section
  /**
   * Writes `ops` atomically, in order (a later op on a key wins): all of them or, when
   * any op is invalid or the write fails, none. `sync`: the batch is on stable storage
   * before this resolves (survives power loss, not only a process kill).
   */
  write(ops: readonly StorageOp[], options: { readonly sync: boolean }): Promise<void>
  /** Opens it again after `close`, with what it held. */
  open(): Promise<void>
  close(): Promise<void>
}
