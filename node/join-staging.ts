/**
 * The staging area of one `invite accept`: a store of its own (LevelDB in a folder of
 * the data directory, with the same validator rules as the node's), into which the org
 * is fetched after a member's node admits this one. Only once the staged org holds this
 * node's admission is it moved into the node's store, through the node's own receive
 * path (a local sync: the staging store serves, the node's store requests). Otherwise,
 * or on any failure, the folder is removed and the node's store was never touched.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { streamPair } from '@libp2p/utils'
import { Database, type DocumentStore, type Logger, type MemberKey, type Signer } from '../crdt/index.ts'
import { requestSync, type SyncSource, serveSync } from '../net/index.ts'
import { domainStore } from '../services/domain.ts'
import { StoreSyncSource } from '../services/mesh/index.ts'

/** Staging folders in the data directory are named so. */
const PREFIX = 'join-staging-'

/** Removes staging folders left behind (a node stopped in the middle of an accept). */
export async function removeStaleStaging(dataDir: string): Promise<void> {
  const names = await readdir(dataDir).catch(() => [] as string[])
  for (const n of names.filter((x) => x.startsWith(PREFIX)))
    await rm(join(dataDir, n), { recursive: true, force: true })
}

export class JoinStagingArea {
  /** What the fetch after an admission stores into. */
  readonly source: StoreSyncSource
  readonly #dir: string
  readonly #db: Database
  readonly #store: DocumentStore
  readonly #me: MemberKey
  #discarded = false

  private constructor(
    dir: string,
    db: Database,
    store: DocumentStore,
    source: StoreSyncSource,
    me: MemberKey,
  ) {
    this.#dir = dir
    this.#db = db
    this.#store = store
    this.source = source
    this.#me = me
  }

  /** A fresh, empty staging store in the data directory (owner-only, like the rest). */
  static async open(dataDir: string, signer: Signer, log?: Logger): Promise<JoinStagingArea> {
    const dir = join(dataDir, `${PREFIX}${randomBytes(8).toString('hex')}`)
    await mkdir(dir, { mode: 0o700 })
    const db = await Database.open(dir, { create: true }).catch(async (err: unknown) => {
      await rm(dir, { recursive: true, force: true })
      throw err
    })
    try {
      const { store, validator } = domainStore({ db, signer, log }, { sync: false })
      await store.start()
      return new JoinStagingArea(
        dir,
        db,
        store,
        new StoreSyncSource({ store, auth: validator.auth }),
        signer.memberKey,
      )
    } catch (err) {
      await db.close().catch(() => {})
      await rm(dir, { recursive: true, force: true })
      throw err
    }
  }

  /** Whether the staged org holds `member` as a member. */
  async isMember(org: string, member: MemberKey): Promise<boolean> {
    return (await this.source.standing(org, member).catch(() => 'stranger')) === 'member'
  }

  /**
   * Moves the staged org into `target` (the node's sync source): the staging store serves
   * this node's own member, the node's store requests and receives as from any peer.
   * Resolves to how many entries the node's store refused (none, when both judge alike).
   */
  async commit(org: string, target: SyncSource, signal: AbortSignal): Promise<number> {
    const [served, asked] = await streamPair()
    const serving = serveSync(served, this.#me, this.source, { signal })
    const [, got] = await Promise.all([serving, requestSync(asked, org, target, { signal })])
    return got.rejected
  }

  async discard(): Promise<void> {
    if (this.#discarded) return
    this.#discarded = true
    await this.#store.stop().catch(() => {})
    await this.#db.close().catch(() => {})
    await rm(this.#dir, { recursive: true, force: true })
  }
}
