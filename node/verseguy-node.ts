/**
 * A Verse Guy node: the one place that builds and connects the parts. Starts them in
 * dependency order (identity, database, document store, HTTP API) and stops them in
 * reverse.
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { ServerType } from '@hono/node-server'
import { type Clock, Database, DocumentStore, type Logger, systemClock, WriteBudget } from '../crdt/index.ts'
import type { AdmitProtocol, Host, Mesh } from '../net/index.ts'
import {
  DOMAIN_INDEXERS,
  type DomainServices,
  domainServices,
  domainValidator,
  scopeOfDoc,
} from '../services/domain.ts'
import { MemberIdentity } from '../services/identity/index.ts'
import { TrustStore } from '../services/licensing/index.ts'
import { StoreSyncSource } from '../services/mesh/index.ts'
import type { AuthIndex } from '../services/org/index.ts'
import { createApi } from './api.ts'
import { loadConfig, type NodeConfig, withEnv } from './config.ts'
import { isInitialized, layout, secureDataDir } from './data-dir.ts'
import { NodeRunningError, NotInitializedError } from './errors.ts'
import type { NodeJoinTransport } from './join-transport.ts'
import { readTrustedKeys, type TrustedKey } from './license-trust.ts'
import { createLogger, type LogLevel, type RootLogger } from './logger.ts'
import { loadNetParts, type NetParts } from './net-parts.ts'
import { readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from './runtime-file.ts'
import { type NodeStatus, ownChains } from './status.ts'
import { VERSION } from './version.ts'

export interface NodeOptions {
  readonly dataDir: string
  readonly passphrase: string
  /** Overrides config.json's api.port (0: any free port). */
  readonly apiPort?: number
  readonly logLevel?: LogLevel
  readonly logger?: RootLogger
  /** Serve as a circuit relay (`start --headless`), whatever config.json says. */
  readonly relay?: boolean
  /** The time every part of the node reads (services, uptime, join search); default `systemClock`. */
  readonly clock?: Clock
}

export class VerseGuyNode {
  readonly dataDir: string
  private readonly options: NodeOptions
  private readonly clock: Clock
  private identity: MemberIdentity | null = null
  private db: Database | null = null
  private store: DocumentStore | null = null
  private domain: DomainServices | null = null
  private host: Host | null = null
  private meshNet: Mesh | null = null
  private admitNet: AdmitProtocol | null = null
  private joinNet: NodeJoinTransport | null = null
  private syncSource: StoreSyncSource | null = null
  private server: ServerType | null = null
  private config: NodeConfig | null = null
  private trust: TrustStore | null = null
  private auth: AuthIndex | null = null
  /** Saving each org's authorization state for the next start (after ready, in the background). */
  private shelving: Promise<void> = Promise.resolve()
  private log: Logger | null = null
  private token = ''
  private apiPort = 0
  private startedAt: Date | null = null
  private phases: Record<string, number> = {}
  private parts: NetParts | null = null

  constructor(options: NodeOptions) {
    this.options = options
    this.dataDir = options.dataDir
    this.clock = options.clock ?? systemClock
  }

  get documents(): DocumentStore {
    if (this.store === null) throw new Error('node not started')
    return this.store
  }

  /** The org, fleet and operations services of the running node. */
  get services(): DomainServices {
    if (this.domain === null) throw new Error('node not started')
    return this.domain
  }

  /** The org mesh (peers, sync) of the running node. */
  get mesh(): Mesh {
    if (this.meshNet === null) throw new Error('node not started')
    return this.meshNet
  }

  /**
   * How this node, holding an invite, reaches the org's member nodes and stages the org
   * (what `services.invites.accept` takes). Members' nodes admit newcomers on their side.
   */
  get admissions(): NodeJoinTransport {
    if (this.joinNet === null) throw new Error('node not started')
    return this.joinNet
  }

  /** The libp2p host of the running node (peer id, connections, bans). */
  get network(): Host {
    if (this.host === null) throw new Error('node not started')
    return this.host
  }

  /** This node's libp2p addresses, each with its /p2p/ peer id (what invites carry). */
  addresses(): string[] {
    return this.host?.multiaddrs() ?? []
  }

  /**
   * How long each step of the last `start` took, in ms of wall time, in order: `unlock` is
   * the passphrase KDF (scrypt, memory-hard by design: a fixed cost of every start), with
   * the network's modules loading beside it (net-parts.ts).
   */
  get startPhases(): Readonly<Record<string, number>> {
    return this.phases
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`
  }

  async start(): Promise<void> {
    const paths = layout(this.dataDir)
    this.phases = {}
    let mark = performance.now()
    const phase = (name: string) => {
      const now = performance.now()
      this.phases[name] = now - mark
      mark = now
    }
    if (!isInitialized(this.dataDir)) throw new NotInitializedError(this.dataDir)
    const running = await readRuntimeFile(paths.runtime)
    if (running !== null && running.pid !== process.pid) throw new NodeRunningError(this.dataDir, running.pid)

    this.config = withEnv(await loadConfig(paths.config))
    const root = this.options.logger ?? createLogger(this.options.logLevel ?? this.config.log.level)
    this.log = root.forComponent('node')
    // Before anything is read: a directory made or copied with looser modes is mended.
    const loosened = await secureDataDir(this.dataDir)
    if (loosened.length > 0)
      this.log.warn({ dataDir: this.dataDir, count: loosened.length }, 'data directory made owner-only')
    phase('config')
    // The network's modules load on this thread while the KDF runs on the thread pool.
    const loading = loadNetParts()
    loading.catch(() => {}) // awaited below; a wrong passphrase leaves it unused
    try {
      // First: a wrong passphrase opens nothing and changes no file (LevelDB writes as it
      // opens). The KDF is memory-hard on purpose: its time is reported as `unlock`.
      this.identity = await MemberIdentity.unlock(paths.identity, this.options.passphrase)
      const parts = await loading
      this.parts = parts
      const { createHost, Mesh, AdmitProtocol, NodeJoinTransport, removeStaleStaging } = parts
      phase('unlock')
      this.db = await Database.open(paths.db)
      // The validator reads rosters from the store it guards; the store is built next.
      const validator = domainValidator(() => store)
      const store: DocumentStore = new DocumentStore(
        {
          db: this.db,
          signer: this.identity,
          validator,
          indexers: DOMAIN_INDEXERS,
          scopeOfDoc,
          budget: new WriteBudget(),
          log: root.forComponent('crdt:store'),
        },
        {
          sync: this.config.storage.sync,
          compactAfter: this.config.storage.compactAfter,
          clock: this.clock,
        },
      )
      const trust = TrustStore.withDefaults(
        (await readTrustedKeys(this.dataDir, this.config.license.trust)).keys,
      )
      this.trust = trust
      this.domain = domainServices({ store, signer: this.identity, validator, trust, clock: this.clock })
      this.store = store
      this.auth = validator.auth
      await store.start()
      phase('store')
      // Ready means ready to answer: each org's roster and authorization state loaded (the
      // state read back as saved at the last stop when the roster has not changed since).
      for (const org of await this.domain.org.listOrgs()) await this.domain.org.currentState(org.id)
      phase('orgs')
      // Each org's license, verified offline: anything short of valid is said once at start.
      for (const l of await this.domain.licenses.statusAll()) {
        if (l.warnings.length > 0)
          this.log.warn({ org: l.org, state: l.state, warnings: l.warnings }, 'license')
      }
      phase('licenses')
      const net = this.config.net
      this.host = await createHost({
        seed: this.identity.libp2pSeed(),
        listen: net.listen,
        bootstrap: net.bootstrap,
        mdns: net.mdns,
        relay: this.options.relay ?? net.relay,
        log: root.forComponent('net:host'),
        clock: this.clock,
      })
      const syncSource = new StoreSyncSource({ store, auth: validator.auth })
      this.meshNet = new Mesh({
        transport: this.host,
        source: syncSource,
        syncIntervalMs: net.syncIntervalSeconds * 1000,
        discoveryIntervalMs: net.discoveryIntervalSeconds * 1000,
        log: root.forComponent('net:mesh'),
        clock: this.clock,
      })
      const invites = this.domain.invites
      const mesh = this.meshNet
      this.admitNet = new AdmitProtocol({
        transport: this.host,
        sync: syncSource,
        source: {
          admit: async (org, member, request) => {
            const answer = await invites.admit(request, { member, org })
            if (answer.ok) void mesh.refreshMembers() // a new member: gossip and sync reach it
            return answer
          },
        },
        log: root.forComponent('net:admit'),
        clock: this.clock,
      })
      this.syncSource = syncSource
      await removeStaleStaging(this.dataDir)
      this.joinNet = new NodeJoinTransport({
        host: this.host,
        admit: this.admitNet,
        sync: syncSource,
        dataDir: this.dataDir,
        signer: this.identity,
        log: root.forComponent('node:join'),
        clock: this.clock,
        searchMs: net.joinSearchSeconds * 1000,
        // Now a member: its topic, peers that are members too (gossip reaches them), and
        // its rendezvous (where newcomers and members find this node).
        onJoined: () =>
          void mesh
            .refreshTopics()
            .then(() => mesh.refreshMembers())
            .then(() => mesh.discover()),
      })
      await this.host.start()
      await this.meshNet.start()
      await this.admitNet.start()
      phase('net')
      this.token = randomBytes(32).toString('base64url')
      await this.listen(this.options.apiPort ?? this.config.api.port, this.config.api.host)
      this.startedAt = new Date(this.clock.now())
      await writeRuntimeFile(paths.runtime, {
        pid: process.pid,
        apiUrl: this.apiUrl,
        token: this.token,
        startedAt: this.startedAt.toISOString(),
        version: VERSION,
      })
      phase('api')
      // A state read from the roster (none saved, or saved at other heads) is saved now.
      this.shelving = this.shelveStates()
    } catch (err) {
      await this.stop()
      throw err
    }
    this.log.info(
      { memberKey: this.identity.memberKey, peerId: this.identity.peerId, api: this.apiUrl },
      'node ready',
    )
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      await removeRuntimeFile(layout(this.dataDir).runtime)
    }
    await this.admitNet?.stop()
    this.admitNet = null
    this.joinNet = null
    this.syncSource = null
    await this.meshNet?.stop()
    this.meshNet = null
    await this.host?.stop()
    this.host = null
    // Each org's authorization state, for the next start to read back instead of rebuilding it.
    await this.shelving
    if (this.startedAt !== null) await this.shelveStates()
    this.auth = null
    await this.store?.stop()
    this.store = null
    this.domain = null
    this.trust = null
    await this.db?.close()
    this.db = null
    if (this.startedAt !== null) this.log?.info('node stopped')
    this.startedAt = null
  }

  /** Saves each org's current authorization state where it is known; a failure only costs the next start time. */
  private async shelveStates(): Promise<void> {
    const auth = this.auth
    const domain = this.domain
    if (auth === null || domain === null) return
    try {
      for (const id of await this.documents.list('org')) await auth.shelve(id.slice('org:'.length))
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'authorization state not saved')
    }
  }

  /**
   * Re-reads config.json's `license.trust` and trusts exactly those issuer keys beside the
   * shipped ones, at once: licenses and revocation lists are judged again under them.
   * Nothing changes if a listed file is not a valid key (`IssuerKeyError`).
   */
  async reloadTrust(): Promise<TrustedKey[]> {
    if (this.trust === null || this.domain === null) throw new Error('node not started')
    const config = await loadConfig(layout(this.dataDir).config)
    const { keys, trusted } = await readTrustedKeys(this.dataDir, config.license.trust)
    this.trust.setExtra(keys)
    this.domain.licenses.trustChanged()
    this.log?.info({ trusted: trusted.map((k) => k.keyId) }, 'license trust reloaded')
    return trusted
  }

  async status(): Promise<NodeStatus> {
    const me = this.identity
    const own = me && this.store ? await ownChains(this.store, me.memberKey) : { seq: 0, head: null }
    return {
      version: VERSION,
      running: this.startedAt !== null,
      dataDir: this.dataDir,
      initialized: true,
      memberKey: me?.memberKey ?? null,
      peerId: me?.peerId ?? null,
      pid: process.pid,
      startedAt: this.startedAt?.toISOString() ?? null,
      uptimeSeconds: this.startedAt ? Math.round((this.clock.now() - this.startedAt.getTime()) / 1000) : null,
      apiUrl: this.server ? this.apiUrl : null,
      documents: this.store ? (await this.store.list()).length : null,
      chain: me ? own : null,
      rssBytes: process.memoryUsage.rss(),
    }
  }

  /** Binds the API on the preferred port, or on a free one if that is taken. */
  private async listen(preferred: number, host: string): Promise<void> {
    const app = createApi({
      token: this.token,
      status: () => this.status(),
      port: () => this.apiPort,
      services: () => this.services,
      reloadTrust: () => this.reloadTrust(),
      logError: (err) => this.log?.error({ err }, 'API request failed'),
      mesh: () => ({
        mesh: this.mesh,
        join: this.admissions,
        addresses: this.addresses(),
        inviteReach: async (org) => {
          const state = await this.services.org.currentState(org).catch(() => null)
          const parts = this.parts as NetParts
          const bootstrap = await parts.inviteAddresses(
            this.network,
            (key) => state?.isMember(key) === true,
            this.config?.net.bootstrap ?? [],
          )
          const secret = await this.syncSource?.meshSecret(org)
          if (secret === null || secret === undefined) return { bootstrap }
          return { bootstrap, rendezvous: Buffer.from(parts.orgRendezvousKey(org, secret)).toString('hex') }
        },
      }),
    })
    const bind = (port: number) =>
      new Promise<ServerType>((resolve, reject) => {
        const server = (this.parts as NetParts).createAdaptorServer({ fetch: app.fetch, hostname: host })
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server)
        })
      })
    try {
      this.server = await bind(preferred)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || preferred === 0) throw err
      this.log?.warn({ port: preferred }, 'API port in use; using a free port instead')
      this.server = await bind(0)
    }
    this.apiPort = (this.server.address() as AddressInfo).port
  }
}
