/**
 * Storage on LevelDB (classic-level via `level`), the node's: a section is a sublevel,
 * a batch is one LevelDB write batch. Failures come out as the crdt errors a person can
 * act on (`StorageMissingError`, `StorageLockedError`, `StorageCorruptError`).
 */
import { existsSync } from 'node:fs'
import type { AbstractIterator, AbstractSublevel } from 'abstract-level'
import { Level } from 'level'
import { StorageMissingError } from '../../errors.ts'
import { checkOps } from './check-ops.ts'
import { classifyIoError, classifyOpenError } from './level-errors.ts'
import type {
  IteratorOptions,
  Range,
  RangeRead,
  RowIterator,
  Section,
  Storage,
  StorageOp,
} from './storage.ts'

type Bytes = Uint8Array
type Sublevel = AbstractSublevel<Level<string, Bytes>, string | Bytes, string, Bytes>

export interface LevelStorageOptions {
  /** Create the database if it does not exist (init); otherwise a missing one is an error. */
  readonly create?: boolean
}

export class LevelStorage implements Storage {
  readonly location: string
  readonly #level: Level<string, Bytes>
  readonly #sections = new Map<string, LevelSection>()

  private constructor(path: string, level: Level<string, Bytes>) {
    this.location = path
    this.#level = level
  }

  /** Opens (or with `create`, creates) the database at `path`. */
  static async open(path: string, options: LevelStorageOptions = {}): Promise<LevelStorage> {
    if (!options.create && !existsSync(path)) throw new StorageMissingError(path)
    const level = new Level<string, Bytes>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      await level.open({ createIfMissing: options.create === true, errorIfExists: false })
    } catch (err) {
      throw classifyOpenError(path, err)
    }
    return new LevelStorage(path, level)
  }

  section(name: string): Section {
    let s = this.#sections.get(name)
    if (s === undefined) {
      const sublevel = this.#level.sublevel<string, Bytes>(name, { valueEncoding: 'view' })
      s = new LevelSection(name, sublevel, (err) => classifyIoError(this.location, err))
      this.#sections.set(name, s)
    }
    return s
  }

  async write(ops: readonly StorageOp[], options: { readonly sync: boolean }): Promise<void> {
    checkOps(ops, (s) => s instanceof LevelSection && this.#sections.get(s.name) === s)
    try {
      const batch = this.#level.batch()
      try {
        for (const op of ops) {
          const sublevel = (op.section as LevelSection).sublevel
          if (op.type === 'put') batch.put(op.key, op.value, { sublevel })
          else batch.del(op.key, { sublevel })
        }
      } catch (err) {
        await batch.close()
        throw err
      }
      await batch.write({ sync: options.sync })
    } catch (err) {
      throw classifyIoError(this.location, err)
    }
  }

  async open(): Promise<void> {
    try {
      await this.#level.open({ createIfMissing: false })
      for (const s of this.#sections.values()) await s.sublevel.open()
    } catch (err) {
      throw classifyOpenError(this.location, err)
    }
  }

  async close(): Promise<void> {
    await this.#level.close()
  }
}

class LevelSection implements Section {
  readonly name: string
  readonly sublevel: Sublevel
  readonly #classify: (err: unknown) => Error

  constructor(name: string, sublevel: Sublevel, classify: (err: unknown) => Error) {
    this.name = name
    this.sublevel = sublevel
    this.#classify = classify
  }

  get(key: string): Promise<Bytes | undefined> {
    return this.#guard(() => this.sublevel.get(key))
  }

  getMany(keys: readonly string[]): Promise<(Bytes | undefined)[]> {
    return this.#guard(() => this.sublevel.getMany(keys as string[]))
  }

  has(key: string): Promise<boolean> {
    return this.#guard(() => this.sublevel.has(key))
  }

  iterator(options: IteratorOptions = {}): RowIterator {
    const guard = this.#guard.bind(this)
    let it: AbstractIterator<Sublevel, string, Bytes>
    try {
      it = this.sublevel.iterator(options)
    } catch (err) {
      const fail = () => Promise.reject(this.#classify(err))
      return { next: fail, nextv: fail, all: fail, close: async () => {} }
    }
    return {
      next: () => guard(() => it.next()),
      nextv: (size) => guard(() => it.nextv(size)),
      all: () => guard(() => it.all()),
      close: () => it.close(),
    }
  }

  keys(range: Range = {}): RangeRead<string> {
    return { all: () => this.#guard(() => this.sublevel.keys(range).all()) }
  }

  values(range: Range = {}): RangeRead<Bytes> {
    return { all: () => this.#guard(() => this.sublevel.values(range).all()) }
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw this.#classify(err)
    }
  }
}
