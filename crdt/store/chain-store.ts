/**
 * Persisted chains: every (scope, author) chain's signed entries (see entry-records.ts:
 * a record per local entry, a run record per received run), plus proofs of forks. A
 * chain's head is the last entry of the last record of its range (derived, never stored
 * apart); it is cached in memory once read, and so is the list of a scope's authors
 * (every sync request and answer names them all: one seek per author otherwise).
 */

import { type Entry, type EntryScope, packEntry, type SignedEntry, unpackEntry } from '../chain/entry.ts'
import { decodeEntry } from '../chain/entry-decode.ts'
import { StorageCorruptError } from '../errors.ts'
import type { EntryHash, MemberKey } from '../ids.ts'
import type { BatchOp, Database } from './database.ts'
import {
  chainKey,
  type EntryRecord,
  entryKey,
  entryRecords,
  readRecord,
  recordKeyPlace,
  scopeKey,
  scopeOfKey,
} from './entry-records.ts'

/** Bytes of entries one LevelDB read step of `packed` hands over (what it returns is held whole anyway). */
const PACKED_READ_BYTES = 4 * 1024 * 1024

/** Keys one read of `lengths` takes. */
const KEYS_PER_READ = 8192

/** A stored chain: its scope, author and length. */
export interface StoredChain {
  readonly scope: EntryScope
  readonly author: MemberKey
  readonly count: number
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
      this.db.entries.iterator({ gt: `${chain}!`, lt: `${chain}!~`, reverse: true, limit: 1 }).all(),
    )
    const row = rows[0]
    const head = row === undefined ? null : this.entryOf(this.record(row), null)
    // `appended` may have stored a newer head while this read was under way: it wins.
    const meanwhile = this.heads.get(chain)
    if (meanwhile !== undefined) return meanwhile
    this.heads.set(chain, head)
    return head
  }

  /** One stored entry, or null. */
  async get(scope: EntryScope, author: MemberKey, seq: number): Promise<Entry | null> {
    // The first record at or after the entry's own key holds it, if the chain reaches it.
    const rows = await this.db.read(() =>
      this.db.entries
        .iterator({ gte: entryKey(scope, author, seq), lt: `${chainKey(scope, author)}!~`, limit: 1 })
        .all(),
    )
    const row = rows[0]
    if (row === undefined) return null
    const record = this.record(row)
    return record.first <= seq ? this.entryOf(record, seq) : null
  }

  /** An author's entries in `scope` in seq order, from `from` (default 1), at most `limit`. */
  async *entries(
    scope: EntryScope,
    author: MemberKey,
    options: { from?: number; limit?: number } = {},
  ): AsyncGenerator<SignedEntry> {
    const from = options.from ?? 1
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    if (limit <= 0) return
    const it = this.db.entries.iterator({
      gte: entryKey(scope, author, from),
      lt: `${chainKey(scope, author)}!~`,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    })
    let given = 0
    try {
      while (true) {
        const row = await this.db.read(() => it.next())
        if (row === undefined) return
        const record = this.record(row)
        for (let i = Math.max(0, from - record.first); i < record.packed.length; i++) {
          yield unpackEntry(record.packed[i] as Uint8Array)
          if (++given >= limit) return
        }
      }
    } finally {
      await it.close()
    }
  }

  /**
   * An author's entries in `scope` from seq `from`, at most `limit`, packed as stored (few
   * reads: LevelDB hands them over in chunks of `PACKED_READ_BYTES`, not the default 16 KiB,
   * which took ~26 round trips to its thread pool for a catch-up batch of 1,000 entries).
   */
  async packed(scope: EntryScope, author: MemberKey, from: number, limit: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    if (limit <= 0) return out
    // classic-level's own option, passed through the section (not in abstract-level's type).
    const range = { gte: entryKey(scope, author, from), lt: `${chainKey(scope, author)}!~` }
    const options = { ...range, highWaterMarkBytes: PACKED_READ_BYTES }
    const it = this.db.entries.iterator(options)
    try {
      while (out.length < limit) {
        // A record holds one entry at least: never more records than entries still wanted.
        const rows = await this.db.read(() => it.nextv(limit - out.length))
        if (rows.length === 0) break
        for (const row of rows) {
          const record = this.record(row)
          const start = Math.max(0, from - record.first)
          const end = Math.min(record.packed.length, start + limit - out.length)
          for (let i = start; i < end; i++) out.push(record.packed[i] as Uint8Array)
        }
      }
    } finally {
      await it.close()
    }
    return out
  }

  /**
   * Every stored chain and its length (its head's seq), in key order, from one pass over
   * the keys (a record's key names its last seq; no value is read).
   */
  async lengths(): Promise<StoredChain[]> {
    const out: { scope: EntryScope; author: MemberKey; count: number }[] = []
    let after: string | undefined
    for (;;) {
      const range = after === undefined ? { limit: KEYS_PER_READ } : { gt: after, limit: KEYS_PER_READ }
      const keys = await this.db.read(() => this.db.entries.keys(range).all())
      for (const key of keys) {
        const place = recordKeyPlace(key)
        if (place === null)
          throw new StorageCorruptError(this.db.path, `a stored chain record is damaged: ${key}`)
        const last = out[out.length - 1]
        if (last !== undefined && last.scope === place.scope && last.author === place.author)
          last.count = place.last
        else out.push({ scope: place.scope, author: place.author, count: place.last })
      }
      if (keys.length < KEYS_PER_READ) return out
      after = keys[keys.length - 1]
    }
  }

  /**
   * Every chain's entries, packed as stored, in key order (the order of `lengths`), each
   * chain from seq 1: one read-ahead pass over the section (a backup's). A run holds
   * consecutive entries of one chain; a chain may come in several runs.
   */
  async *packedRuns(): AsyncGenerator<{
    readonly scope: EntryScope
    readonly author: MemberKey
    readonly packed: readonly Uint8Array[]
  }> {
    const it = this.db.entries.iterator({ highWaterMarkBytes: PACKED_READ_BYTES })
    try {
      for (;;) {
        const rows = await this.db.read(() => it.nextv(1024))
        if (rows.length === 0) return
        let chain: string | null = null
        let run: { scope: EntryScope; author: MemberKey; packed: Uint8Array[] } | null = null
        for (const row of rows) {
          const place = recordKeyPlace(row[0])
          if (place === null)
            throw new StorageCorruptError(this.db.path, `a stored chain record is damaged: ${row[0]}`)
          if (run === null || place.chain !== chain) {
            if (run !== null) yield run
            chain = place.chain
            run = { scope: place.scope, author: place.author, packed: [] }
          }
          run.packed.push(...this.record(row).packed)
        }
        if (run !== null) yield run
      }
    } finally {
      await it.close()
    }
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
      out.push(scopeOfKey(token))
      after = `${token}!~`
    }
  }

  /** Batch operations that store `entry`; call `appended` once the batch is written. */
  putOps(entry: Entry): BatchOp[] {
    return [
      {
        type: 'put',
        section: this.db.entries,
        key: entryKey(entry.scope, entry.author, entry.seq),
        value: packEntry(entry),
      },
    ]
  }

  /**
   * Batch operations that store `entries` (of any chains; each continues its chain as
   * stored, with the others): runs of one chain share a record. Call `appended` with each
   * chain's newest once the batch is written.
   */
  putAllOps(entries: readonly Entry[]): BatchOp[] {
    return entryRecords(entries).map(([key, value]) => ({
      type: 'put',
      section: this.db.entries,
      key,
      value,
    }))
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
        section: this.db.forks,
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

  /** A stored record, read back; damage is a `StorageCorruptError`. */
  private record([key, value]: [string, Uint8Array]): EntryRecord {
    const record = readRecord(key, value)
    if (record === null)
      throw new StorageCorruptError(this.db.path, `a stored chain record is damaged: ${key}`)
    return record
  }

  /** Entry `seq` of a record (null: its last), decoded: it must be that entry. */
  private entryOf(record: EntryRecord, seq: number | null): Entry {
    const want = seq ?? record.last
    const packed = record.packed[want - record.first]
    const d = packed === undefined ? null : decodeEntry(unpackEntry(packed))
    if (d === null || !d.ok)
      throw new StorageCorruptError(
        this.db.path,
        `a stored chain entry does not decode${d === null ? '' : `: ${d.reason}`}`,
      )
    if (d.entry.seq !== want)
      throw new StorageCorruptError(this.db.path, `a stored chain entry is not at its place (${want})`)
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
