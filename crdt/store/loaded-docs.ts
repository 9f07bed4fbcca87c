/**
 * The documents a store holds in memory: at most `capacity`, the least recently used
 * dropped first (read from the database again when next needed). Unbounded, a node that
 * took in a 10,000-member org's hangars held every one of them: over a gigabyte, and
 * Automerge's heap growing the whole time (a first restore of that org took 3 to 7
 * minutes instead of one).
 */
import type { DocId } from '../ids.ts'
import type { DocState } from './store-core.ts'

/** Documents a store holds in memory at most, by default. */
export const LOADED_DOCS = 1024

export class LoadedDocs {
  readonly capacity: number
  /** In use order: the least recently used first. */
  readonly #docs = new Map<DocId, DocState>()

  constructor(capacity: number = LOADED_DOCS) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be 1 or more: ${capacity}`)
    this.capacity = capacity
  }

  get size(): number {
    return this.#docs.size
  }

  /** The document's state, now the most recently used; undefined when not held. */
  get(docId: DocId): DocState | undefined {
    const state = this.#docs.get(docId)
    if (state !== undefined) {
      this.#docs.delete(docId)
      this.#docs.set(docId, state)
    }
    return state
  }

  has(docId: DocId): boolean {
    return this.#docs.has(docId)
  }

  /** Holds `state` as the most recently used; drops the least recently used beyond `capacity`. */
  set(docId: DocId, state: DocState): void {
    this.#docs.delete(docId)
    this.#docs.set(docId, state)
    for (const oldest of this.#docs.keys()) {
      if (this.#docs.size <= this.capacity) break
      this.#docs.delete(oldest)
    }
  }

  delete(docId: DocId): boolean {
    return this.#docs.delete(docId)
  }

  clear(): void {
    this.#docs.clear()
  }
}
