/**
 * `/orgs/{org}/ranks`: the org's ranks, highest first; create, update and delete them
 * (ranks:manage, below your own level, under the license's custom-ranks and RBAC gates).
 * Assigning a rank to a member is `PUT /orgs/{org}/members/{member}/rank`.
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

export const RankSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    level: z.number().int(),
    permissions: z.array(z.string()),
  })
  .openapi('Rank')

/** Shape only; the org service checks bounds and names the field that is wrong. */
const NewRank = z
  .object({
    id: z.string().openapi({ example: 'wing-lead', description: 'lower-case letters, digits and -' }),
    name: z.string().openapi({ example: 'Wing Lead', description: '1 to 32 characters' }),
    level: z.number().openapi({ example: 30, description: 'a whole number from 1, below your own level' }),
    permissions: z
      .array(z.string())
      .openapi({ example: ['fleet:*', 'ops:view'], description: 'permissions you hold yourself' }),
  })
  .openapi('NewRank')

const RankPatch = z
  .object({
    name: z.string().optional(),
    level: z.number().optional(),
    permissions: z.array(z.string()).optional(),
  })
  .openapi('RankPatch')

const RankParam = OrgParam.extend({
  rank: z.string().openapi({ param: { name: 'rank', in: 'path' }, description: 'rank id' }),
})

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
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ranks',
      tags,
      summary: 'Create a rank below your level (ranks:manage; license: custom-ranks, rbac for new sets)',
      request: { params: OrgParam, ...body(NewRank) },
      responses: { 201: json(RankSchema, 'the new rank'), ...ERROR_RESPONSES },
    }),
    async (c) =>
      c.json(await ctx.services().org.createRank(c.req.valid('param').org, c.req.valid('json')), 201),
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/orgs/{org}/ranks/{rank}',
      tags,
      summary: "Change a rank's name, level or permissions (ranks:manage; below your level)",
      request: { params: RankParam, ...body(RankPatch) },
      responses: { 200: json(RankSchema, 'the rank as changed'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, rank } = c.req.valid('param')
      return c.json(await ctx.services().org.updateRank(org, rank, c.req.valid('json')), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}/ranks/{rank}',
      tags,
      summary: 'Delete a rank nobody holds (ranks:manage); 409 while members hold it',
      request: { params: RankParam },
      responses: { 200: json(RankSchema, 'the rank deleted'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, rank } = c.req.valid('param')
      return c.json(await ctx.services().org.deleteRank(org, rank), 200)
    },
  )
  return app
}
