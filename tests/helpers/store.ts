/**
 * Real document stores, closed after each test: on LevelDB databases in temp folders
 * (removed after the test), or with `storage: 'memory'` on memory storages, for tests
 * of logic that do not need files. Signers come from `signer.ts`.
 */
import { join } from 'node:path'
import {
  type ChangeValidator,
  Database,
  type DocId,
  type DocumentIndexer,
  DocumentStore,
  type MemberKey,
  MemoryStorage,
  type RemoteBatch,
  type SignedEntry,
  type WriteBudget,
} from '../../crdt/index.ts'
import type { Section } from '../../crdt/store/storage/index.ts'
import { acceptAll } from './accept-all.ts'
import { makeSigner, TEST_SCOPE, type TestSigner, testScopeOfDoc } from './signer.ts'
import type { TempDirs } from './temp-dir.ts'

export type StoreInit = NonNullable<ConstructorParameters<typeof DocumentStore>[1]>

export interface StoreHandle {
  /** The database folder (`memory` for a store on a memory storage). */
  readonly path: string
  readonly db: Database
  readonly store: DocumentStore
  readonly signer: TestSigner
  readonly validator: ChangeValidator
}

export interface OpenOptions {
  /** Database folder (LevelDB only); default a new temp folder. */
  readonly path?: string
  readonly signer?: TestSigner
  /** Default: accept every change. */
  readonly validator?: ChangeValidator
  /** Default `{ sync: false }`: these tests are not about power loss. */
  readonly init?: StoreInit
  /** A write budget for what the store receives; default none. */
  readonly budget?: WriteBudget
  /** Indexers the store keeps; default none. */
  readonly indexers?: readonly DocumentIndexer[]
}

export interface Stores {
  open(options?: OpenOptions): Promise<StoreHandle>
  /** Stops the store, closes the database, then opens both again on the same folder (or memory storage). */
  reopen(handle: StoreHandle, options?: Omit<OpenOptions, 'path' | 'signer'>): Promise<StoreHandle>
}

export interface StoresOptions {
  /**
   * `memory`: every store on a memory storage of its own; a reopen opens the same storage
   * again, with what it held (and so also the closed handle's `db`, which on LevelDB stays
   * closed). Default `level`: LevelDB in a temp folder.
   */
  readonly storage?: 'level' | 'memory'
}

/** Call at module or describe level, with the test file's temp folders. */
export function useStores(dirs: TempDirs, stores: StoresOptions = {}): Stores {
  const memory = stores.storage === 'memory'
  const open = async (options: OpenOptions & { memory?: MemoryStorage } = {}): Promise<StoreHandle> => {
    if (memory && options.path !== undefined) throw new Error('a store on a memory storage has no path')
    const path = memory ? 'memory' : (options.path ?? join(await dirs.make(), 'db'))
    const signer = options.signer ?? makeSigner()
    const validator = options.validator ?? acceptAll
    const storage = memory ? (options.memory ?? new MemoryStorage()) : null
    const db = storage === null ? await Database.open(path, { create: true }) : await Database.memory(storage)
    const budget = options.budget === undefined ? {} : { budget: options.budget }
    const indexers = options.indexers === undefined ? {} : { indexers: options.indexers }
    const store = new DocumentStore(
      { db, signer, validator, scopeOfDoc: testScopeOfDoc, ...budget, ...indexers },
      options.init ?? { sync: false },
    )
    dirs.defer(async () => {
      await store.stop().catch(() => {})
      await db.close()
    })
    await store.start()
    return { path, db, store, signer, validator }
  }
  return {
    open,
    reopen: async (handle, options = {}) => {
      await handle.store.stop()
      await handle.db.close()
      const storage = handle.db.storage
      const place = storage instanceof MemoryStorage ? { memory: storage } : { path: handle.path }
      return open({ validator: handle.validator, ...options, ...place, signer: handle.signer })
    },
  }
}

/** An author's stored entries in a scope (default the test scope) in seq order (what a peer would be sent). */
export async function entriesOf(
  store: DocumentStore,
  author: MemberKey,
  scope: string | null = TEST_SCOPE,
): Promise<SignedEntry[]> {
  const out: SignedEntry[] = []
  for await (const e of store.chains.entries(scope, author)) out.push(e)
  return out
}

/** The batch a peer would send: all of `author`'s entries and all changes of `docId`. */
export async function batchOf(store: DocumentStore, author: MemberKey, docId: DocId): Promise<RemoteBatch> {
  return { entries: await entriesOf(store, author), changes: await store.changes(docId) }
}

/** Keys of a section, all or those of one document / author (`prefix!…`). */
export async function keysOf(sub: Section, prefix?: string): Promise<string[]> {
  return sub.keys(prefix === undefined ? {} : { gt: `${prefix}!`, lt: `${prefix}!~` }).all()
}
