/**
 * Ships. The fleet a member may see is one list, `/orgs/{org}/ships`, filtered (owner,
 * manufacturer, role, status, insurance, visibility) and paged; a ship lives in its
 * owner's hangar (ship ids are per hangar), so one ship is
 * `/orgs/{org}/members/{member}/ships/{ship}`, `me` naming your own hangar.
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { DomainServices } from '../../services/domain.ts'
import { INSURANCE, SHIP_STATUS, type ShipSummary, VISIBILITY } from '../../services/fleet/index.ts'
import { paginate } from './page.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam, pageOf, pageQuery } from './schemas.ts'

export const ShipSummarySchema = z
  .object({
    id: z.string(),
    owner: z.string().openapi({ description: "the owner's member key" }),
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

export const LoadoutSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    active: z.boolean(),
    components: z.array(z.object({ slot: z.string(), item: z.string(), manufacturer: z.string() })),
  })
  .openapi('Loadout')

export const ShipSchema = ShipSummarySchema.extend({
  pledgeId: z.string().openapi({ description: "the store's pledge id of an imported ship; '' when none" }),
  loadouts: z.array(LoadoutSchema),
}).openapi('Ship')

/** Shape only; the fleet service checks every field's bounds and names the one that is wrong. */
const shipFields = {
  name: z.string(),
  role: z.string(),
  pledgeDate: z.string().nullable().openapi({ description: 'YYYY-MM-DD, or null' }),
  cost: z.number().openapi({ description: 'USD' }),
  insurance: z.enum(INSURANCE),
  status: z.enum(SHIP_STATUS),
  location: z.string(),
  visibility: z.enum(VISIBILITY).openapi({
    description: 'org: every member with fleet:view; officers: fleet:manage; private: you alone',
  }),
}

const NewShip = z
  .object({ model: z.string(), manufacturer: z.string() })
  .extend(z.object(shipFields).partial().shape)
  .openapi('NewShip')

const ShipPatch = z
  .object({ model: z.string(), manufacturer: z.string(), ...shipFields })
  .partial()
  .openapi('ShipPatch')

export const MemberParam = OrgParam.extend({
  member: z
    .string()
    .max(64)
    .openapi({ param: { name: 'member', in: 'path' }, description: "the owner's member key, or `me`" }),
})

export const ShipParam = MemberParam.extend({
  ship: z
    .string()
    .max(64)
    .openapi({ param: { name: 'ship', in: 'path' }, description: 'ship id' }),
})

const ListQuery = pageQuery(['model', 'manufacturer', 'status', 'cost', 'added']).extend({
  owner: z.string().max(64).optional().openapi({ description: 'one hangar: a member key, or `me`' }),
  manufacturer: z.string().max(64).optional().openapi({ description: 'whole name, any case' }),
  role: z.string().max(64).optional().openapi({ description: 'whole role, any case' }),
  status: z.enum(SHIP_STATUS).optional(),
  insurance: z.enum(INSURANCE).optional(),
  visibility: z.enum(VISIBILITY).optional(),
})

/** What a fleet list sorts by (ties: owner, then ship id). */
const SORTS = {
  model: (x: ShipSummary) => x.model.toLowerCase(),
  manufacturer: (x: ShipSummary) => x.manufacturer.toLowerCase(),
  status: (x: ShipSummary) => x.status,
  cost: (x: ShipSummary) => x.cost,
  added: (x: ShipSummary) => x.addedAt,
} as const

/** The member a path or query names: `me` is this node's member. */
export function ownerOf(s: DomainServices, member: string): string {
  return member === 'me' ? s.org.me : member
}

const tags = ['ships']

export function shipRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ships',
      tags,
      summary:
        'Ships you may see, filtered and a page at a time (your own hangar: always; beyond it: fleet:view)',
      request: { params: OrgParam, query: ListQuery },
      responses: { 200: json(pageOf(ShipSummarySchema), 'a page of ships'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      const { owner, manufacturer, role, status, insurance, visibility, ...page } = c.req.valid('query')
      const s = ctx.services()
      const filter = { manufacturer, role, status, insurance, visibility }
      const ships = await s.fleet.ships(org, {
        ...(owner === undefined ? {} : { owner: ownerOf(s, owner) }),
        ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)),
      })
      return c.json(
        paginate(ships, page, SORTS, 'model', (x) => `${x.owner}/${x.id}`),
        200,
      )
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
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/members/{member}/ships/{ship}',
      tags,
      summary: "One ship with its loadouts (your own; another member's needs fleet:view)",
      request: { params: ShipParam },
      responses: { 200: json(ShipSchema, 'the ship'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship } = c.req.valid('param')
      const s = ctx.services()
      return c.json(await s.fleet.ship(org, ownerOf(s, member), ship), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/orgs/{org}/members/{member}/ships/{ship}',
      tags,
      summary:
        "Change a ship: status (incl. destroyed), location, name, insurance, role, visibility, pledge date, cost (yours; a lower member's with fleet:manage)",
      request: { params: ShipParam, ...body(ShipPatch) },
      responses: { 200: json(ShipSchema, 'the ship as changed'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship } = c.req.valid('param')
      const s = ctx.services()
      return c.json(await s.fleet.updateShip(org, ownerOf(s, member), ship, c.req.valid('json')), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}/members/{member}/ships/{ship}',
      tags,
      summary: "Remove a ship with its loadouts (yours; a lower member's with fleet:manage)",
      request: { params: ShipParam },
      responses: { 200: json(ShipSchema, 'the ship removed, as it was'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship } = c.req.valid('param')
      const s = ctx.services()
      return c.json(await s.fleet.removeShip(org, ownerOf(s, member), ship), 200)
    },
  )
  return app
}
