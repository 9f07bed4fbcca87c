/**
 * The document store: Automerge documents persisted in LevelDB, every local change
 * bound to a signed entry of this node's chain in the document's scope (the owner's
 * `scopeOfDoc`), in the same atomic batch, and remote changes accepted only through
 * `receive` (see remote-batch.ts).
 *
 * Per document: a snapshot (`A.save`) plus the changes since it, compacted into a new
 * snapshot in the background. A fresh Automerge actor (member key + random bytes) is
 * used for every load of a document, so an actor never reuses a sequence number after a
 * crash lost a change.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import * as A from '@automerge/automerge'
import { ChainStore } from '../chain/chain-store.ts'
import { type Entry, type EntryScope, type Signer, signEntry } from '../chain/entry.ts'
import { type Clock, systemClock } from '../clock.ts'
import {
  ChangeRefusedError,
  DocumentExistsError,
  DocumentNotFoundError,
  StorageCorruptError,
  StoreClosedError,
} from '../errors.ts'
import type { ChangeHash, DocId, MemberKey } from '../ids.ts'
import type { JsonValue } from '../json.ts'
import { type Logger, silentLogger } from '../logger.ts'
import { isProblem, outlineChange, snapshotProblem } from './change-bounds.ts'
import { changeHash, decodeChange, snapshotHeads } from './change-decoder.ts'
import { changeKey, packChanges, unpackChanges } from './change-records.ts'
import type { BatchOp, Database } from './database.ts'
import { IndexTotals } from './index-totals.ts'
import type { DocumentIndexer } from './indexer.ts'
import { receiveBatch } from './receive-batch.ts'
import {
  type AuthorGate,
  acceptedCount,
  type DocAcceptance,
  headsAfter,
  mergeInto,
  type ReceiveDeps,
  type ReceiveResult,
  type RemoteBatch,
  refuseWaiting,
} from './remote-batch.ts'
import type { ChangeValidator } from './validator.ts'
import type { WriteBudget } from './write-budget.ts'

/** Documents whose hash → change index is kept for the next catch-up (the last served). */
const CHANGE_INDEX_DOCS = 64

/** What a local action says about itself; becomes the signed chain entry. */
export interface ActionInput {
  readonly action: string
  readonly resource: string
  readonly details?: JsonValue
  /** Heads of the authorization document the author has seen (set by the domain layer). */
  readonly authHeads?: readonly ChangeHash[]
}

export interface Committed<T> {
  readonly doc: A.Doc<T>
  /** The entry recorded, or null when the change function changed nothing. */
  readonly entry: Entry | null
}

export interface StoreEvents {
  /** A document changed, locally or by an accepted remote change. */
  change: [
    {
      docId: DocId
      origin: 'local' | 'remote'
      entries: readonly Entry[]
      /** The change bytes those entries cover. */
      changes: readonly Uint8Array[]
    },
  ]
  /** A remote batch had entries refused. */
  rejected: [{ result: ReceiveResult }]
}

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

export interface ReceiveOptions {
  /**
   * Whether an author may have entries here at all (see `ReceiveDeps.knowsAuthor`): the
   * network's caller passes the org's roster, so an outsider's bytes cost nothing.
   */
  readonly knowsAuthor?: AuthorGate
  /** The scope the batch is for (see `ReceiveDeps.scope`): entries of another cost nothing. */
  readonly scope?: string
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
}

/** A document's change bytes by hash, as of `heads` (the state `doc`, while it is current). */
interface ChangeIndex {
  heads: string[]
  doc: A.Doc<unknown>
  readonly byHash: Map<ChangeHash, Uint8Array>
}

/** In-memory state of one loaded document. */
interface DocState {
  doc: A.Doc<unknown>
  /** Sequence number of the last change key written for this document. */
  lastSeq: number
  /** Change keys since the snapshot. */
  pending: number
  compacting: boolean
}

export class DocumentStore extends EventEmitter<StoreEvents> {
  readonly chains: ChainStore
  private readonly db: Database
  private readonly signer: Signer
  private readonly validator: ChangeValidator
  private readonly log: Logger
  private readonly indexers: ReadonlyMap<string, DocumentIndexer>
  private readonly totals: IndexTotals
  private readonly budget: WriteBudget | undefined
  private readonly scopeOfDoc: (docId: DocId) => string | null
  private readonly sync: boolean
  private readonly compactAfter: number
  private readonly clock: Clock
  private readonly docs = new Map<DocId, DocState>()
  /**
   * Change bytes by hash, per document (the `CHANGE_INDEX_DOCS` last served), as of the
   * heads named: brought up to date with the changes since those heads when asked again,
   * so a change never forces a full rebuild.
   */
  private readonly changeIndex = new Map<DocId, ChangeIndex>()
  /** Snapshots served, per document state. */
  private readonly saved = new WeakMap<A.Doc<unknown>, Uint8Array>()
  private queue: Promise<unknown> = Promise.resolve()
  private open = false

  constructor(components: DocumentStoreComponents, init: DocumentStoreInit = {}) {
    super()
    this.db = components.db
    this.signer = components.signer
    this.validator = components.validator
    this.log = components.log ?? silentLogger
    this.indexers = new Map((components.indexers ?? []).map((i) => [i.type, i]))
    const totals = [...this.indexers.values()].flatMap((i) =>
      i.totals === undefined ? [] : [[i.type, i.totals(this.signer.memberKey)] as const],
    )
    this.totals = new IndexTotals(this.db, new Map(totals))
    this.budget = components.budget
    this.scopeOfDoc = components.scopeOfDoc
    this.chains = new ChainStore({ db: this.db })
    this.sync = init.sync ?? true
    this.compactAfter = init.compactAfter ?? 500
    this.clock = init.clock ?? systemClock
  }

  get memberKey(): Signer['memberKey'] {
    return this.signer.memberKey
  }

  async start(): Promise<void> {
    this.open = true
    // Fail fast on a damaged chain rather than at the first action.
    for (const scope of await this.chains.scopes()) await this.chains.head(scope, this.signer.memberKey)
    for (const indexer of this.indexers.values()) await this.rebuildIndexIfStale(indexer)
  }

  /** Index rows of documents whose id starts with `prefix` (e.g. `hangar:<org>.`). */
  async indexRows(prefix: string): Promise<[DocId, Uint8Array][]> {
    this.assertOpen()
    return (await this.db.read(() =>
      this.db.index.iterator({ gte: prefix, lt: `${prefix}\uffff` }).all(),
    )) as [DocId, Uint8Array][]
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
    if (docs.length === 0) {
      // One record, read between batches (a batch's total and rows land together).
      const total = await this.totals.read<T>(type, group)
      if (total !== null) return { total, rows: new Map() }
    }
    return this.enqueue(async () => {
      let total: T | null = await this.totals.read<T>(type, group)
      if (total === null) {
        const built = this.totals.build<T>(type, group, await this.indexRows(group))
        // Not flushed on its own: lost with a crash, it is only built again.
        await this.db.write([built.op], false)
        this.totals.built(group, built.op)
        total = built.total
      }
      const rows = new Map<DocId, Uint8Array>()
      for (const docId of docs) {
        const row = await this.db.read(() => this.db.index.get(docId))
        if (row !== undefined) rows.set(docId, row)
      }
      return { total, rows }
    })
  }

  private async rebuildIndexIfStale(indexer: DocumentIndexer): Promise<void> {
    const key = `index-version:${indexer.type}`
    const stored = await this.db.read(() => this.db.meta.get(key))
    const version = String(indexer.version)
    if (stored !== undefined && new TextDecoder().decode(stored) === version) return
    const docIds = await this.list(indexer.type)
    if (docIds.length > 0) this.log.info({ type: indexer.type, documents: docIds.length }, 'rebuilding index')
    const old = await this.db.read(() =>
      this.db.index.keys({ gte: `${indexer.type}:`, lt: `${indexer.type};` }).all(),
    )
    const ops: BatchOp[] = old.map((k) => ({ type: 'del', sublevel: this.db.index, key: k }))
    ops.push(...(await this.totals.dropOps(indexer.type))) // built again from the new rows when read
    for (const docId of docIds) {
      const row = indexer.row(docId, (await this.load(docId)).doc)
      if (row !== null) ops.push({ type: 'put', sublevel: this.db.index, key: docId, value: row })
      this.docs.delete(docId) // do not keep every document loaded
    }
    ops.push({ type: 'put', sublevel: this.db.meta, key, value: new TextEncoder().encode(version) })
    await this.db.write(ops, true)
  }

  /** The batch operation that keeps a document's index row current. */
  private indexOp(docId: DocId, doc: A.Doc<unknown>): BatchOp | null {
    const indexer = this.indexers.get(docId.slice(0, docId.indexOf(':')))
    if (indexer === undefined) return null
    const row = indexer.row(docId, doc)
    return row === null
      ? { type: 'del', sublevel: this.db.index, key: docId }
      : { type: 'put', sublevel: this.db.index, key: docId, value: row }
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

  /** Creates a document with one initial change, recorded as `action`. */
  async create<T>(docId: DocId, action: ActionInput, init: A.ChangeFn<T>): Promise<Committed<T>> {
    return this.enqueue(async () => {
      if (await this.has(docId)) throw new DocumentExistsError(docId)
      const scope = this.scopeOf(docId)
      const empty = A.init<T>({ actor: this.freshActor() })
      const state: DocState = { doc: empty, lastSeq: 0, pending: 0, compacting: false }
      const snapshot: BatchOp = { type: 'put', sublevel: this.db.snapshots, key: docId, value: A.save(empty) }
      return this.commit(docId, scope, state, action, init as A.ChangeFn<unknown>, [snapshot]) as Promise<
        Committed<T>
      >
    })
  }

  /** Changes a document; the change and its signed entry are written in one batch. */
  async change<T>(docId: DocId, action: ActionInput, fn: A.ChangeFn<T>): Promise<Committed<T>> {
    return this.enqueue(async () => {
      const scope = this.scopeOf(docId)
      const state = await this.load(docId)
      return this.commit(docId, scope, state, action, fn as A.ChangeFn<unknown>, []) as Promise<Committed<T>>
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
      await this.db.write([{ type: 'put', sublevel: this.db.settings, key, value: bytes }], this.sync)
    })
  }

  /**
   * Records an action that changes no document (e.g. an invite handed out) on this node's
   * chain in `scope`: an org's, or null for the node-local chain (never sent to anyone).
   */
  async record(scope: EntryScope, action: ActionInput): Promise<Entry> {
    return this.enqueue(async () => {
      const entry = await this.nextEntry(scope, action, null, [])
      await this.db.write(this.chains.putOps(entry), this.sync)
      this.chains.appended(entry)
      return entry
    })
  }

  /**
   * Verifies and applies a batch of remote entries and the changes they cover. Only
   * entries whose signatures, chain links, change authorship and validator verdicts
   * all pass are stored; the rest are refused with a reason.
   */
  async receive(batch: RemoteBatch, options: ReceiveOptions = {}): Promise<ReceiveResult> {
    return this.enqueue(async () => {
      const deps: ReceiveDeps = {
        chains: this.chains,
        validator: this.validator,
        loadDoc: async (docId: DocId) => ((await this.has(docId)) ? (await this.load(docId)).doc : null),
        ...(options.knowsAuthor === undefined ? {} : { knowsAuthor: options.knowsAuthor }),
        ...(options.scope === undefined ? {} : { scope: options.scope }),
      }
      // Anything malformed is refused by receiveBatch; snapshots only as a map of bytes.
      const offered = (batch as RemoteBatch | null)?.snapshots
      const snapshots = new Map<DocId, Uint8Array>()
      if (offered instanceof Map)
        for (const [docId, bytes] of offered) if (bytes instanceof Uint8Array) snapshots.set(docId, bytes)
      // Entries past their author's write budget are refused before any work (kind `budget`).
      const within =
        this.budget !== undefined && Array.isArray((batch as RemoteBatch | null)?.entries)
          ? await this.budget.admit(
              batch.entries,
              async (author, scope) => (await this.chains.head(scope, author as MemberKey))?.seq ?? 0,
            )
          : null
      const total = await receiveBatch(within === null ? batch : { ...batch, entries: within.admitted }, deps)
      await this.commitRemote(total, snapshots)
      // Entries that waited on this batch's other changes (e.g. roster heads) get another
      // round once those are written, as long as rounds make progress.
      let last = total
      for (let round = 0; round < 16 && last.waiting.length > 0 && acceptedCount(last) > 0; round++) {
        const waiting = last.waiting.splice(0)
        const changes = waiting.flatMap((e) =>
          e.changes.map((h) => last.changeBytes.get(h)).filter((c) => c !== undefined),
        )
        last = await receiveBatch({ entries: waiting, changes }, deps)
        await this.commitRemote(last, snapshots)
        mergeInto(total, last)
      }
      total.waiting.push(...last.waiting.splice(0))
      refuseWaiting(total, last.strangers)
      if (within !== null) {
        total.rejected.push(...within.refused)
        const stored = [...[...total.byDoc.values()].flatMap((a) => a.entries), ...total.entriesOnly]
        this.budget?.charge(stored, total.changeBytes)
      }
      if (total.rejected.length > 0) this.emit('rejected', { result: total })
      return total
    })
  }

  /**
   * Writes what a receive round accepted: one atomic batch, then the in-memory state. A
   * document with a snapshot that holds exactly the history it gets here is loaded from
   * it (several times faster than applying thousands of changes) and stored as it.
   */
  private async commitRemote(
    result: ReceiveResult,
    snapshots: ReadonlyMap<DocId, Uint8Array>,
  ): Promise<void> {
    // Everything accepted goes to disk in one batch (changes, entries, index rows), so a
    // crash never leaves a hole in a chain or a stale row. The new documents are kept in
    // memory only once the write succeeded.
    const ops: BatchOp[] = []
    const next = new Map<DocId, DocState>()
    const totals = this.totals.batch()
    for (const [docId, acceptedHere] of result.byDoc) {
      const existing = await this.has(docId)
      const state = existing
        ? await this.load(docId)
        : { doc: A.init({ actor: this.freshActor() }), lastSeq: 0, pending: 0, compacting: false }
      const snapshot = snapshots.get(docId)
      const loaded =
        snapshot === undefined ? null : this.loadIfHistory(snapshot, state.doc, acceptedHere, result)
      if (loaded !== null) {
        // The snapshot replaces the stored one and every change record since it.
        ops.push({ type: 'put', sublevel: this.db.snapshots, key: docId, value: snapshot as Uint8Array })
        for (const key of await this.changeKeys(docId, state.lastSeq))
          ops.push({ type: 'del', sublevel: this.db.changes, key })
        const indexed = this.indexOp(docId, loaded)
        if (indexed !== null) ops.push(indexed)
        if (indexed !== null) totals.row(docId, rowOf(indexed))
        next.set(docId, { ...state, doc: loaded, pending: 0 })
        continue
      }
      if (!existing)
        ops.push({ type: 'put', sublevel: this.db.snapshots, key: docId, value: A.save(state.doc) })
      // One record for all of this batch's changes to the document: thousands of puts
      // become one (read back change by change, so damage is still caught).
      const seq = state.lastSeq + 1
      ops.push(this.changeOp(docId, seq, packChanges(acceptedHere.changes)))
      const [doc] = A.applyChanges(state.doc, acceptedHere.changes as A.Change[])
      const indexed = this.indexOp(docId, doc)
      if (indexed !== null) ops.push(indexed)
      if (indexed !== null) totals.row(docId, rowOf(indexed))
      next.set(docId, { ...state, doc, lastSeq: seq, pending: state.pending + acceptedHere.changes.length })
    }
    const accepted = [...[...result.byDoc.values()].flatMap((a) => a.entries), ...result.entriesOnly]
    // Runs of a chain share a record: a catch-up's thousands of entries are a few dozen puts.
    ops.push(...this.chains.putAllOps(accepted))
    ops.push(...(await totals.ops()))
    if (ops.length > 0) {
      try {
        // Not flushed to disk before going on: what peers sent can be fetched again, and
        // LevelDB's log is sequential, so the next flushed write (this node's own next
        // action) makes it durable too. It survives a crash of the process either way.
        await this.db.write(ops, false)
        totals.done(true)
      } catch (err) {
        totals.done(false)
        for (const docId of next.keys()) this.docs.delete(docId)
        throw err
      }
    }
    // Each chain's newest accepted entry is its head now.
    const newest = new Map<string, Entry>()
    for (const entry of accepted) {
      const chain = `${entry.scope}!${entry.author}`
      if ((newest.get(chain)?.seq ?? 0) < entry.seq) newest.set(chain, entry)
    }
    for (const entry of newest.values()) this.chains.appended(entry)
    for (const [docId, state] of next) {
      const before = this.docs.get(docId)?.doc
      this.docs.set(docId, state)
      const accepted = result.byDoc.get(docId)
      if (before !== undefined && accepted !== undefined) this.indexRemote(docId, before, state.doc, accepted)
      this.emit('change', {
        docId,
        origin: 'remote',
        entries: accepted?.entries ?? [],
        changes: accepted?.changes ?? [],
      })
      this.maybeCompact(docId, state)
    }
    for (const f of result.forks) await this.chains.recordFork(f[0], f[1])
  }

  /** All of a document's changes. */
  async changes(docId: DocId): Promise<Uint8Array[]> {
    return A.getAllChanges(await this.get(docId))
  }

  /** Those of `hashes` the document holds, by hash: for peers catching up. */
  async changesByHash(docId: DocId, hashes: readonly ChangeHash[]): Promise<Map<ChangeHash, Uint8Array>> {
    const doc = await this.get(docId)
    // From an index of the document's changes (a catch-up asks for thousands, batch by
    // batch; Automerge's lookup per hash is slow), built once per document and extended by
    // the changes since the heads it was last brought to (this node's own changes as it
    // makes them: see `indexLocal`). A history that lost those heads (a document reloaded
    // after a failed write) is indexed afresh.
    let index = this.changeIndex.get(docId)
    // The most recently served documents only (a Map iterates in insertion order).
    this.changeIndex.delete(docId)
    if (index?.doc !== doc) {
      const heads = A.getHeads(doc)
      if (index === undefined || !A.hasHeads(doc, index.heads)) {
        index = { heads, doc, byHash: new Map() }
        for (const c of A.getAllChanges(doc)) index.byHash.set(changeHash(c) as ChangeHash, c)
      } else {
        if (index.heads.join() !== heads.join())
          for (const c of A.getChangesSince(doc, index.heads))
            index.byHash.set(changeHash(c) as ChangeHash, c)
        index.heads = heads
        index.doc = doc
      }
    }
    this.changeIndex.set(docId, index)
    for (const oldest of this.changeIndex.keys()) {
      if (this.changeIndex.size <= CHANGE_INDEX_DOCS) break
      this.changeIndex.delete(oldest)
    }
    const out = new Map<ChangeHash, Uint8Array>()
    for (const h of hashes) {
      const c = index.byHash.get(h)
      if (c !== undefined) out.set(h, c)
    }
    return out
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

  /**
   * `bytes` loaded as a document, if it loads and holds exactly the history of `doc` plus
   * the `accepted` changes (Automerge checks on load that the heads a snapshot names are
   * those of its content; a change hash covers all its ancestors, so equal heads are an
   * equal history). Else null.
   */
  private loadIfHistory(
    bytes: Uint8Array,
    doc: A.Doc<unknown>,
    accepted: DocAcceptance,
    result: ReceiveResult,
  ): A.Doc<unknown> | null {
    const heads = headsAfter(A.getHeads(doc), accepted.links)
    // The heads its header claims first: a snapshot of another state is not even loaded.
    const claimed = snapshotHeads(bytes)
    if (claimed === null || !sameHeads(claimed, heads)) return null
    // Nor one that declares more than that history holds, or inflates past the bound.
    const stats = A.stats(doc)
    const problem = snapshotProblem(bytes, {
      changes: stats.numChanges + accepted.links.length,
      ops: stats.numOps + accepted.ops,
    })
    if (problem !== null) {
      // Refused like an entry (no author): the peer that sent it answers for it.
      const reason = `snapshot refused: ${problem.reason}`
      result.rejected.push({ author: null, seq: null, hash: null, reason, kind: problem.kind })
      return null
    }
    let loaded: A.Doc<unknown>
    try {
      loaded = A.load(bytes, { actor: this.freshActor() })
    } catch {
      return null
    }
    return sameHeads(A.getHeads(loaded), heads) ? loaded : null
  }

  /** Keys of a document's change records up to `lastSeq`. */
  private changeKeys(docId: DocId, lastSeq: number): Promise<string[]> {
    return this.db.read(() => this.db.changes.keys({ gt: `${docId}!`, lte: changeKey(docId, lastSeq) }).all())
  }

  /** Writes a snapshot of `docId` now and drops the changes it covers. */
  async compact(docId: DocId): Promise<void> {
    await this.enqueue(async () => {
      const state = this.docs.get(docId)
      if (state === undefined || state.pending === 0) return
      const covered = await this.changeKeys(docId, state.lastSeq)
      const ops: BatchOp[] = [
        { type: 'put', sublevel: this.db.snapshots, key: docId, value: A.save(state.doc) },
        ...covered.map((key): BatchOp => ({ type: 'del', sublevel: this.db.changes, key })),
      ]
      await this.db.write(ops, this.sync)
      state.pending = 0
    })
  }

  private async commit(
    docId: DocId,
    scope: string,
    state: DocState,
    action: ActionInput,
    fn: A.ChangeFn<unknown>,
    extraOps: BatchOp[],
  ): Promise<Committed<unknown>> {
    const after = A.change(state.doc, { time: Math.floor(this.clock.now() / 1000) }, fn)
    const change = A.getLastLocalChange(after)
    if (after === state.doc || change === undefined) {
      if (extraOps.length > 0) throw new TypeError('a new document needs an initial change')
      return { doc: state.doc, entry: null }
    }
    const hash = A.getHeads(after)[0] as ChangeHash
    try {
      const entry = await this.nextEntry(scope, action, docId, [hash])
      // A change past the bounds would be refused by every peer: refuse it here first.
      const outline = outlineChange(change)
      if (isProblem(outline)) throw new ChangeRefusedError(`the change is too large: ${outline.reason}`)
      const verdict = await this.validator.validate({
        docId,
        entry,
        changes: [decodeChange(change)],
        changeBytes: [change],
        origin: 'local',
        doc: state.doc,
        prior: [],
      })
      if (!verdict.ok) throw new ChangeRefusedError(verdict.reason)
      const ops = [...extraOps, this.changeOp(docId, state.lastSeq + 1, change), ...this.chains.putOps(entry)]
      const indexed = this.indexOp(docId, after)
      if (indexed !== null) ops.push(indexed)
      const totals = this.totals.batch()
      if (indexed !== null) totals.row(docId, rowOf(indexed))
      ops.push(...(await totals.ops()))
      await this.db.write(ops, this.sync).then(
        () => totals.done(true),
        (err: unknown) => {
          totals.done(false)
          throw err
        },
      )
      this.indexLocal(docId, state.doc, after, hash, change)
      state.doc = after
      state.lastSeq++
      state.pending++
      this.docs.set(docId, state)
      this.chains.appended(entry)
      this.emit('change', { docId, origin: 'local', entries: [entry], changes: [change] })
      this.maybeCompact(docId, state)
      return { doc: after, entry }
    } catch (err) {
      // The in-memory document ran ahead of the disk: drop it, reload on next use.
      this.docs.delete(docId)
      throw err
    }
  }

  /**
   * A local change `hash` made `after` from `before`: a change index kept for the document
   * as of `before` takes it, so serving the new state costs no Automerge call (a local
   * change depends on every head, so it is the only head after it).
   */
  private indexLocal(
    docId: DocId,
    before: A.Doc<unknown>,
    after: A.Doc<unknown>,
    hash: ChangeHash,
    change: Uint8Array,
  ): void {
    const index = this.changeIndex.get(docId)
    if (index?.doc !== before) return
    index.byHash.set(hash, change)
    index.heads = [hash]
    index.doc = after
  }

  /**
   * Accepted remote changes made `after` from `before`: a change index kept for the document
   * as of `before` takes them (their hashes were taken when they were judged), so serving
   * the new state costs no pass over the document's history. Only if `after` holds exactly
   * those changes more (its heads are those they lead to); else the index is brought up to
   * date when next asked, as before.
   */
  private indexRemote(
    docId: DocId,
    before: A.Doc<unknown>,
    after: A.Doc<unknown>,
    accepted: DocAcceptance,
  ): void {
    const index = this.changeIndex.get(docId)
    if (index?.doc !== before) return
    const heads = A.getHeads(after)
    if (!sameHeads(heads, headsAfter(index.heads, accepted.links))) return
    for (const [i, link] of accepted.links.entries())
      index.byHash.set(link.hash, accepted.changes[i] as Uint8Array)
    index.heads = heads
    index.doc = after
  }

  /** The scope of a document's entries; a document with none is not this store's to change. */
  private scopeOf(docId: DocId): string {
    const scope = this.scopeOfDoc(docId)
    if (scope === null) throw new ChangeRefusedError(`${docId} belongs to no scope`)
    return scope
  }

  private async nextEntry(
    scope: EntryScope,
    action: ActionInput,
    docId: DocId | null,
    changes: ChangeHash[],
  ): Promise<Entry> {
    const head = await this.chains.head(scope, this.signer.memberKey)
    return signEntry(
      {
        scope,
        author: this.signer.memberKey,
        seq: (head?.seq ?? 0) + 1,
        prev: head?.hash ?? null,
        time: this.clock.now(),
        action: action.action,
        resource: action.resource,
        details: action.details ?? null,
        doc: docId,
        changes,
        authHeads: action.authHeads ?? [],
      },
      this.signer,
    )
  }

  private changeOp(docId: DocId, seq: number, change: Uint8Array): BatchOp {
    return { type: 'put', sublevel: this.db.changes, key: changeKey(docId, seq), value: change }
  }

  private async load(docId: DocId): Promise<DocState> {
    const cached = this.docs.get(docId)
    if (cached !== undefined) return cached
    const snapshot = await this.db.read(() => this.db.snapshots.get(docId))
    if (snapshot === undefined) throw new DocumentNotFoundError(docId)
    // A.save never writes an empty snapshot: an empty one is damage, not an empty document.
    if (snapshot.length === 0)
      throw new StorageCorruptError(this.db.path, `document ${docId} has an empty snapshot`)
    const rows = await this.db.read(() =>
      this.db.changes.iterator({ gt: `${docId}!`, lt: `${docId}!~` }).all(),
    )
    let doc: A.Doc<unknown>
    try {
      // A record holds one change, or a batch of them (see packChanges). The snapshot and
      // its changes are loaded as one (a saved document followed by change chunks): applying
      // them to a loaded document builds its JS view twice (~35% more CPU for a hangar or
      // an operation with a hundred changes pending).
      doc = A.load(
        withChanges(
          snapshot,
          rows.flatMap(([, v]) => unpackChanges(v)),
        ),
        {
          actor: this.freshActor(),
        },
      )
    } catch (cause) {
      throw new StorageCorruptError(this.db.path, `document ${docId} does not load`, { cause })
    }
    if (A.getMissingDeps(doc, []).length > 0) {
      throw new StorageCorruptError(this.db.path, `document ${docId} is missing changes`)
    }
    const last = rows[rows.length - 1]
    const lastSeq = last === undefined ? 0 : Number(last[0].slice(last[0].lastIndexOf('!') + 1))
    const state: DocState = { doc, lastSeq, pending: rows.length, compacting: false }
    this.docs.set(docId, state)
    return state
  }

  private maybeCompact(docId: DocId, state: DocState): void {
    if (state.pending < this.compactAfter || state.compacting) return
    state.compacting = true
    setImmediate(() => {
      if (!this.open) return
      this.compact(docId)
        .catch((err: unknown) =>
          this.log.error({ err, docId }, 'compaction failed; will retry after more changes'),
        )
        .finally(() => {
          state.compacting = false
        })
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

/** `snapshot` followed by the chunks of `changes`: what `A.load` reads as one document. */
function withChanges(snapshot: Uint8Array, changes: readonly Uint8Array[]): Uint8Array {
  if (changes.length === 0) return snapshot
  let size = snapshot.length
  for (const c of changes) size += c.length
  const out = new Uint8Array(size)
  out.set(snapshot)
  let at = snapshot.length
  for (const c of changes) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** The row an index operation writes (null: it deletes the row). */
function rowOf(op: BatchOp): Uint8Array | null {
  return op.type === 'put' ? op.value : null
}

function sameHeads(a: readonly string[], b: ReadonlySet<string>): boolean {
  return a.length === b.size && a.every((h) => b.has(h))
}
