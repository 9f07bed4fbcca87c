/**
 * A per-author write budget: how many entries, and bytes of entries and the changes they
 * cover, this node takes from one author for now. Node-local back-pressure, not a rule:
 * an entry past the budget is refused with kind `budget` (never an offence of the peer
 * that sent it), nothing of it is stored, and it arrives again later through
 * anti-entropy, when the author's bucket has refilled. Every node still reaches the same
 * documents, only later.
 *
 * Token buckets per author, charged for what was stored (so entries forged in someone's
 * name cost that member nothing). The burst is sized so that a newcomer catching up on
 * any one author's ordinary history takes it at once; past it, an author gets the
 * refill rate, far above what a person writes and far below a flood.
 */
import { ENTRY_DOMAIN, type Entry, type EntryScope, type SignedEntry } from '../chain/entry.ts'
import { entryScope } from '../chain/entry-refs.ts'
import { toHex } from '../crypto.ts'
import type { ChangeHash } from '../ids.ts'
import type { Refusal } from './remote-batch.ts'

export interface WriteBudgetInit {
  /** Entries an author may have stored at once. Default 20,000. */
  readonly burstEntries?: number
  /** Entries an author's bucket regains per minute. Default 1,200. */
  readonly entriesPerMinute?: number
  /** Bytes (entries and the changes they cover) stored at once. Default 32 MiB. */
  readonly burstBytes?: number
  /** Bytes regained per minute. Default 2 MiB. */
  readonly bytesPerMinute?: number
  /** Authors tracked at most (a full bucket is forgotten first). Default 50,000. */
  readonly maxAuthors?: number
  /** Clock in milliseconds (tests move it). */
  readonly now?: () => number
}

interface Bucket {
  entries: number
  bytes: number
  at: number
}

const MINUTE = 60_000
const AUTHOR_AT = ENTRY_DOMAIN.length
const SEQ_AT = AUTHOR_AT + 32

export class WriteBudget {
  readonly burstEntries: number
  readonly burstBytes: number
  private readonly entriesPerMs: number
  private readonly bytesPerMs: number
  private readonly maxAuthors: number
  private readonly now: () => number
  private readonly buckets = new Map<string, Bucket>()

  constructor(init: WriteBudgetInit = {}) {
    this.burstEntries = init.burstEntries ?? 20_000
    this.burstBytes = init.burstBytes ?? 32 * 1024 * 1024
    this.entriesPerMs = (init.entriesPerMinute ?? 1_200) / MINUTE
    this.bytesPerMs = (init.bytesPerMinute ?? 2 * 1024 * 1024) / MINUTE
    this.maxAuthors = init.maxAuthors ?? 50_000
    this.now = init.now ?? Date.now
  }

  /**
   * Splits a batch's entries: those each author still has room for (an author's lowest
   * seqs first, so its chain stays unbroken) and refusals of kind `budget` for the rest.
   * Reads only the scope, author and seq at their fixed places; anything unreadable, and
   * entries at or below the head of their chain (`headOf`: held already, or a fork), are
   * left to the receive path and cost nothing.
   */
  async admit(
    entries: readonly SignedEntry[],
    headOf: (author: string, scope: EntryScope) => Promise<number>,
  ): Promise<{ admitted: SignedEntry[]; refused: Refusal[] }> {
    const byChain = new Map<string, { seq: number; signed: SignedEntry }[]>()
    const chains = new Map<string, { author: string; scope: EntryScope }>()
    const admitted: SignedEntry[] = []
    for (const signed of entries) {
      const at = readAt(signed)
      if (at === null) {
        admitted.push(signed)
        continue
      }
      const key = `${at.scope}!${at.author}`
      const list = byChain.get(key) ?? []
      list.push({ seq: at.seq, signed })
      byChain.set(key, list)
      chains.set(key, at)
    }
    const refused: Refusal[] = []
    for (const [key, all] of byChain) {
      const { author, scope } = chains.get(key) as { author: string; scope: EntryScope }
      const head = await headOf(author, scope)
      const list = all.filter((x) => {
        if (x.seq <= head) admitted.push(x.signed)
        return x.seq > head
      })
      // Peeked, not stored: only what is stored makes an author tracked.
      const b = this.bucket(author, false)
      const room = b.bytes <= 0 ? 0 : Math.floor(b.entries)
      if (room >= list.length) {
        for (const x of list) admitted.push(x.signed)
        continue
      }
      list.sort((a, b) => a.seq - b.seq)
      for (const [i, x] of list.entries()) {
        if (i < room) admitted.push(x.signed)
        else
          refused.push({
            author: author as Refusal['author'],
            seq: x.seq,
            hash: null,
            reason: 'past the author’s write budget on this node for now; it will be taken later',
            kind: 'budget',
          })
      }
    }
    return { admitted, refused }
  }

  /** Charges each author for the stored entries and the bytes of the changes they cover. */
  charge(stored: readonly Entry[], changeBytes: { get(hash: ChangeHash): Uint8Array | undefined }): void {
    for (const e of stored) {
      const b = this.bucket(e.author)
      let bytes = e.bytes.length
      for (const h of e.changes) bytes += changeBytes.get(h)?.length ?? 0
      b.entries -= 1
      b.bytes -= bytes
    }
    this.forgetFull()
  }

  /** What an author has left now (for status and tests). */
  left(author: string): { entries: number; bytes: number } {
    const b = this.bucket(author, false)
    return { entries: Math.floor(b.entries), bytes: Math.floor(b.bytes) }
  }

  /** The author's bucket, refilled to now; `track`: keep it (else a full one is not stored). */
  private bucket(author: string, track = true): Bucket {
    const now = this.now()
    let b = this.buckets.get(author)
    if (b === undefined) {
      b = { entries: this.burstEntries, bytes: this.burstBytes, at: now }
      if (track) this.buckets.set(author, b)
      return b
    }
    const dt = Math.max(0, now - b.at)
    b.entries = Math.min(this.burstEntries, b.entries + dt * this.entriesPerMs)
    b.bytes = Math.min(this.burstBytes, b.bytes + dt * this.bytesPerMs)
    b.at = now
    return b
  }

  /** Keeps the map bounded: full buckets are the same as none; past the bound, the oldest go. */
  private forgetFull(): void {
    if (this.buckets.size <= this.maxAuthors) return
    for (const [author] of this.buckets) {
      const b = this.bucket(author, false)
      if (b.entries >= this.burstEntries && b.bytes >= this.burstBytes) this.buckets.delete(author)
    }
    for (const author of this.buckets.keys()) {
      if (this.buckets.size <= this.maxAuthors) break
      this.buckets.delete(author)
    }
  }
}

/** An entry's scope, author and seq at their fixed places in its canonical bytes, or null. */
function readAt(signed: SignedEntry): { scope: EntryScope; author: string; seq: number } | null {
  const bytes = (signed as SignedEntry | null)?.bytes
  if (!(bytes instanceof Uint8Array) || bytes.length < SEQ_AT + 8) return null
  const seq = new DataView(bytes.buffer, bytes.byteOffset + SEQ_AT, 8).getBigUint64(0)
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) return null
  const scope = entryScope(bytes)
  if (scope === undefined) return null
  return { scope, author: toHex(bytes.subarray(AUTHOR_AT, SEQ_AT)), seq: Number(seq) }
}
