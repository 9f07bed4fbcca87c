/**
 * Persisted chains: every (scope, author) chain's signed entries under
 * `scope!author!seq` (the node-local chain under `LOCAL_SCOPE_KEY`, which no scope can
 * be), plus proofs of forks. A chain's head is the last key of its range (derived,
 * never stored apart); it is cached in memory once read, and so is the list of a scope's
 * authors (every sync request and answer names them all: one seek per author otherwise).
 */
import { StorageCorruptError } from '../errors.ts'
import type { EntryHash, MemberKey } from '../ids.ts'
import type { BatchOp, Database } from '../store/database.ts'
import {
  decodeEntry,
  type Entry,
  type EntryScope,
  isScope,
  packEntry,
  type SignedEntry,
  unpackEntry,
} from './entry.ts'

const SEQ_DIGITS = 15
/** Bytes of entries one LevelDB read step of `packed` hands over (what it returns is held whole anyway). */
const PACKED_READ_BYTES = 4 * 1024 * 1024
/** The key prefix of the node-local chain: not hex, so never an org's scope. */
const LOCAL_SCOPE_KEY = 'local'

/** The key prefix of one scope's chains. */
function scopeKey(scope: EntryScope): string {
  if (scope !== null && !isScope(scope)) throw new TypeError(`invalid chain scope: ${scope}`)
  return scope ?? LOCAL_SCOPE_KEY
}

/** The key prefix of one (scope, author) chain. */
function chainKey(scope: EntryScope, author: MemberKey): string {
  return `${scopeKey(scope)}!${author}`
}

export function entryKey(scope: EntryScope, author: MemberKey, seq: number): string {
  return `${chainKey(scope, author)}!${String(seq).padStart(SEQ_DIGITS, '0')}`
}

export interface ChainHead {
  readonly seq: number
  readonly hash: EntryHash
}

export class ChainStore {
  private readonly db: Database
  /** By `chainKey`. */
  private readonly heads = new Map<string, Entry | null>()
  /** By `scopeKey`: the scope's authors in key order, once read (kept up to date by `appended`). */
  private readonly authorsOf = new Map<string, MemberKey[]>()
  /** Counts `appended` calls: a scan of authors that saw one under way is not cached. */
  private appends = 0

  constructor(components: { db: Database }) {
    this.db = components.db
  }

  /** The newest stored entry of `author`'s chain in `scope`, or null. */
  async head(scope: EntryScope, author: MemberKey): Promise<Entry | null> {
    const chain = chainKey(scope, author)
    const cached = this.heads.get(chain)
    if (cached !== undefined) return cached
    const rows = await this.db.read(() =>
      this.db.entries.values({ gt: `${chain}!`, lt: `${chain}!~`, reverse: true, limit: 1 }).all(),
    )
    const head = rows[0] === undefined ? null : this.decodeStored(rows[0])
    // `appended` may have stored a newer head while this read was under way: it wins.
    const meanwhile = this.heads.get(chain)
    if (meanwhile !== undefined) return meanwhile
    this.heads.set(chain, head)
    return head
  }

  /** One stored entry, or null. */
  async get(scope: EntryScope, author: MemberKey, seq: number): Promise<Entry | null> {
    const value = await this.db.read(() => this.db.entries.get(entryKey(scope, author, seq)))
    return value === undefined ? null : this.decodeStored(value)
  }

  /** An author's entries in `scope` in seq order, from `from` (default 1), at most `limit`. */
  async *entries(
    scope: EntryScope,
    author: MemberKey,
    options: { from?: number; limit?: number } = {},
  ): AsyncGenerator<SignedEntry> {
    const it = this.db.entries.values({
      gte: entryKey(scope, author, options.from ?? 1),
      lt: `${chainKey(scope, author)}!~`,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    })
    try {
      while (true) {
        const value = await this.db.read(() => it.next())
        if (value === undefined) return
        yield unpackEntry(value)
      }
    } finally {
      await it.close()
    }
  }

  /**
   * An author's entries in `scope` from seq `from`, at most `limit`, packed as stored (one
   * read: LevelDB hands them over in chunks of `PACKED_READ_BYTES`, not the default 16 KiB,
   * which took ~26 round trips to its thread pool for a catch-up batch of 1,000 entries).
   */
  async packed(scope: EntryScope, author: MemberKey, from: number, limit: number): Promise<Uint8Array[]> {
    // classic-level's own option, passed through the sublevel (not in abstract-level's type).
    const range = { gte: entryKey(scope, author, from), lt: `${chainKey(scope, author)}!~`, limit }
    const options = { ...range, highWaterMarkBytes: PACKED_READ_BYTES }
    return this.db.read(() => this.db.entries.values(options).all())
  }

  /** Every author with a stored chain in `scope`, in key order. */
  async authors(scope: EntryScope): Promise<MemberKey[]> {
    const token = scopeKey(scope)
    const cached = this.authorsOf.get(token)
    if (cached !== undefined) return [...cached]
    const appends = this.appends
    const prefix = `${token}!`
    const out: MemberKey[] = []
    let after = prefix
    while (true) {
      const keys = await this.db.read(() =>
        this.db.entries.keys({ gt: after, lt: `${prefix}~`, limit: 1 }).all(),
      )
      const key = keys[0]
      if (key === undefined) break
      const author = key.slice(prefix.length, key.indexOf('!', prefix.length)) as MemberKey
      out.push(author)
      after = `${prefix}${author}!~`
    }
    // An entry written during the scan may have been passed by it: cached only without one.
    if (appends === this.appends && !this.authorsOf.has(token)) this.authorsOf.set(token, [...out])
    return out
  }

  /** Every scope with a stored chain (null: the node-local chain), in key order. */
  async scopes(): Promise<EntryScope[]> {
    const out: EntryScope[] = []
    let after = ''
    while (true) {
      const keys = await this.db.read(() => this.db.entries.keys({ gt: after, limit: 1 }).all())
      const key = keys[0]
      if (key === undefined) return out
      const token = key.slice(0, key.indexOf('!'))
      out.push(token === LOCAL_SCOPE_KEY ? null : token)
      after = `${token}!~`
    }
  }

  /** Batch operations that store `entry`; call `appended` once the batch is written. */
  putOps(entry: Entry): BatchOp[] {
    return [
      {
        type: 'put',
        sublevel: this.db.entries,
        key: entryKey(entry.scope, entry.author, entry.seq),
        value: packEntry(entry),
      },
    ]
  }

  /**
   * Grows with every `appended` call: while it stands still, no head in any scope moved
   * (what was read of the heads then is still what they are).
   */
  get version(): number {
    return this.appends
  }

  /** Tells the store that a batch holding `entry` was written. */
  appended(entry: Entry): void {
    const chain = chainKey(entry.scope, entry.author)
    const head = this.heads.get(chain)
    if (head === undefined || head === null || head.seq < entry.seq) this.heads.set(chain, ownBytes(entry))
    this.appends++
    const authors = this.authorsOf.get(scopeKey(entry.scope))
    if (authors === undefined) return
    const i = sortedIndex(authors, entry.author)
    if (authors[i] !== entry.author) authors.splice(i, 0, entry.author)
  }

  /** Keeps two signed entries with one seq as proof that their author equivocated. */
  async recordFork(a: Entry, b: Entry): Promise<void> {
    await this.db.write(
      [a, b].map((e) => ({
        type: 'put' as const,
        sublevel: this.db.forks,
        key: `${entryKey(e.scope, e.author, e.seq)}!${e.hash}`,
        value: packEntry(e),
      })),
      true,
    )
  }

  /** Stored fork proofs, grouped as pairs of entries with one seq. */
  async forks(): Promise<SignedEntry[]> {
    const values = await this.db.read(() => this.db.forks.values().all())
    return values.map(unpackEntry)
  }

  private decodeStored(value: Uint8Array): Entry {
    const d = decodeEntry(unpackEntry(value))
    if (!d.ok)
      throw new StorageCorruptError(this.db.path, `a stored chain entry does not decode: ${d.reason}`)
    return d.entry
  }
}

/**
 * The entry with bytes of its own: a received entry is a view into the whole frame it
 * came in (megabytes), which a cached head must not keep alive.
 */
function ownBytes(entry: Entry): Entry {
  const { bytes, signature } = entry
  if (bytes.byteLength === bytes.buffer.byteLength && signature.byteLength === signature.buffer.byteLength)
    return entry
  return { ...entry, bytes: bytes.slice(), signature: signature.slice() }
}

/** Where `key` is, or would go, in the sorted `list` (string order: the keys' order). */
function sortedIndex(list: readonly string[], key: string): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((list[mid] as string) < key) lo = mid + 1
    else hi = mid
  }
  return lo
}
