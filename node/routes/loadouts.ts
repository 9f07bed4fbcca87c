/**
 * `/orgs/{org}/members/{member}/ships/{ship}/loadouts`: a ship's named loadouts (one
 * active): add, edit (name, components), activate, remove. Your own ship's, or with
 * fleet:manage those of a member below your level.
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json } from './schemas.ts'
import { ownerOf, ShipParam, ShipSchema } from './ships.ts'

const Component = z.object({
  slot: z.string().openapi({ example: 'nose' }),
  item: z.string().openapi({ example: 'CF-337 Panther' }),
  manufacturer: z.string().optional(),
})

/** Shape only; the fleet service checks every bound and names the field that is wrong. */
const NewLoadout = z
  .object({
    name: z.string(),
    components: z.array(Component),
    active: z.boolean().optional().openapi({ description: "make it the ship's active loadout" }),
  })
  .openapi('NewLoadout')

const LoadoutPatch = z
  .object({
    name: z.string().optional(),
    components: z
      .array(Component)
      .optional()
      .openapi({ description: 'the whole new set: slots not given are taken out' }),
  })
  .openapi('LoadoutPatch')

const LoadoutParam = ShipParam.extend({
  loadout: z
    .string()
    .max(64)
    .openapi({ param: { name: 'loadout', in: 'path' }, description: 'loadout id' }),
})

const base = '/orgs/{org}/members/{member}/ships/{ship}/loadouts'
const tags = ['loadouts']

export function loadoutRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'post',
      path: base,
      tags,
      summary: 'Add a named loadout to a ship (the first one becomes active)',
      request: { params: ShipParam, ...body(NewLoadout) },
      responses: { 201: json(z.object({ id: z.string() }), 'the new loadout id'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship } = c.req.valid('param')
      const s = ctx.services()
      const id = await s.fleet.addLoadout(org, ownerOf(s, member), ship, c.req.valid('json'))
      return c.json({ id }, 201)
    },
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: `${base}/{loadout}`,
      tags,
      summary: 'Rename a loadout or replace its components',
      request: { params: LoadoutParam, ...body(LoadoutPatch) },
      responses: { 200: json(ShipSchema, 'the ship as changed'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship, loadout } = c.req.valid('param')
      const s = ctx.services()
      return c.json(
        await s.fleet.editLoadout(org, ownerOf(s, member), ship, loadout, c.req.valid('json')),
        200,
      )
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/{loadout}/activate`,
      tags,
      summary: "Make a loadout the ship's active one",
      request: { params: LoadoutParam },
      responses: { 200: json(ShipSchema, 'the ship as changed'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship, loadout } = c.req.valid('param')
      const s = ctx.services()
      return c.json(await s.fleet.setActiveLoadout(org, ownerOf(s, member), ship, loadout), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: `${base}/{loadout}`,
      tags,
      summary: 'Remove a loadout (if it was active, the next one becomes active)',
      request: { params: LoadoutParam },
      responses: { 200: json(ShipSchema, 'the ship as changed'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member, ship, loadout } = c.req.valid('param')
      const s = ctx.services()
      return c.json(await s.fleet.removeLoadout(org, ownerOf(s, member), ship, loadout), 200)
    },
  )
  return app
}
