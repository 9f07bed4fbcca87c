/**
 * The node's LevelDB, opened with errors a person can act on. One database per data
 * directory, split into sublevels: documents, changes, entries, settings, meta.
 */
import { existsSync, readdirSync } from 'node:fs'
import type { AbstractSublevel } from 'abstract-level'
import { Level } from 'level'
import {
  StorageCorruptError,
  StorageFormatError,
  StorageLockedError,
  StorageMissingError,
} from '../errors.ts'

/**
 * 4: a run of chain entries received together is stored in a compact form (see
 * run-record.ts). 3: such runs share a record (see entry-records.ts). Formats 2 (a record
 * per entry) and 3 read as they are: opening one marks it 4, so a version that reads only
 * those refuses it rather than misreading a run.
 */
export const FORMAT_VERSION = 4
/** Older formats this version reads as they are. */
const READS_AS_IS: ReadonlySet<number> = new Set([2, 3])

type Bytes = Uint8Array
/** A sublevel with string keys and byte values. */
export type Sub = AbstractSublevel<Level<string, Bytes>, string | Bytes, string, Bytes>

export interface DatabaseOptions {
  /** Create the database if it does not exist (init); otherwise a missing one is an error. */
  readonly create?: boolean
}

/** Minimal view of an abstract-level batch operation. */
export type BatchOp =
  | { type: 'put'; sublevel: Sub; key: string; value: Bytes }
  | { type: 'del'; sublevel: Sub; key: string }

export class Database {
  readonly path: string
  readonly level: Level<string, Bytes>
  /** Automerge snapshots, by document id. */
  readonly snapshots: Sub
  /** Automerge changes since each document's snapshot: `docId!seq`. */
  readonly changes: Sub
  /** Signed chain entries: `author!seq`. */
  readonly entries: Sub
  /** Proofs of equivocation: `author!seq!hash`. */
  readonly forks: Sub
  /** Node settings and small state, JSON as bytes. */
  readonly settings: Sub
  /** Rows derived from documents by indexers, by document id. */
  readonly index: Sub
  readonly meta: Sub

  private constructor(path: string, level: Level<string, Bytes>) {
    this.path = path
    this.level = level
    const sub = (name: string): Sub => level.sublevel<string, Bytes>(name, { valueEncoding: 'view' })
    this.snapshots = sub('snap')
    this.changes = sub('chg')
    this.entries = sub('ent')
    this.forks = sub('fork')
    this.settings = sub('set')
    this.index = sub('idx')
    this.meta = sub('meta')
  }

  /** Opens (or with `create`, creates) the database at `path`. */
  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    if (!options.create && !existsSync(path)) throw new StorageMissingError(path)
    const level = new Level<string, Bytes>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      await level.open({ createIfMissing: options.create === true, errorIfExists: false })
    } catch (err) {
      throw classifyOpenError(path, err)
    }
    const db = new Database(path, level)
    try {
      await db.checkFormat(options.create === true)
    } catch (err) {
      await level.close().catch(() => {})
      throw err
    }
    return db
  }

  private async checkFormat(create: boolean): Promise<void> {
    const raw = await this.read(() => this.meta.get('format'))
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
    await this.write([{ type: 'put', sublevel: this.meta, key: 'format', value }], true)
  }

  /** Writes a batch atomically; `sync` makes it survive power loss, not only a process kill. */
  async write(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    const batch = this.level.batch()
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value, { sublevel: op.sublevel })
      else batch.del(op.key, { sublevel: op.sublevel })
    }
    await this.read(() => batch.write({ sync }))
  }

  /** Runs a read (or write) and turns LevelDB corruption errors into `StorageCorruptError`. */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw classifyIoError(this.path, err)
    }
  }

  async close(): Promise<void> {
    await this.level.close()
  }
}

/** Codes and messages along an error's cause chain, with the database path removed. */
function describe(path: string, err: unknown): { codes: Set<string>; text: string } {
  const codes = new Set<string>()
  const parts: string[] = []
  let e: unknown = err
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.add(code)
    parts.push(e.message.split(path).join('<db>'))
    e = e.cause
  }
  return { codes, text: parts.join(' | ') }
}

function classifyOpenError(path: string, err: unknown): Error {
  const { codes, text } = describe(path, err)
  if (codes.has('LEVEL_LOCKED')) return new StorageLockedError(path, { cause: err })
  // The folder exists (checked before opening). Without any data file (LevelDB leaves
  // LOCK and LOG even after a failed open) the database is missing; otherwise damaged.
  const data = readdirSync(path).filter((f) => !/^(LOCK|LOG|LOG\.old)$/.test(f))
  if (data.length === 0) return new StorageMissingError(path, { cause: err })
  return new StorageCorruptError(path, firstLine(text), { cause: err })
}

function classifyIoError(path: string, err: unknown): Error {
  const { codes, text } = describe(path, err)
  if (
    codes.has('LEVEL_CORRUPTION') ||
    codes.has('LEVEL_IO_ERROR') ||
    /Corruption|checksum|bad block|IO error/.test(text)
  ) {
    return new StorageCorruptError(path, firstLine(text), { cause: err })
  }
  return err instanceof Error ? err : new Error(String(err))
}

function firstLine(text: string): string {
  const line = text.split(' | ').find((p) => /corrupt|checksum|IO error|No such|invalid/i.test(p)) ?? text
  return line.trim().slice(0, 300)
}
