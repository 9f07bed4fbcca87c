/**
 * The node's database: a `Storage` (see storage/) split into sections: snapshots,
 * changes, entries, forks, settings, index, meta. On LevelDB in a data directory
 * (`open`), or in memory for tests of logic (`memory`); errors a person can act on.
 */
import { StorageCorruptError, StorageFormatError } from '../errors.ts'
import { LevelStorage, MemoryStorage, type Section, type Storage, type StorageOp } from './storage/index.ts'

/**
 * 4: a run of chain entries received together is stored in a compact form (see
 * run-record.ts). 3: such runs share a record (see entry-records.ts). Formats 2 (a record
 * per entry) and 3 read as they are: opening one marks it 4, so a version that reads only
 * those refuses it rather than misreading a run.
 */
export const FORMAT_VERSION = 4
/** Older formats this version reads as they are. */
const READS_AS_IS: ReadonlySet<number> = new Set([2, 3])

export interface DatabaseOptions {
  /** Create the database if it does not exist (init); otherwise a missing one is an error. */
  readonly create?: boolean
}

/** One write of a `Database.write` batch: the storage port's op (`section`: the section written). */
export type BatchOp = StorageOp

export class Database {
  /** Where the data lies (the LevelDB folder; `memory`), for messages. */
  readonly path: string
  readonly storage: Storage
  /** Automerge snapshots, by document id. */
  readonly snapshots: Section
  /** Automerge changes since each document's snapshot: `docId!seq`. */
  readonly changes: Section
  /** Signed chain entries: `author!seq`. */
  readonly entries: Section
  /** Proofs of equivocation: `author!seq!hash`. */
  readonly forks: Section
  /** Node settings and small state, JSON as bytes. */
  readonly settings: Section
  /** Rows derived from documents by indexers, by document id. */
  readonly index: Section
  readonly meta: Section

  private constructor(storage: Storage) {
    this.storage = storage
    this.path = storage.location
    this.snapshots = storage.section('snap')
    this.changes = storage.section('chg')
    this.entries = storage.section('ent')
    this.forks = storage.section('fork')
    this.settings = storage.section('set')
    this.index = storage.section('idx')
    this.meta = storage.section('meta')
  }

  /** Opens (or with `create`, creates) the LevelDB database at `path`. */
  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    return Database.over(await LevelStorage.open(path, options), options)
  }

  /**
   * The database held by an open `storage` (with `create`, one not holding a database yet
   * becomes one). A storage that does not hold one it can read is closed, and the error thrown.
   */
  static async over(storage: Storage, options: DatabaseOptions = {}): Promise<Database> {
    const db = new Database(storage)
    try {
      await db.checkFormat(options.create === true)
    } catch (err) {
      await storage.close().catch(() => {})
      throw err
    }
    return db
  }

  /**
   * A database in memory (for tests of logic): a new one, or the one `storage` holds,
   * opened again after an earlier database on it was closed (a node restarting on its data).
   */
  static async memory(storage: MemoryStorage = new MemoryStorage()): Promise<Database> {
    await storage.open()
    return Database.over(storage, { create: true })
  }

  private async checkFormat(create: boolean): Promise<void> {
    const raw = await this.meta.get('format')
    if (raw === undefined) {
      if (!create)
        throw new StorageCorruptError(this.path, 'no format marker: not a Verse Guy database, or emptied')
      await this.writeFormat()
      return
    }
    const version = Number(new TextDecoder().decode(raw))
    if (!Number.isSafeInteger(version) || version < 1)
      throw new StorageCorruptError(this.path, 'its format version is not a number')
    if (READS_AS_IS.has(version)) await this.writeFormat()
    else if (version !== FORMAT_VERSION) throw new StorageFormatError(this.path, version, FORMAT_VERSION)
  }

  private async writeFormat(): Promise<void> {
    const value = new TextEncoder().encode(String(FORMAT_VERSION))
    await this.write([{ type: 'put', section: this.meta, key: 'format', value }], true)
  }

  /** Writes a batch atomically; `sync` makes it survive power loss, not only a process kill. */
  async write(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    await this.storage.write(ops, { sync })
  }

  /** Runs a read. The storage itself names damage (`StorageCorruptError`): this only passes it on. */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    return fn()
  }

  async close(): Promise<void> {
    await this.storage.close()
  }
}
