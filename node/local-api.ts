/**
 * The API of a node that is not running, answered in this process: a `LocalNode` (the
 * store, no network) behind the same routes the running node serves (`createApi`, called
 * with `request`: no port, no listener), so a command cannot behave differently on the
 * two paths. What needs the network (peers, accepting an invite) answers 503
 * `node-not-running`; an invite made here carries the configured bootstrap peers and the
 * org's rendezvous.
 *
 * It opens read only: a read needs no passphrase and runs no KDF. The first request that
 * is not a GET asks for the passphrase (`passphrase()`) and unlocks the key before it is
 * answered; a wrong one is refused and nothing is changed.
 */
import { randomBytes } from 'node:crypto'
import { silentLogger } from '../crdt/index.ts'
import { StoreSyncSource } from '../services/mesh/index.ts'
import { createApi } from './api.ts'
import { CalendarTokens } from './calendar-tokens.ts'
import { httpBase } from './calendar-url.ts'
import { NodeNotRunningError } from './errors.ts'
import { inviteReach } from './invite-reach.ts'
import { LocalNode } from './local-node.ts'
import type { LogLevel } from './logger.ts'
import type { MeshView } from './routes/route-context.ts'

/** The port the in-process API pretends to be bound to (its Host check wants one). */
const NO_PORT = 0

export interface LocalApi {
  /** Answers one request to `/api/v1/…` as the running node would (a JSON body). */
  request(method: string, path: string, body?: unknown): Promise<Response>
  /** Closes the store; saves the orgs' authorization state when the command changed something. */
  close(): Promise<void>
}

export async function openLocalApi(options: {
  readonly dataDir: string
  /** Asked once, at the first request that changes something. */
  readonly passphrase: () => Promise<string>
  readonly logLevel?: LogLevel
  /** Hears of every error that is not a `VerseGuyError` (answered 500 `internal`). */
  readonly logError?: (err: unknown) => void
}): Promise<LocalApi> {
  const level = options.logLevel ?? 'silent'
  const node = await LocalNode.open({
    dataDir: options.dataDir,
    // Silent: no logger built at all (on a terminal that would load pino-pretty for nothing).
    ...(level === 'silent' ? { logger: { forComponent: () => silentLogger } } : { logLevel: level }),
  })
  const token = randomBytes(32).toString('base64url')
  const sync = new StoreSyncSource({ store: node.documents, auth: node.auth })
  // No network: what needs it is refused; an invite carries the configured bootstrap peers
  // and the org's rendezvous (any member's node online admits the newcomer).
  const offline: MeshView = {
    get mesh(): never {
      throw new NodeNotRunningError()
    },
    get join(): never {
      throw new NodeNotRunningError()
    },
    get addresses(): never {
      throw new NodeNotRunningError()
    },
    inviteReach: async (org) => inviteReach(org, node.config.net.bootstrap, await sync.meshSecret(org)),
  }
  // Where the node will serve the feed once it runs (config.json's api; should that port be
  // taken then, it picks a free one, and `op feed` on the running node names it).
  const calendar = {
    tokens: new CalendarTokens(options.dataDir),
    base: () => ({ url: httpBase(node.config.api.host, node.config.api.port), running: false }),
  }
  const app = createApi({
    token,
    port: () => NO_PORT,
    status: () => node.status(),
    services: () => node.services,
    reloadTrust: () => node.reloadTrust(),
    calendar: () => calendar,
    ...(options.logError === undefined ? {} : { logError: options.logError }),
    mesh: () => offline,
  })
  return {
    async request(method, path, body) {
      if (method !== 'GET' && !node.writable) await node.unlock(await options.passphrase())
      return app.request(path, {
        method,
        headers: {
          host: `127.0.0.1:${NO_PORT}`,
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    },
    close: () => node.close({ shelve: node.writable }),
  }
}
