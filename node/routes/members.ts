/** `/orgs/{org}/members`: the roster, a page at a time, and one member. */
import { createRoute, z } from '@hono/zod-openapi'
import { paginate } from './page.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json, OrgParam, pageOf, pageQuery } from './schemas.ts'

export const MemberSchema = z
  .object({
    memberKey: z.string(),
    handle: z.string(),
    rank: z.string().openapi({ description: 'rank id' }),
    rankName: z.string(),
    level: z.number().int(),
    joinedAt: z.number(),
    notes: z.string(),
  })
  .openapi('Member')

const MemberParam = OrgParam.extend({
  member: z.string().openapi({ param: { name: 'member', in: 'path' }, description: 'member key (hex)' }),
})

const tags = ['members']

export function memberRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/members',
      tags,
      summary: 'Members, a page at a time (members:view)',
      request: { params: OrgParam, query: pageQuery(['handle', 'rank', 'joined']) },
      responses: { 200: json(pageOf(MemberSchema), 'a page of members'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const members = await ctx.services().org.members(c.req.valid('param').org)
      const page = paginate(
        members,
        c.req.valid('query'),
        { handle: (m) => m.handle.toLowerCase(), rank: (m) => -m.level, joined: (m) => m.joinedAt },
        'handle',
        (m) => m.memberKey,
      )
      return c.json(page, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/members/{member}',
      tags,
      summary: 'One member (members:view)',
      request: { params: MemberParam },
      responses: { 200: json(MemberSchema, 'the member'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member } = c.req.valid('param')
      return c.json(await ctx.services().org.member(org, member), 200)
    },
  )
  return app
}
