/**
 * crdt: documents, signed chains and their storage. Knows nothing of HTTP, the CLI or
 * the network; the domain layer (services/) builds on this face only.
 */

export type { DecodedChange } from '@automerge/automerge'
export { packByteList, unpackByteList } from './byte-list.ts'
export {
  ENTRY_DOMAIN,
  ENTRY_LIMITS,
  type Entry,
  type EntryBody,
  type EntryScope,
  encodeEntryBody,
  isScope,
  packEntry,
  type SignedEntry,
  type Signer,
  signEntry,
  unpackEntry,
} from './chain/entry.ts'
export { decodeEntry } from './chain/entry-decode.ts'
export { entryDoc, entryRefs, entryScope } from './chain/entry-refs.ts'
export { SignaturePool } from './chain/signature-pool.ts'
export {
  type ChainIssue,
  type ChainReport,
  type ChainStatus,
  verifyChain,
  verifyChainParallel,
  verifyChains,
} from './chain/verify.ts'
export { type Clock, ManualClock, systemClock, type Timer } from './clock.ts'
export * from './crypto.ts'
export * from './errors.ts'
export * from './ids.ts'
export { isJsonValue, type JsonValue } from './json.ts'
export { type Logger, silentLogger } from './logger.ts'
export { type ChainHead, ChainStore } from './store/chain-store.ts'
export { CHANGE_BOUNDS } from './store/change-bounds.ts'
export { changeHash } from './store/change-decoder.ts'
export { unpackChanges } from './store/change-records.ts'
export { Database, FORMAT_VERSION } from './store/database.ts'
export {
  type ActionInput,
  type Committed,
  DocumentStore,
  type DocumentStoreInit,
  type ReceiveOptions,
  type StoreEvents,
} from './store/document-store.ts'
export type { RowTotals, RowTotalsFor } from './store/index-totals.ts'
export type { DocumentIndexer } from './store/indexer.ts'
export {
  type AuthorGate,
  BATCH_LIMITS,
  type ReceiveResult,
  type Refusal,
  type RemoteBatch,
} from './store/remote-batch.ts'
export {
  type IteratorOptions,
  LevelStorage,
  MemoryStorage,
  type Range,
  type RowIterator,
  type Section,
  type Storage,
  type StorageOp,
} from './store/storage/index.ts'
export {
  type ChangeContext,
  type ChangeValidator,
  denyAllValidator,
  INNOCENT_KINDS,
  type RefusalKind,
  type Verdict,
} from './store/validator.ts'
export { WriteBudget, type WriteBudgetInit } from './store/write-budget.ts'
