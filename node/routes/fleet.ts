/**
 * Fleet stats: the org's fleet composition (`/orgs/{org}/fleet/stats`) and one hangar's
 * (`/orgs/{org}/fleet/stats/{member}`, `me` for yours): ships, total value, and counts by
 * manufacturer, role, status and insurance, over the ships you may see.
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json, OrgParam } from './schemas.ts'
import { MemberParam, ownerOf } from './ships.ts'

const Counts = z.record(z.string(), z.number().int())

export const FleetStatsSchema = z
  .object({
    ships: z.number().int(),
    totalCost: z.number().openapi({ description: 'total value, USD' }),
    byManufacturer: Counts,
    byRole: Counts.openapi({ description: "ships without a role count under 'unknown'" }),
    byStatus: Counts,
    byInsurance: Counts,
  })
  .openapi('FleetStats')

const tags = ['fleet']

export function fleetRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/fleet/stats',
      tags,
      summary: "The org's fleet composition over every ship you may see (fleet:view)",
      request: { params: OrgParam },
      responses: { 200: json(FleetStatsSchema, 'the composition'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ctx.services().fleet.composition(c.req.valid('param').org), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/fleet/stats/{member}',
      tags,
      summary: "One hangar's stats (yours: `me`; another member's needs fleet:view)",
      request: { params: MemberParam },
      responses: { 200: json(FleetStatsSchema, "the hangar's stats"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member } = c.req.valid('param')
      const s = ctx.services()
      return c.json(await s.fleet.hangarStats(org, ownerOf(s, member)), 200)
    },
  )
  return app
}
