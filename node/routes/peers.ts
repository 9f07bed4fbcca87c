/** `/peers`: this node's addresses and every peer's sync state. */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json } from './schemas.ts'

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
  return app
}
