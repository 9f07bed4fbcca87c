/**
 * The document store: Automerge documents persisted in LevelDB, every local change
 * bound to a signed entry of this node's chain in the document's scope (the owner's
 * `scopeOfDoc`), in the same atomic batch, and remote changes accepted only through
 * `receive` (see remote-commit.ts). Its parts: local-commit.ts, remote-commit.ts,
 * compaction.ts, change-index.ts, document-load.ts and document-index.ts (derived rows),
 * sharing the state in store-core.ts.
 *
 * Per document: a snapshot (`A.save`) plus the changes since it, compacted into a new
 * snapshot in the background. A fresh Automerge actor (member key + random bytes) is
 * used for every load of a document, so an actor never reuses a sequence number after a
 * crash lost a change.
 */

import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import * as A from '@automerge/automerge'
import type { Entry, EntryScope, Signer } from '../chain/entry.ts'
import { type Clock, systemClock } from '../clock.ts'
import { ChangeRefusedError, DocumentExistsError, StorageCorruptError, StoreClosedError } from '../errors.ts'
import type { ChangeHash, DocId } from '../ids.ts'
import type { JsonValue } from '../json.ts'
import { type Logger, silentLogger } from '../logger.ts'
import { ChainStore } from './chain-store.ts'
import { type ChangeIndex, changesByHash } from './change-index.ts'
import { compact } from './compaction.ts'
import type { BatchOp, Database } from './database.ts'
import { DocumentIndex } from './document-index.ts'
import { loadDocState } from './document-load.ts'
import type { DocumentIndexer } from './indexer.ts'
import { LoadedDocs } from './loaded-docs.ts'
import { commitLocal, nextEntry } from './local-commit.ts'
import type { ReceiveResult, RemoteBatch } from './remote-batch.ts'
import { receiveRemote } from './remote-commit.ts'
import type {
  ActionInput,
  Committed,
  DocState,
  ReceiveOptions,
  StoreCore,
  StoreEvents,
} from './store-core.ts'
import type { ChangeValidator } from './validator.ts'
import type { WriteBudget } from './write-budget.ts'

export type { ActionInput, Committed, ReceiveOptions, StoreEvents } from './store-core.ts'

export interface DocumentStoreComponents {
  readonly db: Database
  readonly signer: Signer
  /** Judges every change, local and remote. */
  readonly validator: ChangeValidator
  readonly log?: Logger
  /** Derived rows kept with the documents (e.g. hangar summaries). */
  readonly indexers?: readonly DocumentIndexer[]
  /** How much this node takes from each author for now (default: no bound). */
  readonly budget?: WriteBudget
  /**
   * The scope of a document's chain entries (the org it belongs to), or null when the
   * owner has none for it: then `create` and `change` refuse it.
   */
  readonly scopeOfDoc: (docId: DocId) => string | null
}

export interface DocumentStoreInit {
  /**
   * fsync every write of this node's own actions (survives power loss); false still
   * survives a process kill. Received data is never flushed on its own (see commitRemote).
   * Default true.
   */
  readonly sync?: boolean
  /** Changes after which a document is compacted into a new snapshot. Default 500. */
  readonly compactAfter?: number
  /** The time of local changes and of this node's entries. Default `systemClock`. */
  readonly clock?: Clock
  /** Documents held in memory at most (the least recently used dropped first). Default `LOADED_DOCS`. */
  readonly maxLoaded?: number
}

export class DocumentStore extends EventEmitter<StoreEvents> {
  readonly chains: ChainStore
  private readonly db: Database
  private readonly signer: Signer
  private readonly validator: ChangeValidator
  private readonly log: Logger
  private readonly index: DocumentIndex
  private readonly budget: WriteBudget | undefined
  private readonly scopeOfDoc: (docId: DocId) => string | null
  private readonly sync: boolean
  private readonly compactAfter: number
  private readonly clock: Clock
  private readonly docs: LoadedDocs
  /**
   * Change bytes by hash, per document (the `CHANGE_INDEX_DOCS` last served), as of the
   * heads named: brought up to date with the changes since those heads when asked again,
   * so a change never forces a full rebuild.
   */
  private readonly changeIndex = new Map<DocId, ChangeIndex>()
  private readonly compacting = new Set<DocId>()
  /** Snapshots served, per document state. */
  private readonly saved = new WeakMap<A.Doc<unknown>, Uint8Array>()
  private queue: Promise<unknown> = Promise.resolve()
  private open = false
  /** What the store's parts share (see store-core.ts). */
  private readonly core: StoreCore

  constructor(components: DocumentStoreComponents, init: DocumentStoreInit = {}) {
    super()
    this.db = components.db
    this.signer = components.signer
    this.validator = components.validator
    this.log = components.log ?? silentLogger
    this.index = new DocumentIndex(this.db, components.indexers ?? [], this.signer.memberKey, this.log)
    this.budget = components.budget
    this.scopeOfDoc = components.scopeOfDoc
    this.chains = new ChainStore({ db: this.db })
    this.sync = init.sync ?? true
    this.compactAfter = init.compactAfter ?? 500
    this.clock = init.clock ?? systemClock
    this.docs = new LoadedDocs(init.maxLoaded)
    this.core = {
      db: this.db,
      signer: this.signer,
      validator: this.validator,
      log: this.log,
      chains: this.chains,
      totals: this.index.totals,
      budget: this.budget,
      sync: this.sync,
      compactAfter: this.compactAfter,
      clock: this.clock,
      docs: this.docs,
      changeIndex: this.changeIndex,
      compacting: this.compacting,
      events: this,
      isOpen: () => this.open,
      has: (docId) => this.has(docId),
      load: (docId) => this.load(docId),
      indexOp: (docId, doc) => this.index.op(docId, doc),
      freshActor: () => this.freshActor(),
      enqueue: (task) => this.enqueue(task),
    }
  }

  /** How many documents the store holds in memory now (at most `DocumentStoreInit.maxLoaded`). */
  get loadedDocuments(): number {
    return this.docs.size
  }

  get memberKey(): Signer['memberKey'] {
    return this.signer.memberKey
  }

  async start(): Promise<void> {
    this.open = true
    // Fail fast on a damaged chain rather than at the first action.
    for (const scope of await this.chains.scopes()) await this.chains.head(scope, this.signer.memberKey)
    await this.index.rebuildStale({
      list: (type) => this.list(type),
      load: (docId) => this.load(docId),
      forget: (docId) => this.docs.delete(docId),
    })
  }

  /** Index rows of documents whose id starts with `prefix` (e.g. `hangar:<org>.`). */
  async indexRows(prefix: string): Promise<[DocId, Uint8Array][]> {
    this.assertOpen()
    return this.index.rows(prefix)
  }

  /**
   * The total of the index rows under `group` (see index-totals.ts; `type`: the indexer
   * keeping it), and the stored rows of `docs`, all as of one moment. Built from the rows
   * once when none is stored or it does not read back.
   */
  async indexTotal<T>(
    type: string,
    group: string,
    docs: readonly DocId[] = [],
  ): Promise<{ total: T; rows: Map<DocId, Uint8Array> }> {
    this.assertOpen()
    return this.index.total<T>(type, group, docs, {
      queued: (task) => this.enqueue(task),
      rows: (prefix) => this.indexRows(prefix),
    })
  }

  /** Waits for queued writes and compactions, then refuses further use. */
  async stop(): Promise<void> {
    if (!this.open) return
    await this.enqueue(async () => {})
    this.open = false
    this.docs.clear()
    this.changeIndex.clear()
  }

  /** Ids of all stored documents, optionally of one type (`org`, `hangar`, …). */
  async list(type?: string): Promise<DocId[]> {
    const range = type === undefined ? {} : { gte: `${type}:`, lt: `${type};` }
    return (await this.db.read(() => this.db.snapshots.keys(range).all())) as DocId[]
  }

  async has(docId: DocId): Promise<boolean> {
    if (this.docs.has(docId)) return true
    return (await this.db.read(() => this.db.snapshots.has(docId))) as boolean
  }

  /** The current document. Throws `DocumentNotFoundError` for an unknown id. */
  async get<T>(docId: DocId): Promise<A.Doc<T>> {
    this.assertOpen()
    return (await this.load(docId)).doc as A.Doc<T>
  }

  /**
   * Creates a document with one initial change, recorded as `action`; given several steps,
   * one change per step, all covered by the one entry (see `change`).
   */
  async create<T>(
    docId: DocId,
    action: ActionInput,
    init: A.ChangeFn<T> | readonly A.ChangeFn<T>[],
  ): Promise<Committed<T>> {
    return this.enqueue(async () => {
      if (await this.has(docId)) throw new DocumentExistsError(docId)
      const scope = this.scopeOf(docId)
      const empty = A.init<T>({ actor: this.freshActor() })
      const state: DocState = { doc: empty, lastSeq: 0, pending: 0 }
      const snapshot: BatchOp = { type: 'put', section: this.db.snapshots, key: docId, value: A.save(empty) }
      return commitLocal(this.core, docId, scope, state, action, steps(init), [snapshot]) as Promise<
        Committed<T>
      >
    })
  }

  /**
   * Changes a document; the change and its signed entry are written in one batch. Given
   * several steps, one change per step, all covered by the one entry and written in the
   * one batch: an action larger than one change may be (ops per change are bounded) is
   * still one action.
   */
  async change<T>(
    docId: DocId,
    action: ActionInput,
    fn: A.ChangeFn<T> | readonly A.ChangeFn<T>[],
  ): Promise<Committed<T>> {
    return this.enqueue(async () => {
      const scope = this.scopeOf(docId)
      const state = await this.load(docId)
      return commitLocal(this.core, docId, scope, state, action, steps(fn), []) as Promise<Committed<T>>
    })
  }

  /** A node-local setting (never synced), or undefined. */
  async getSetting(key: string): Promise<JsonValue | undefined> {
    const raw = await this.db.read(() => this.db.settings.get(key))
    if (raw === undefined) return undefined
    try {
      return JSON.parse(new TextDecoder().decode(raw)) as JsonValue
    } catch (cause) {
      throw new StorageCorruptError(this.db.path, `setting ${key} is not JSON`, { cause })
    }
  }

  /** Writes a node-local setting in order with the store's other writes. */
  async putSetting(key: string, value: JsonValue): Promise<void> {
    await this.enqueue(async () => {
      const bytes = new TextEncoder().encode(JSON.stringify(value))
      await this.db.write([{ type: 'put', section: this.db.settings, key, value: bytes }], this.sync)
    })
  }

  /**
   * Records an action that changes no document (e.g. an invite handed out) on this node's
   * chain in `scope`: an org's, or null for the node-local chain (never sent to anyone).
   */
  async record(scope: EntryScope, action: ActionInput): Promise<Entry> {
    return this.enqueue(async () => {
      const entry = await nextEntry(this.core, scope, action, null, [])
      await this.db.write(this.chains.putOps(entry), this.sync)
      this.chains.appended(entry)
      return entry
    })
  }

  /**
   * Verifies and applies a batch of remote entries and the changes they cover. Only
   * entries whose signatures, chain links, change authorship and validator verdicts
   * all pass are stored; the rest are refused with a reason (see remote-commit.ts).
   */
  async receive(batch: RemoteBatch, options: ReceiveOptions = {}): Promise<ReceiveResult> {
    return receiveRemote(this.core, batch, options)
  }

  /** All of a document's changes. */
  async changes(docId: DocId): Promise<Uint8Array[]> {
    return A.getAllChanges(await this.get(docId))
  }

  /** Those of `hashes` the document holds, by hash: for peers catching up (see change-index.ts). */
  async changesByHash(docId: DocId, hashes: readonly ChangeHash[]): Promise<Map<ChangeHash, Uint8Array>> {
    return changesByHash(this.changeIndex, docId, await this.get(docId), hashes)
  }

  /** The document in compact form (`A.save`), for a peer catching up; kept per document state. */
  async snapshot(docId: DocId): Promise<Uint8Array> {
    const doc = await this.get(docId)
    let bytes = this.saved.get(doc)
    if (bytes === undefined) {
      bytes = A.save(doc)
      this.saved.set(doc, bytes)
    }
    return bytes
  }

  /** Writes a snapshot of `docId` now and drops the changes it covers. */
  async compact(docId: DocId): Promise<void> {
    await compact(this.core, docId)
  }

  /** The scope of a document's entries; a document with none is not this store's to change. */
  private scopeOf(docId: DocId): string {
    const scope = this.scopeOfDoc(docId)
    if (scope === null) throw new ChangeRefusedError(`${docId} belongs to no scope`)
    return scope
  }

  private async load(docId: DocId): Promise<DocState> {
    const cached = this.docs.get(docId)
    if (cached !== undefined) return cached
    const state = await loadDocState(this.db, docId, this.freshActor())
    // A commit may have put a newer state in place while this read was under way: it wins.
    const meanwhile = this.docs.get(docId)
    if (meanwhile !== undefined) return meanwhile
    this.docs.set(docId, state)
    return state
  }

  /**
   * Drops the documents held in memory, after the writes queued so far; each is read from
   * the database again when next needed. A restore calls it between batches: it touches
   * every document once, so even the last `LOADED_DOCS` held are of no use to it (a first
   * restore of a 10,000-member org: 56 s released per batch, 78 s with them held).
   */
  async release(): Promise<void> {
    await this.enqueue(async () => {
      this.docs.clear()
      this.changeIndex.clear()
    })
  }

  /**
   * A new Automerge actor for every load: the member key followed by 8 random bytes, so
   * an actor never reuses a sequence number after a crash, and every change names the
   * member who made it (checked against the covering entry on receipt).
   */
  private freshActor(): string {
    return `${this.signer.memberKey}${randomBytes(8).toString('hex')}`
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.assertOpen()
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => {})
    return run
  }

  private assertOpen(): void {
    if (!this.open) throw new StoreClosedError()
  }
}

/** A change function or several, as steps. */
function steps<T>(fn: A.ChangeFn<T> | readonly A.ChangeFn<T>[]): readonly A.ChangeFn<unknown>[] {
  return (typeof fn === 'function' ? [fn] : fn) as readonly A.ChangeFn<unknown>[]
}
