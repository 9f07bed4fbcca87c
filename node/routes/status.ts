/** `/status`: what this node is and how it runs. */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json } from './schemas.ts'

const StatusSchema = z
  .object({
    version: z.string(),
    running: z.boolean(),
    dataDir: z.string(),
    memberKey: z.string().nullable(),
    peerId: z.string().nullable(),
  })
  .passthrough()
  .openapi('Status')

export function statusRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/status',
      tags: ['status'],
      summary: 'The node: version, member key, peer id, uptime, documents, own chain',
      responses: { 200: json(StatusSchema, 'status'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json({ ...(await ctx.status()) }, 200),
  )
  return app
}
