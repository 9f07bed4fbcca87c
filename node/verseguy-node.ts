/**
 * A Verse Guy node: its local part (identity, database, document store, services: see
 * local-node.ts) with the network and the HTTP API on top. Starts them in dependency order
 * and stops them in reverse.
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { ServerType } from '@hono/node-server'
import type { Clock, DocumentStore, Logger } from '../crdt/index.ts'
import type { AdmitProtocol, Host, Mesh } from '../net/index.ts'
import { type DomainServices, scopeOfDoc } from '../services/domain.ts'
import { MemberIdentity, WrongPassphraseError, writeKeyFile } from '../services/identity/index.ts'
import { StoreSyncSource } from '../services/mesh/index.ts'
import { createApi } from './api.ts'
import { type BackupSchedule, startScheduledBackups, type WriteBackup } from './backup-schedule.ts'
import { CalendarTokens } from './calendar-tokens.ts'
import { httpBase } from './calendar-url.ts'
import { isInitialized, layout } from './data-dir.ts'
import { NodeRunningError, NotInitializedError } from './errors.ts'
import { hostNames, localUrl } from './http-address.ts'
import { inviteReach } from './invite-reach.ts'
import type { NodeJoinTransport } from './join-transport.ts'
import type { TrustedKey } from './license-trust.ts'
import { LocalNode } from './local-node.ts'
import type { LogLevel, RootLogger } from './logger.ts'
import { loadNetParts, type NetParts } from './net-parts.ts'
import { readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from './runtime-file.ts'
import type { NodeStatus } from './status.ts'
import { VERSION } from './version.ts'
import { WebAccess } from './web/web-access.ts'

export interface NodeOptions {
  readonly dataDir: string
  readonly passphrase: string
  /** Overrides config.json's api.port (0: any free port). */
  readonly apiPort?: number
  /** The address the web UI and API listen on (else config.json's `api.host`). */
  readonly apiHost?: string
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
  private local: LocalNode | null = null
  private host: Host | null = null
  private meshNet: Mesh | null = null
  private admitNet: AdmitProtocol | null = null
  private joinNet: NodeJoinTransport | null = null
  private syncSource: StoreSyncSource | null = null
  private server: ServerType | null = null
  /** Saving each org's authorization state for the next start (after ready, in the background). */
  private shelving: Promise<void> = Promise.resolve()
  private log: Logger | null = null
  private token = ''
  private apiPort = 0
  private apiHost = '127.0.0.1'
  private startedAt: Date | null = null
  private phases: Record<string, number> = {}
  private parts: NetParts | null = null
  private backups: BackupSchedule | null = null

  constructor(options: NodeOptions) {
    this.options = options
    this.dataDir = options.dataDir
  }

  private get node(): LocalNode {
    if (this.local === null) throw new Error('node not started')
    return this.local
  }

  get documents(): DocumentStore {
    return this.node.documents
  }

  /** The org, fleet and operations services of the running node. */
  get services(): DomainServices {
    return this.node.services
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
    return localUrl(this.apiHost, this.apiPort)
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
    // The network's modules load on this thread while the KDF runs on the thread pool.
    const loading = loadNetParts()
    loading.catch(() => {}) // awaited below; a wrong passphrase leaves it unused
    try {
      // First (after the config): a wrong passphrase opens nothing and changes no file.
      const local = await LocalNode.open({
        dataDir: this.dataDir,
        passphrase: this.options.passphrase,
        ...(this.options.logger === undefined ? {} : { logger: this.options.logger }),
        ...(this.options.logLevel === undefined ? {} : { logLevel: this.options.logLevel }),
        ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
        phase,
      })
      this.local = local
      const root = local.logger
      const clock = local.clock
      const identity = local.identity
      this.log = root.forComponent('node')
      // Ready means ready to answer: each org's roster and authorization state loaded, and
      // each org's license verified offline (anything short of valid is said once at start).
      await local.loadOrgs(phase)
      const parts = await loading
      this.parts = parts
      const { createHost, Mesh, AdmitProtocol, NodeJoinTransport, removeStaleStaging } = parts
      const net = local.config.net
      this.host = await createHost({
        seed: identity.libp2pSeed(),
        listen: net.listen,
        bootstrap: net.bootstrap,
        mdns: net.mdns,
        relay: this.options.relay ?? net.relay,
        log: root.forComponent('net:host'),
        clock,
      })
      const syncSource = new StoreSyncSource({ store: local.documents, auth: local.auth })
      this.meshNet = new Mesh({
        transport: this.host,
        source: syncSource,
        syncIntervalMs: net.syncIntervalSeconds * 1000,
        discoveryIntervalMs: net.discoveryIntervalSeconds * 1000,
        log: root.forComponent('net:mesh'),
        clock,
      })
      const invites = local.services.invites
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
        clock,
      })
      this.syncSource = syncSource
      await removeStaleStaging(this.dataDir)
      this.joinNet = new NodeJoinTransport({
        host: this.host,
        admit: this.admitNet,
        sync: syncSource,
        dataDir: this.dataDir,
        signer: identity,
        log: root.forComponent('node:join'),
        clock,
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
      await this.listen(
        this.options.apiPort ?? local.config.api.port,
        this.options.apiHost ?? local.config.api.host,
      )
      this.startedAt = new Date(clock.now())
      await writeRuntimeFile(paths.runtime, {
        pid: process.pid,
        apiUrl: this.apiUrl,
        token: this.token,
        startedAt: this.startedAt.toISOString(),
        version: VERSION,
      })
      phase('api')
      // A state read from the roster (none saved, or saved at other heads) is saved now.
      this.shelving = local.shelveStates()
      this.backups = await startScheduledBackups({
        dataDir: this.dataDir,
        config: local.config.backup,
        // Scheduled backups hold the store, not the member key (`backup create --with-key` does).
        writer:
          ({ passphrase }): WriteBackup =>
          (file, signal) =>
            local.writeBackup(file, {
              withKey: false,
              signal,
              ...(passphrase === null ? {} : { passphrase }),
            }),
        clock,
        log: root.forComponent('node:backup'),
      })
      this.log.info(
        { memberKey: identity.memberKey, peerId: identity.peerId, api: this.apiUrl },
        'node ready',
      )
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop(): Promise<void> {
    await this.backups?.stop()
    this.backups = null
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
    await this.local?.close({ shelve: this.startedAt !== null })
    this.local = null
    if (this.startedAt !== null) this.log?.info('node stopped')
    this.startedAt = null
  }

  /**
   * Re-reads config.json's `license.trust` and trusts exactly those issuer keys beside the
   * shipped ones, at once: licenses and revocation lists are judged again under them.
   * Nothing changes if a listed file is not a valid key (`IssuerKeyError`).
   */
  async reloadTrust(): Promise<TrustedKey[]> {
    return this.node.reloadTrust()
  }

  async status(): Promise<NodeStatus> {
    const startedAt = this.startedAt
    const base = this.local === null ? null : await this.local.status()
    return {
      version: VERSION,
      running: startedAt !== null,
      dataDir: this.dataDir,
      initialized: true,
      memberKey: base?.memberKey ?? null,
      peerId: base?.peerId ?? null,
      pid: process.pid,
      startedAt: startedAt?.toISOString() ?? null,
      uptimeSeconds:
        startedAt === null || this.local === null
          ? null
          : Math.round((this.local.clock.now() - startedAt.getTime()) / 1000),
      apiUrl: this.server ? this.apiUrl : null,
      documents: base?.documents ?? null,
      chain: base?.chain ?? null,
      rssBytes: process.memoryUsage.rss(),
    }
  }

  /** Binds the API on the preferred port, or on a free one if that is taken. */
  private async listen(preferred: number, host: string): Promise<void> {
    const local = this.node
    const web = new WebAccess({
      clock: local.clock,
      checkPassphrase: (passphrase) =>
        MemberIdentity.unlock(layout(local.dataDir).identity, passphrase).then(
          () => true,
          (err: unknown) => {
            if (err instanceof WrongPassphraseError) return false
            throw err
          },
        ),
      changePassphrase: async (current, next) => {
        const path = layout(local.dataDir).identity
        const identity = await MemberIdentity.unlock(path, current).catch((err: unknown) => {
          if (err instanceof WrongPassphraseError) return null
          throw err
        })
        if (identity === null) return false
        await writeKeyFile(path, await identity.reseal(next))
        return true
      },
      securityEvent: async (action, details) => {
        await local.documents.record(null, { action, resource: 'node', details })
      },
    })
    const calendar = {
      tokens: new CalendarTokens(this.dataDir),
      base: () => ({ url: httpBase(host, this.apiPort), running: this.server !== null }),
    }
    this.apiHost = host
    const app = createApi({
      hosts: hostNames(host),
      web,
      changes: (listener) => {
        const hear = (c: { docId: string; origin: 'local' | 'remote' }) =>
          listener({
            type: c.docId.slice(0, c.docId.indexOf(':')),
            org: scopeOfDoc(c.docId),
            origin: c.origin,
          })
        local.documents.on('change', hear)
        return () => local.documents.off('change', hear)
      },
      token: this.token,
      status: () => this.status(),
      port: () => this.apiPort,
      services: () => this.services,
      reloadTrust: () => this.reloadTrust(),
      backups: () => this.node.backups(),
      logError: (err) => this.log?.error({ err }, 'API request failed'),
      clock: local.clock,
      calendar: () => calendar,
      mesh: () => ({
        mesh: this.mesh,
        join: this.admissions,
        addresses: this.addresses(),
        ...(this.host === null ? {} : { host: this.host }),
        inviteReach: async (org) => {
          const state = await this.services.org.currentState(org).catch(() => null)
          const parts = this.parts as NetParts
          const bootstrap = await parts.inviteAddresses(
            this.network,
            (key) => state?.isMember(key) === true,
            local.config.net.bootstrap,
          )
          return inviteReach(org, bootstrap, (await this.syncSource?.meshSecret(org)) ?? null)
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
