/** `/orgs/{org}/ranks`: the org's ranks, highest first. */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

export const RankSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    level: z.number().int(),
    permissions: z.array(z.string()),
  })
  .openapi('Rank')

const tags = ['ranks']

export function rankRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ranks',
      tags,
      summary: "The org's ranks, highest first (ranks:view)",
      request: { params: OrgParam },
      responses: { 200: json(z.array(RankSchema), 'the ranks'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ctx.services().org.ranks(c.req.valid('param').org), 200),
  )
  return app
}
