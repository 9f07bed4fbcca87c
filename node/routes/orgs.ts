/** `/orgs`: create, list, show, update, delete (read-only from then on), leave. */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

export const OrgSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tag: z.string(),
    description: z.string(),
    founded: z.number().openapi({ description: 'ms since the epoch' }),
    owner: z.string().openapi({ description: "the founder's member key" }),
    deleted: z.boolean(),
    memberCount: z.number().int(),
  })
  .openapi('Org')

const NewOrg = z
  .object({
    name: z.string().openapi({ example: 'Crimson Fleet', description: '3 to 64 characters' }),
    tag: z.string().openapi({ example: 'CRIM', description: '2 to 5 upper-case letters or digits' }),
    description: z.string().optional(),
    handle: z.string().openapi({ description: "the founder's RSI handle in the org" }),
  })
  .openapi('NewOrg')

const OrgPatch = z
  .object({ name: z.string().optional(), tag: z.string().optional(), description: z.string().optional() })
  .openapi('OrgPatch')

const tags = ['orgs']

export function orgRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs',
      tags,
      summary: 'Orgs this node holds',
      responses: { 200: json(z.array(OrgSchema), 'the orgs'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ctx.services().org.listOrgs(), 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs',
      tags,
      summary: 'Found an org (the caller becomes its Leader)',
      request: body(NewOrg),
      responses: { 201: json(OrgSchema, 'the new org'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ctx.services().org.createOrg(c.req.valid('json')), 201),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}',
      tags,
      summary: 'One org',
      request: { params: OrgParam },
      responses: { 200: json(OrgSchema, 'the org'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ctx.services().org.getOrg(c.req.valid('param').org), 200),
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/orgs/{org}',
      tags,
      summary: "Change the org's name, tag or description (org:manage)",
      request: { params: OrgParam, ...body(OrgPatch) },
      responses: { 200: json(OrgSchema, 'the org as changed'), ...ERROR_RESPONSES },
    }),
    async (c) =>
      c.json(await ctx.services().org.updateOrg(c.req.valid('param').org, c.req.valid('json')), 200),
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}',
      tags,
      summary: 'Mark the org deleted: read-only everywhere, nothing erased (org:delete)',
      request: { params: OrgParam },
      responses: { 200: json(OrgSchema, 'the org, deleted'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      await ctx.services().org.deleteOrg(org)
      return c.json(await ctx.services().org.getOrg(org), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/leave',
      tags,
      summary: 'Leave the org (your hangar stays yours)',
      request: { params: OrgParam },
      responses: { 200: json(OrgSchema, 'the org you left'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      await ctx.services().org.leave(org)
      return c.json(await ctx.services().org.getOrg(org), 200)
    },
  )
  return app
}
