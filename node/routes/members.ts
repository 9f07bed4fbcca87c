/**
 * `/orgs/{org}/members`: the roster a page at a time, one member, their handle and notes,
 * their rank (promote, demote), kicking them; `/orgs/{org}/flagged`: what removed or
 * demoted members did past their recorded heads (no effect anywhere; listed for review).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { paginate } from './page.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam, pageOf, pageQuery } from './schemas.ts'

const MemberFields = z.object({
  memberKey: z.string(),
  handle: z.string(),
  rank: z.string().openapi({ description: 'rank id' }),
  rankName: z.string(),
  level: z.number().int(),
  joinedAt: z.number(),
  notes: z.string(),
})

/** A member's roster record (what a rank change or a kick answers). */
export const MemberRecordSchema = MemberFields.openapi('MemberRecord')

export const MemberSchema = MemberFields.extend({
  ships: z.number().int().openapi({ description: 'their ships the caller may see' }),
}).openapi('Member')

export const FlaggedSchema = z
  .object({
    docId: z.string(),
    author: z.string().openapi({ description: 'member key of the removed or demoted member' }),
    seq: z.number().int(),
    action: z.string(),
    resource: z.string(),
    time: z.number().openapi({ description: "ms since the epoch, the author's clock" }),
    changes: z.array(z.string()).readonly(),
    removal: z.string().openapi({ description: 'the roster change that recorded their head' }),
    why: z.enum(['removed', 'left', 'demoted']),
  })
  .openapi('FlaggedChange')

const MemberParam = OrgParam.extend({
  member: z.string().openapi({ param: { name: 'member', in: 'path' }, description: 'member key (hex)' }),
})

const MemberPatch = z
  .object({
    handle: z.string().optional().openapi({ description: 'RSI handle (yours, or with members:manage)' }),
    notes: z.string().optional().openapi({ description: 'officer notes (members:manage)' }),
  })
  .openapi('MemberPatch')

const RankAssign = z.object({ rank: z.string().openapi({ description: 'rank id' }) }).openapi('RankAssign')

const tags = ['members']

const AccessSchema = z
  .object({
    memberKey: z.string(),
    member: z.boolean().openapi({ description: 'a member now (not kicked, not gone)' }),
    rank: z.string().nullable(),
    rankName: z.string().nullable(),
    level: z.number().int(),
    permissions: z.array(z.string()).openapi({ description: 'every permission the rank allows' }),
  })
  .openapi('Access')

const MemberListQuery = pageQuery(['handle', 'rank', 'joined', 'ships']).extend({
  q: z.string().max(64).optional().openapi({
    description: 'only members whose handle contains this (any case), or whose key starts with it',
  }),
})

export function memberRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/members',
      tags,
      summary: 'Members, a page at a time (members:view)',
      request: { params: OrgParam, query: MemberListQuery },
      responses: { 200: json(pageOf(MemberSchema), 'a page of members'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { q, ...query } = c.req.valid('query')
      const all = await ctx.services().org.listMembers(c.req.valid('param').org)
      const want = q?.trim().toLowerCase() ?? ''
      const members =
        want === ''
          ? all
          : all.filter((m) => m.handle.toLowerCase().includes(want) || m.memberKey.startsWith(want))
      const page = paginate(
        members,
        query,
        {
          handle: (m) => m.handle.toLowerCase(),
          rank: (m) => -m.level,
          joined: (m) => m.joinedAt,
          ships: (m) => -m.ships,
        },
        'handle',
        (m) => m.memberKey,
      )
      return c.json(page, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/me',
      tags,
      summary: 'What you are in the org and may do there (a client offers only that)',
      request: { params: OrgParam },
      responses: { 200: json(AccessSchema, 'your access'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ctx.services().org.myAccess(c.req.valid('param').org), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/members/{member}',
      tags,
      summary: 'One member (members:view; yourself always)',
      request: { params: MemberParam },
      responses: { 200: json(MemberSchema, 'the member'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member } = c.req.valid('param')
      return c.json(await ctx.services().org.showMember(org, member), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/orgs/{org}/members/{member}',
      tags,
      summary: "Change a member's handle (yours, or members:manage) or notes (members:manage)",
      request: { params: MemberParam, ...body(MemberPatch) },
      responses: { 200: json(MemberSchema, 'the member as changed'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member } = c.req.valid('param')
      return c.json(await ctx.services().org.updateMember(org, member, c.req.valid('json')), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'put',
      path: '/orgs/{org}/members/{member}/rank',
      tags,
      summary: 'Promote or demote a member below your level to a rank below yours (ranks:assign)',
      request: { params: MemberParam, ...body(RankAssign) },
      responses: { 200: json(MemberRecordSchema, 'the member with their new rank'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, member } = c.req.valid('param')
      return c.json(await ctx.services().org.setRank(org, member, c.req.valid('json').rank), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/members/{member}/kick',
      tags,
      summary: 'Remove a member below your level (members:kick): what they do past now has no effect',
      request: { params: MemberParam },
      responses: {
        200: json(MemberRecordSchema, 'the member as they were when removed'),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, member } = c.req.valid('param')
      return c.json(await ctx.services().org.kick(org, member), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/flagged',
      tags,
      summary:
        'Changes of removed or demoted members past their recorded heads: no effect anywhere (members:kick or members:manage)',
      request: { params: OrgParam, query: pageQuery(['time']) },
      responses: { 200: json(pageOf(FlaggedSchema), 'a page of flagged changes'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const flagged = await ctx.services().org.listFlagged(c.req.valid('param').org)
      const query = c.req.valid('query')
      const page = paginate(
        flagged,
        { ...query, order: query.order ?? 'desc' },
        { time: (f) => f.time },
        'time',
        (f) => `${f.author}/${String(f.seq).padStart(12, '0')}/${f.docId}`,
      )
      return c.json(page, 200)
    },
  )
  return app
}
