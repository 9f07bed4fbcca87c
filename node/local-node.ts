/**
 * A node's local part: its member key, database, document store, domain services, license
 * trust and authorization state, with no network and no HTTP listener. The running node
 * (verseguy-node.ts) builds on it; a command run while no node runs opens one alone and
 * answers through the same API in this process (local-api.ts), so nothing here starts
 * libp2p, mDNS or the DHT, and nothing announces the member on the network.
 *
 * Opened without a passphrase it is read only: the public member key comes from the key
 * file (no KDF) and the signer refuses to sign (`PassphraseNeededError`); `unlock` makes it
 * writable.
 */
import { type Clock, Database, type DocumentStore, type Logger, systemClock } from '../crdt/index.ts'
import { type DomainServices, domainServices, domainStore } from '../services/domain.ts'
import { MemberIdentity, peerIdOf } from '../services/identity/index.ts'
import { TrustStore } from '../services/licensing/index.ts'
import type { AuthIndex } from '../services/org/index.ts'
import { BackupJobs } from './backup-jobs.ts'
import {
  type BackupControl,
  backupControl,
  type CreateBackupOptions,
  createBackup,
  finishPendingRestore,
} from './backups.ts'
import { loadConfig, type NodeConfig, withEnv } from './config.ts'
import { isInitialized, layout, secureDataDir } from './data-dir.ts'
import { NotInitializedError } from './errors.ts'
import { readTrustedKeys, type TrustedKey } from './license-trust.ts'
import { createLogger, type LogLevel, type RootLogger } from './logger.ts'
import { MemberSigner } from './member-signer.ts'
import { type NodeStatus, ownChains } from './status.ts'
import { VERSION } from './version.ts'

export interface LocalNodeOptions {
  readonly dataDir: string
  /** Unlocks the member key; without it the node opens read only (no KDF). */
  readonly passphrase?: string
  readonly logLevel?: LogLevel
  readonly logger?: RootLogger
  /** The time every service reads; default `systemClock`. */
  readonly clock?: Clock
  /** Hears the end of each step of the open: `config`, `unlock` (with a passphrase only), `store`. */
  readonly phase?: (name: string) => void
}

export class LocalNode {
  readonly dataDir: string
  readonly config: NodeConfig
  /** The root logger the node's parts log under. */
  readonly logger: RootLogger
  readonly clock: Clock
  readonly signer: MemberSigner
  readonly documents: DocumentStore
  /** The org, fleet and operations services. */
  readonly services: DomainServices
  /** Each org's authorization state (what the mesh's sync source judges peers by). */
  readonly auth: AuthIndex
  private readonly db: Database
  private readonly trust: TrustStore
  private readonly log: Logger
  private readonly backupJobs = new BackupJobs()
  private closed = false

  private constructor(parts: {
    dataDir: string
    config: NodeConfig
    logger: RootLogger
    clock: Clock
    signer: MemberSigner
    db: Database
    store: DocumentStore
    services: DomainServices
    auth: AuthIndex
    trust: TrustStore
  }) {
    this.dataDir = parts.dataDir
    this.config = parts.config
    this.logger = parts.logger
    this.log = parts.logger.forComponent('node')
    this.clock = parts.clock
    this.signer = parts.signer
    this.db = parts.db
    this.documents = parts.store
    this.services = parts.services
    this.auth = parts.auth
    this.trust = parts.trust
  }

  /**
   * Opens the data directory's store. With a passphrase the key is unlocked first: a wrong
   * one opens nothing and changes no file (LevelDB writes as it opens).
   */
  static async open(options: LocalNodeOptions): Promise<LocalNode> {
    const { dataDir } = options
    const phase = options.phase ?? (() => {})
    const paths = layout(dataDir)
    if (!isInitialized(dataDir)) throw new NotInitializedError(dataDir)
    const config = withEnv(await loadConfig(paths.config))
    const logger = options.logger ?? createLogger(options.logLevel ?? config.log.level)
    const log = logger.forComponent('node')
    // Before anything is read: a directory made or copied with looser modes is mended.
    const loosened = await secureDataDir(dataDir)
    if (loosened.length > 0) log.warn({ dataDir, count: loosened.length }, 'data directory made owner-only')
    phase('config')
    const clock = options.clock ?? systemClock
    const signer = new MemberSigner(await MemberIdentity.publicKeyOf(paths.identity))
    if (options.passphrase !== undefined) {
      // The KDF is memory-hard on purpose: its time is reported as `unlock`.
      signer.unlock(await MemberIdentity.unlock(paths.identity, options.passphrase))
      phase('unlock')
    }
    const db = await Database.open(paths.db)
    try {
      const { store, validator } = domainStore(
        { db, signer, log: logger.forComponent('crdt:store') },
        { sync: config.storage.sync, compactAfter: config.storage.compactAfter, clock },
      )
      const trust = TrustStore.withDefaults((await readTrustedKeys(dataDir, config.license.trust)).keys)
      const services = domainServices({ store, signer, validator, trust, clock })
      await store.start()
      // A restore cut short after its content was staged is finished before anything is served.
      const finished = await finishPendingRestore({ dataDir, store })
      if (finished !== null)
        log.warn({ accepted: finished.accepted }, 'an interrupted backup restore was finished')
      phase('store')
      return new LocalNode({
        dataDir,
        config,
        logger,
        clock,
        signer,
        db,
        store,
        services,
        auth: validator.auth,
        trust,
      })
    } catch (err) {
      await db.close().catch(() => {})
      throw err
    }
  }

  /** Whether changes can be signed (opened or unlocked with the passphrase). */
  get writable(): boolean {
    return this.signer.identity !== null
  }

  /** The unlocked member identity (the libp2p key derives from it). */
  get identity(): MemberIdentity {
    const identity = this.signer.identity
    if (identity === null) throw new Error('the node is read only: open it with the passphrase')
    return identity
  }

  /** Unlocks the member key (the KDF runs): from now on changes are signed. */
  async unlock(passphrase: string): Promise<void> {
    if (this.writable) return
    this.signer.unlock(await MemberIdentity.unlock(layout(this.dataDir).identity, passphrase))
  }

  /**
   * Loads each org's roster and authorization state (read back as saved at the last stop
   * when the roster has not changed since), and says once what is short of a valid license.
   * What a running node does before it is ready; a one-off command skips it (the services
   * load what they read).
   */
  async loadOrgs(phase: (name: string) => void = () => {}): Promise<void> {
    for (const org of await this.services.org.listOrgs()) await this.services.org.currentState(org.id)
    phase('orgs')
    for (const l of await this.services.licenses.statusAll()) {
      if (l.warnings.length > 0)
        this.log.warn({ org: l.org, state: l.state, warnings: l.warnings }, 'license')
    }
    phase('licenses')
  }

  /** Saves each org's current authorization state where it is known; a failure only costs the next start time. */
  async shelveStates(): Promise<void> {
    if (this.closed || !this.writable) return
    try {
      for (const id of await this.documents.list('org')) await this.auth.shelve(id.slice('org:'.length))
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'authorization state not saved')
    }
  }

  /**
   * Re-reads config.json's `license.trust` and trusts exactly those issuer keys beside the
   * shipped ones, at once: licenses and revocation lists are judged again under them.
   * Nothing changes if a listed file is not a valid key (`IssuerKeyError`).
   */
  async reloadTrust(): Promise<TrustedKey[]> {
    const config = await loadConfig(layout(this.dataDir).config)
    const { keys, trusted } = await readTrustedKeys(this.dataDir, config.license.trust)
    this.trust.setExtra(keys)
    this.services.licenses.trustChanged()
    this.log.info({ trusted: trusted.map((k) => k.keyId) }, 'license trust reloaded')
    return trusted
  }

  /** The node's status as its store says (`running: false`; the running node adds its own). */
  async status(): Promise<NodeStatus> {
    const memberKey = this.signer.memberKey
    const open = !this.closed
    return {
      version: VERSION,
      running: false,
      dataDir: this.dataDir,
      initialized: true,
      memberKey,
      peerId: peerIdOf(memberKey),
      pid: null,
      startedAt: null,
      uptimeSeconds: null,
      apiUrl: null,
      documents: open ? (await this.documents.list()).length : null,
      chain: open ? await ownChains(this.documents, memberKey) : null,
      rssBytes: process.memoryUsage.rss(),
    }
  }

  /** Backups of this node and restores into it, as jobs (the API's `/backups`). */
  /** Writes one backup to `file` now (scheduled backups), outside the job list. */
  async writeBackup(file: string, options: Omit<CreateBackupOptions, 'file'>): Promise<void> {
    await createBackup({ dataDir: this.dataDir, db: this.db, store: this.documents }, { ...options, file })
  }

  backups(): BackupControl {
    return backupControl({ dataDir: this.dataDir, db: this.db, store: this.documents }, this.backupJobs)
  }

  /** Closes the store and the database; with `shelve` (and writable) saves each org's authorization state first. */
  async close(options: { shelve?: boolean } = {}): Promise<void> {
    if (this.closed) return
    await this.backupJobs.idle()
    if (options.shelve === true) await this.shelveStates()
    this.closed = true
    await this.documents.stop()
    await this.db.close()
  }
}
