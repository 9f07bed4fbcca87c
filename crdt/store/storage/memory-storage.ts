/**
 * Storage in memory, for tests of logic: the same contract as LevelDB (ordered keys,
 * atomic batches, range reads as of their start) without files. Values are copied in and
 * out, so no caller can change what is stored. Like a real storage's, every call resolves
 * after a turn of the event loop (timers and `setImmediate` work run between a caller's
 * reads and writes, as on LevelDB), though its effect is immediate. Closing keeps the
 * data: `open` again (a node restarting on the same instance) finds it. `failNextWrite`
 * makes a write fail, to test what a failed write leaves behind.
 */
import { StorageClosedError } from '../../errors.ts'
import { checkOps } from './check-ops.ts'
import { compareKeys } from './key-order.ts'
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
type Row = [string, Bytes]

export class MemoryStorage implements Storage {
  readonly location = 'memory'
  readonly #sections = new Map<string, MemorySection>()
  #open = true
  #failure: Error | null = null

  section(name: string): Section {
    let s = this.#sections.get(name)
    if (s === undefined) {
      s = new MemorySection(name, () => this.#assertOpen())
      this.#sections.set(name, s)
    }
    return s
  }

  async write(ops: readonly StorageOp[], _options: { readonly sync: boolean }): Promise<void> {
    this.#assertOpen()
    checkOps(ops, (s) => s instanceof MemorySection && this.#sections.get(s.name) === s)
    const failure = this.#failure
    if (failure !== null) {
      this.#failure = null
      throw failure
    }
    // Checked whole first: nothing below throws, so the batch lands whole.
    for (const op of ops) {
      const section = op.section as MemorySection
      if (op.type === 'put') section.put(op.key, new Uint8Array(op.value))
      else section.del(op.key)
    }
    await turn()
  }

  /** The next `write` rejects with `error` and writes nothing. */
  failNextWrite(error: Error): void {
    this.#failure = error
  }

  async open(): Promise<void> {
    this.#open = true
  }

  async close(): Promise<void> {
    this.#open = false
  }

  #assertOpen(): void {
    if (!this.#open) throw new StorageClosedError(this.location)
  }
}

class MemorySection implements Section {
  readonly name: string
  readonly #assertOpen: () => void
  /** Every key, in key order. */
  readonly #keys: string[] = []
  readonly #values = new Map<string, Bytes>()

  constructor(name: string, assertOpen: () => void) {
    this.name = name
    this.#assertOpen = assertOpen
  }

  async get(key: string): Promise<Bytes | undefined> {
    this.#assertOpen()
    return after(copy(this.#values.get(key)))
  }

  async getMany(keys: readonly string[]): Promise<(Bytes | undefined)[]> {
    this.#assertOpen()
    return after(keys.map((k) => copy(this.#values.get(k))))
  }

  async has(key: string): Promise<boolean> {
    this.#assertOpen()
    return after(this.#values.has(key))
  }

  iterator(options: IteratorOptions = {}): RowIterator {
    let rows: Row[] = []
    try {
      rows = this.#rows(options)
    } catch {
      // Closed: its reads reject.
    }
    return new MemoryIterator(rows, this.#assertOpen)
  }

  keys(range: Range = {}): RangeRead<string> {
    return { all: async () => after(this.#rows(range).map(([k]) => k)) }
  }

  values(range: Range = {}): RangeRead<Bytes> {
    return { all: async () => after(this.#rows(range).map(([, v]) => copy(v) as Bytes)) }
  }

  /** Called by the storage's write only, after it checked the whole batch. */
  put(key: string, value: Bytes): void {
    if (!this.#values.has(key)) this.#keys.splice(this.#search(key), 0, key)
    this.#values.set(key, value)
  }

  del(key: string): void {
    if (!this.#values.delete(key)) return
    this.#keys.splice(this.#search(key), 1)
  }

  /** The rows of `range` as they are now (the stored values: copy them before handing out). */
  #rows(range: Range): Row[] {
    this.#assertOpen()
    let lo = 0
    let hi = this.#keys.length
    if (range.gte !== undefined) lo = this.#search(range.gte)
    else if (range.gt !== undefined) lo = this.#after(range.gt)
    if (range.lte !== undefined) hi = this.#after(range.lte)
    else if (range.lt !== undefined) hi = this.#search(range.lt)
    const limit = range.limit === undefined || range.limit < 0 ? Number.POSITIVE_INFINITY : range.limit
    const n = Math.max(0, Math.min(hi - lo, limit))
    const keys = range.reverse ? this.#keys.slice(hi - n, hi).reverse() : this.#keys.slice(lo, lo + n)
    return keys.map((k) => [k, this.#values.get(k) as Bytes])
  }

  /** Index of the first key at or after `key`. */
  #search(key: string): number {
    let lo = 0
    let hi = this.#keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeys(this.#keys[mid] as string, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of the first key after `key`. */
  #after(key: string): number {
    const i = this.#search(key)
    return this.#keys[i] === key ? i + 1 : i
  }
}

/** Rows taken when it was made, copied as they are handed out. */
class MemoryIterator implements RowIterator {
  readonly #rows: Row[]
  readonly #assertOpen: () => void
  #at = 0
  #closed = false

  constructor(rows: Row[], assertOpen: () => void) {
    this.#rows = rows
    this.#assertOpen = assertOpen
  }

  async next(): Promise<Row | undefined> {
    return (await this.nextv(1))[0]
  }

  async nextv(size: number): Promise<Row[]> {
    return after(this.#take(Math.max(1, size)))
  }

  async all(): Promise<Row[]> {
    try {
      return await after(this.#take(this.#rows.length - this.#at))
    } finally {
      await this.close()
    }
  }

  #take(size: number): Row[] {
    this.#assertOpen()
    if (this.#closed) throw new Error('The iterator is closed')
    const rows = this.#rows.slice(this.#at, this.#at + size)
    this.#at += rows.length
    return rows.map(([k, v]) => [k, copy(v) as Bytes])
  }

  async close(): Promise<void> {
    this.#closed = true
  }
}

/** Resolves after a turn of the event loop. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** `value`, after a turn of the event loop. */
async function after<T>(value: T): Promise<T> {
  await turn()
  return value
}

function copy(value: Bytes | undefined): Bytes | undefined {
  return value === undefined ? undefined : new Uint8Array(value)
}
