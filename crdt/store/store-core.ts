/**
 * What the document store's parts share (local-commit.ts, remote-commit.ts,
 * compaction.ts, the store itself): its collaborators, the loaded documents and the
 * store's own operations they call back into. Built by `DocumentStore`, never exported
 * from crdt/.
 */
import type { EventEmitter } from 'node:events'
import type * as A from '@automerge/automerge'
import type { Entry, Signer } from '../chain/entry.ts'
import type { Clock } from '../clock.ts'
import type { ChangeHash, DocId } from '../ids.ts'
import type { JsonValue } from '../json.ts'
import type { Logger } from '../logger.ts'
import type { ChainStore } from './chain-store.ts'
import type { ChangeIndex } from './change-index.ts'
import type { BatchOp, Database } from './database.ts'
import type { IndexTotals } from './index-totals.ts'
import type { LoadedDocs } from './loaded-docs.ts'
import type { AuthorGate, ReceiveResult } from './remote-batch.ts'
import type { ChangeValidator } from './validator.ts'
import type { WriteBudget } from './write-budget.ts'

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

export interface ReceiveOptions {
  /**
   * Whether an author may have entries here at all (see `ReceiveDeps.knowsAuthor`): the
   * network's caller passes the org's roster, so an outsider's bytes cost nothing.
   */
  readonly knowsAuthor?: AuthorGate
  /** The scope the batch is for (see `ReceiveDeps.scope`): entries of another cost nothing. */
  readonly scope?: string
  /**
   * Whether the authors' write budget applies (default true). Only a restore of the
   * member's own backup file passes false: its entries are verified one by one as a
   * peer's are, but a year of an org's history is not a peer flooding this node.
   */
  readonly budget?: boolean
}

/** In-memory state of one loaded document. */
export interface DocState {
  doc: A.Doc<unknown>
  /** Sequence number of the last change key written for this document. */
  lastSeq: number
  /** Change keys since the snapshot. */
  pending: number
}

/** The store's state and operations its parts use. */
export interface StoreCore {
  readonly db: Database
  readonly signer: Signer
  readonly validator: ChangeValidator
  readonly log: Logger
  readonly chains: ChainStore
  readonly totals: IndexTotals
  readonly budget: WriteBudget | undefined
  /** See `DocumentStoreInit.sync`. */
  readonly sync: boolean
  readonly compactAfter: number
  readonly clock: Clock
  /** Loaded documents (a bounded, least recently used set: loaded-docs.ts). */
  readonly docs: LoadedDocs
  /** See change-index.ts. */
  readonly changeIndex: Map<DocId, ChangeIndex>
  /**
   * Documents with a compaction queued or running. Kept here, not in `DocState`: a commit
   * replaces a document's state while its compaction runs.
   */
  readonly compacting: Set<DocId>
  /** The store, to emit its events. */
  readonly events: EventEmitter<StoreEvents>
  isOpen(): boolean
  has(docId: DocId): Promise<boolean>
  load(docId: DocId): Promise<DocState>
  /** The batch operation that keeps a document's index row current. */
  indexOp(docId: DocId, doc: A.Doc<unknown>): BatchOp | null
  freshActor(): string
  /** Runs `task` after the store's queued writes. */
  enqueue<T>(task: () => Promise<T>): Promise<T>
}

/** The row an index operation writes (null: it deletes the row). */
export function rowOf(op: BatchOp): Uint8Array | null {
  return op.type === 'put' ? op.value : null
}
