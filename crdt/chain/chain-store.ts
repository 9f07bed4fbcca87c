/**
 * Persisted chains: every author's signed entries under `author!seq`, plus proofs of
 * forks. An author's head is the last key of their range (derived, never stored apart);
 * it is cached in memory once read.
 */
import { StorageCorruptError } from '../errors.ts'
import type { EntryHash, MemberKey } from '../ids.ts'
import type { BatchOp, Database } from '../store/database.ts'
import { decodeEntry, type Entry, packEntry, type SignedEntry, unpackEntry } from './entry.ts'

const SEQ_DIGITS = 15

export function entryKey(author: MemberKey, seq: number): string {
  return `${author}!${String(seq).padStart(SEQ_DIGITS, '0')}`
}

export interface ChainHead {
  readonly seq: number
  readonly hash: EntryHash
}

export class ChainStore {
  private readonly db: Database
  private readonly heads = new Map<MemberKey, Entry | null>()

  constructor(components: { db: Database }) {
    this.db = components.db
  }

  /** The newest stored entry of `author`, or null. */
  async head(author: MemberKey): Promise<Entry | null> {
    const cached = this.heads.get(author)
    if (cached !== undefined) return cached
    const rows = await this.db.read(() =>
      this.db.entries.values({ gt: `${author}!`, lt: `${author}!~`, reverse: true, limit: 1 }).all(),
    )
    const head = rows[0] === undefined ? null : this.decodeStored(rows[0])
    this.heads.set(author, head)
    return head
  }

  /** One stored entry, or null. */
  async get(author: MemberKey, seq: number): Promise<Entry | null> {
    const value = await this.db.read(() => this.db.entries.get(entryKey(author, seq)))
    return value === undefined ? null : this.decodeStored(value)
  }

  /** An author's entries in seq order, from `from` (default 1), at most `limit`. */
  async *entries(
    author: MemberKey,
    options: { from?: number; limit?: number } = {},
  ): AsyncGenerator<SignedEntry> {
    const it = this.db.entries.values({
      gte: entryKey(author, options.from ?? 1),
      lt: `${author}!~`,
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

  /** An author's entries from seq `from`, at most `limit`, packed as stored (one read). */
  async packed(author: MemberKey, from: number, limit: number): Promise<Uint8Array[]> {
    return this.db.read(() =>
      this.db.entries.values({ gte: entryKey(author, from), lt: `${author}!~`, limit }).all(),
    )
  }

  /** Every author with a stored chain, in key order. */
  async authors(): Promise<MemberKey[]> {
    const out: MemberKey[] = []
    let after = ''
    while (true) {
      const keys = await this.db.read(() => this.db.entries.keys({ gt: after, limit: 1 }).all())
      const key = keys[0]
      if (key === undefined) return out
      const author = key.slice(0, key.indexOf('!')) as MemberKey
      out.push(author)
      after = `${author}!~`
    }
  }

  /** Batch operations that store `entry`; call `appended` once the batch is written. */
  putOps(entry: Entry): BatchOp[] {
    return [
      {
        type: 'put',
        sublevel: this.db.entries,
        key: entryKey(entry.author, entry.seq),
        value: packEntry(entry),
      },
    ]
  }

  /** Tells the store that a batch holding `entry` was written. */
  appended(entry: Entry): void {
    const head = this.heads.get(entry.author)
    if (head === undefined || head === null || head.seq < entry.seq)
      this.heads.set(entry.author, ownBytes(entry))
  }

  /** Keeps two signed entries with one seq as proof that their author equivocated. */
  async recordFork(a: Entry, b: Entry): Promise<void> {
    await this.db.write(
      [a, b].map((e) => ({
        type: 'put' as const,
        sublevel: this.db.forks,
        key: `${e.author}!${String(e.seq).padStart(SEQ_DIGITS, '0')}!${e.hash}`,
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
