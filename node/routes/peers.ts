/** `/peers`: this node's addresses and every peer's sync state; dial an address; ban and unban a peer. */
import { createRoute, z } from '@hono/zod-openapi'
import { VerseGuyError } from '../../crdt/errors.ts'
import { memberKeyOfPeerId } from '../../services/identity/index.ts'
import { InvalidInputError } from '../../services/org/index.ts'
import { cliHint } from '../cli-hint.ts'
import { multiaddrProblem } from '../config-multiaddr.ts'
import type { PeerControl, RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json } from './schemas.ts'

/** How long `POST /peers/dial` waits for the connection. */
export const DIAL_TIMEOUT_MS = 10_000

/** The network is not running here (no host to dial with or ban on). */
export class NetworkNotRunningError extends VerseGuyError {
  override name = 'NetworkNotRunningError'
  readonly code = 'network-not-running'
  readonly kind = 'unavailable'
  constructor() {
    super(`The network is not running on this node: start it (${cliHint('start')}) and try again.`)
  }
}

/** A dial that did not connect; nothing was changed. */
export class PeerUnreachableError extends VerseGuyError {
  override name = 'PeerUnreachableError'
  readonly code = 'peer-unreachable'
  readonly kind = 'unavailable'
  constructor(address: string, options?: ErrorOptions) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(`Could not connect to ${address}${why}`, options)
  }
}

const PeerSchema = z
  .object({
    peerId: z.string(),
    memberKey: z.string().nullable(),
    connected: z.boolean(),
    lastSync: z.number().nullable(),
    weWereBehind: z.number(),
    peerWasBehind: z.number(),
    lastError: z.string().nullable(),
    banned: z.boolean(),
    removedFrom: z.array(z.string()).readonly().optional(),
  })
  .openapi('Peer')

const PeerParam = z.object({
  peer: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'peer', in: 'path' }, description: 'peer id (base58, 12D3KooW…)' }),
})

const BanSchema = z
  .object({
    peerId: z.string(),
    banned: z.boolean(),
    until: z
      .number()
      .nullable()
      .openapi({ description: 'ms since the epoch; null: until unbanned or restart' }),
  })
  .openapi('PeerBan')

const tags = ['peers']

export function peerRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/peers',
      tags,
      summary: "This node's addresses and each peer: connected, last sync, how far behind",
      responses: {
        200: json(z.object({ addresses: z.array(z.string()), peers: z.array(PeerSchema) }), 'peers'),
        ...ERROR_RESPONSES,
      },
    }),
    (c) => {
      const { mesh, addresses } = ctx.mesh()
      return c.json({ addresses, peers: mesh.peers() }, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/peers/dial',
      tags,
      summary: 'Connect to a node by its address (a multiaddr ending in /p2p/<peer id>)',
      request: {
        ...body(
          z.object({
            address: z
              .string()
              .min(1)
              .max(1024)
              .openapi({ example: '/ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…' }),
          }),
        ),
      },
      responses: {
        200: json(z.object({ peerId: z.string(), connected: z.boolean() }), 'connected'),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { address } = c.req.valid('json')
      const problem = multiaddrProblem(address, 'bootstrap')
      if (problem !== null) throw new InvalidInputError('address', problem)
      const host = hostOf(ctx)
      let peerId: string
      try {
        peerId = await host.dialAddress(address, AbortSignal.timeout(DIAL_TIMEOUT_MS))
      } catch (err) {
        throw new PeerUnreachableError(address, { cause: err })
      }
      return c.json({ peerId, connected: host.connectedPeers().includes(peerId) }, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/peers/{peer}/ban',
      tags,
      summary: "Ban a peer: its connections close and the host refuses it either way (the host's ban list)",
      request: {
        params: PeerParam,
        query: z.object({
          minutes: z.coerce
            .number()
            .int()
            .min(1)
            .max(366 * 24 * 60)
            .optional()
            .openapi({ description: 'how long (default: until unbanned or the node restarts)' }),
        }),
      },
      responses: { 200: json(BanSchema, 'banned'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { peer } = c.req.valid('param')
      checkPeerId(peer)
      const host = hostOf(ctx)
      if (peer === host.peerId) throw new InvalidInputError('peer', 'is this node itself')
      const { minutes } = c.req.valid('query')
      const ms = minutes === undefined ? Number.POSITIVE_INFINITY : minutes * 60_000
      await host.ban(peer, ms)
      return c.json(
        { peerId: peer, banned: host.isBanned(peer), until: minutes === undefined ? null : Date.now() + ms },
        200,
      )
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/peers/{peer}/ban',
      tags,
      summary: 'Lift a ban (a peer that was not banned stays so)',
      request: { params: PeerParam },
      responses: { 200: json(BanSchema, 'not banned'), ...ERROR_RESPONSES },
    }),
    (c) => {
      const { peer } = c.req.valid('param')
      checkPeerId(peer)
      const host = hostOf(ctx)
      if (peer === host.peerId) throw new InvalidInputError('peer', 'is this node itself')
      host.unban(peer)
      return c.json({ peerId: peer, banned: host.isBanned(peer), until: null }, 200)
    },
  )
  return app
}

function hostOf(ctx: RouteContext): PeerControl {
  const host = ctx.mesh().host
  if (host === undefined) throw new NetworkNotRunningError()
  return host
}

/** A peer id of a Verse Guy node (an Ed25519 one). */
function checkPeerId(peer: string): void {
  if (memberKeyOfPeerId(peer) === null)
    throw new InvalidInputError('peer', 'must be a peer id of a Verse Guy node (12D3KooW…)')
}
