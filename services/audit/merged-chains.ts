/**
 * An org's chains read newest first as one stream (entry-key.ts's order, per chain its
 * seq order), a k-way merge over the authors' chains: what an export reads. Each chain
 * starts at its head (cached by `ChainStore`), or, below an `until` bound, where a binary
 * search over seq (a short chain: one range read) finds it; then it is read downward in
 * batches of `BATCH`, only as the merge takes from it. Memory: one batch per chain. The
 * merge assumes an author's clock does not run backwards; where it did, that author's
 * entries come in their chain's order. (Listing pages use `TrailIndex` instead: a deep
 * page here would seek into every chain newer than the cursor; measured at 10,000
 * authors, that costs as much as reading the whole trail.)
 */
import { type ChainStore, decodeEntry, type Entry, type EntryScope, unpackEntry } from '../../crdt/index.ts'
import { compareKeys, type EntryKey } from './entry-key.ts'

/** Entries one downward read of a chain takes. */
const BATCH = 64
/**
 * A chain at most this long is entered with one range read of it (one record, usually)
 * rather than a binary search, whose every probe seeks and unpacks that same record.
 */
export const READ_WHOLE_CHAIN_UP_TO = 64

interface ChainFront {
  readonly author: string
  /** The entry this chain offers next. */
  entry: Entry
  /** Read but not yet offered, newest first. */
  buffer: Entry[]
  /** The next seq below the buffer still to read (0: none). */
  below: number
}

export class MergedChains {
  readonly #chains: ChainStore
  readonly #scope: EntryScope
  /** Max-heap of chain fronts by key. */
  readonly #heap: ChainFront[] = []
  /** Entries the authors' chains hold in all (sum of head seqs). */
  total = 0
  /** Stored entries that did not decode (skipped; `audit verify` reports them). */
  undecodable = 0

  private constructor(chains: ChainStore, scope: EntryScope) {
    this.#chains = chains
    this.#scope = scope
  }

  /** The merge over `authors`' chains from just below `bound` (exclusive; null: from the newest). */
  static async open(
    chains: ChainStore,
    scope: EntryScope,
    authors: readonly string[],
    bound: EntryKey | null,
    readWholeUpTo = READ_WHOLE_CHAIN_UP_TO,
  ): Promise<MergedChains> {
    const m = new MergedChains(chains, scope)
    await m.#enter(authors, bound, readWholeUpTo)
    return m
  }

  async #enter(authors: readonly string[], bound: EntryKey | null, readWholeUpTo: number): Promise<void> {
    for (const author of authors) {
      const head = await this.#chains.head(this.#scope, author as Entry['author'])
      if (head === null) continue
      this.total += head.seq
      if (bound === null || compareKeys(head, bound) < 0) {
        this.#push({ author, entry: head, buffer: [], below: head.seq - 1 })
        continue
      }
      const front: ChainFront | null =
        head.seq <= readWholeUpTo
          ? await this.#frontOfShort(author, head.seq, bound)
          : await this.#frontOf(author, head.seq, bound)
      if (front !== null) this.#push(front)
    }
  }

  /** The next entry, without taking it. */
  peek(): Entry | null {
    return this.#heap[0]?.entry ?? null
  }

  /** Takes the next entry (null: none left). */
  async take(): Promise<Entry | null> {
    const top = this.#heap[0]
    if (top === undefined) return null
    const taken = top.entry
    const next = await this.#advance(top)
    if (next === null) {
      const last = this.#heap.pop() as ChainFront
      if (this.#heap.length > 0) {
        this.#heap[0] = last
        this.#down(0)
      }
    } else {
      top.entry = next
      this.#down(0)
    }
    return taken
  }

  /** A short chain's front below `bound`: the chain read whole, newest first. */
  async #frontOfShort(author: string, seq: number, bound: EntryKey): Promise<ChainFront | null> {
    const packed = await this.#chains.packed(this.#scope, author as Entry['author'], 1, seq)
    const buffer: Entry[] = []
    for (let i = packed.length - 1; i >= 0; i--) {
      const e = this.#decode(packed[i] as Uint8Array)
      // As the binary search would: the newest entry below the bound, and all below it.
      if (e !== null && (buffer.length > 0 || compareKeys(e, bound) < 0)) buffer.push(e)
    }
    const entry = buffer.shift()
    return entry === undefined ? null : { author, entry, buffer, below: 0 }
  }

  async #frontOf(author: string, seq: number, bound: EntryKey): Promise<ChainFront | null> {
    const entry = await this.#highestBelow(author, seq - 1, bound)
    return entry === null ? null : { author, entry, buffer: [], below: entry.seq - 1 }
  }

  async #advance(f: ChainFront): Promise<Entry | null> {
    while (f.buffer.length === 0 && f.below > 0) {
      const from = Math.max(1, f.below - BATCH + 1)
      const packed = await this.#chains.packed(
        this.#scope,
        f.author as Entry['author'],
        from,
        f.below - from + 1,
      )
      f.below = from - 1
      for (let i = packed.length - 1; i >= 0; i--) {
        const e = this.#decode(packed[i] as Uint8Array)
        if (e !== null) f.buffer.push(e)
      }
    }
    return f.buffer.shift() ?? null
  }

  /** The newest entry of `author` at or below seq `hi` whose key is below `bound` (binary search). */
  async #highestBelow(author: string, hi: number, bound: EntryKey): Promise<Entry | null> {
    let lo = 1
    let best: Entry | null = null
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const e = await this.#chains.get(this.#scope, author as Entry['author'], mid)
      if (e === null) {
        hi = mid - 1
        continue
      }
      if (compareKeys(e, bound) < 0) {
        best = e
        lo = mid + 1
      } else hi = mid - 1
    }
    return best
  }

  #decode(packed: Uint8Array): Entry | null {
    const d = decodeEntry(unpackEntry(packed))
    if (d.ok) return d.entry
    this.undecodable++
    return null
  }

  #push(f: ChainFront): void {
    this.#heap.push(f)
    let i = this.#heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >>> 1
      if (compareKeys((this.#heap[parent] as ChainFront).entry, f.entry) >= 0) break
      this.#heap[i] = this.#heap[parent] as ChainFront
      i = parent
    }
    this.#heap[i] = f
  }

  #down(at: number): void {
    const h = this.#heap
    let i = at
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let top = i
      if (l < h.length && compareKeys((h[l] as ChainFront).entry, (h[top] as ChainFront).entry) > 0) top = l
      if (r < h.length && compareKeys((h[r] as ChainFront).entry, (h[top] as ChainFront).entry) > 0) top = r
      if (top === i) return
      const t = h[i] as ChainFront
      h[i] = h[top] as ChainFront
      h[top] = t
      i = top
    }
  }
}
