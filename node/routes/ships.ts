/** `/orgs/{org}/ships`: your hangar and the org fleet. */
import { createRoute, z } from '@hono/zod-openapi'
import { INSURANCE, SHIP_STATUS, VISIBILITY } from '../../services/fleet/index.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

export const ShipSummarySchema = z
  .object({
    id: z.string(),
    owner: z.string(),
    model: z.string(),
    manufacturer: z.string(),
    name: z.string(),
    role: z.string(),
    pledgeDate: z.string().nullable(),
    cost: z.number(),
    insurance: z.enum(INSURANCE),
    status: z.enum(SHIP_STATUS),
    location: z.string(),
    visibility: z.enum(VISIBILITY),
    addedAt: z.number(),
  })
  .openapi('ShipSummary')

export const ShipSchema = ShipSummarySchema.extend({
  loadouts: z.array(z.object({}).passthrough()),
}).openapi('Ship')

/** Shape only; the fleet service checks every field's bounds and names the one that is wrong. */
const NewShip = z
  .object({
    model: z.string(),
    manufacturer: z.string(),
    name: z.string().optional(),
    role: z.string().optional(),
    pledgeDate: z.string().optional(),
    cost: z.number().optional(),
    insurance: z.enum(INSURANCE).optional(),
    status: z.enum(SHIP_STATUS).optional(),
    location: z.string().optional(),
    visibility: z.enum(VISIBILITY).optional(),
  })
  .openapi('NewShip')

const tags = ['ships']

export function shipRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ships',
      tags,
      summary: 'Your ships, or with all=1 every ship you may see (fleet:view)',
      request: { params: OrgParam, query: z.object({ all: z.enum(['0', '1']).optional() }) },
      responses: { 200: json(z.array(ShipSummarySchema), 'the ships'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      const all = c.req.valid('query').all === '1'
      const s = ctx.services()
      return c.json(await s.fleet.ships(org, all ? {} : { owner: s.org.me }), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ships',
      tags,
      summary: 'Add a ship to your hangar',
      request: { params: OrgParam, ...body(NewShip) },
      responses: { 201: json(ShipSchema, 'the ship added'), ...ERROR_RESPONSES },
    }),
    async (c) =>
      c.json(await ctx.services().fleet.addShip(c.req.valid('param').org, c.req.valid('json')), 201),
  )
  return app
}
