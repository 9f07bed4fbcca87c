/** `/orgs/{org}/invites` (create, list with state, revoke) and `/invites/accept`. */
import { createRoute, z } from '@hono/zod-openapi'
import { acceptInvite } from '../use-cases/accept-invite.ts'
import { OrgSchema } from './orgs.ts'
import { paginate } from './page.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam, pageOf, pageQuery } from './schemas.ts'

export const InviteSchema = z
  .object({
    id: z.string(),
    inviter: z.string(),
    rank: z.string(),
    createdAt: z.number(),
    expiresAt: z.number(),
    usedBy: z.string().nullable(),
    status: z.enum(['open', 'used', 'revoked', 'expired']),
  })
  .openapi('Invite')

const NewInvite = z
  .object({
    rank: z.string().openapi({ description: 'rank id, below your own' }),
    expiresInHours: z
      .number()
      .positive()
      .max(24 * 365)
      .optional(),
  })
  .openapi('NewInvite')

const Accept = z
  .object({
    token: z.string().max(16_384).openapi({ description: 'the invite token (vginv1.…)' }),
    handle: z.string().openapi({ description: 'your RSI handle in the org' }),
  })
  .openapi('AcceptInvite')

const InviteParam = OrgParam.extend({
  invite: z.string().openapi({ param: { name: 'invite', in: 'path' }, description: 'invite id (32 hex)' }),
})

const tags = ['invites']

export function inviteRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/invites',
      tags,
      summary: 'A signed, single-use invite for a rank below yours (members:invite)',
      request: { params: OrgParam, ...body(NewInvite) },
      responses: {
        201: json(
          z.object({
            token: z.string(),
            invite: z.object({
              id: z.string(),
              orgId: z.string(),
              inviter: z.string(),
              rank: z.string(),
              issuedAt: z.number(),
              expiresAt: z.number(),
              bootstrap: z.array(z.string()).readonly(),
              rendezvous: z.string().optional(),
            }),
          }),
          'the token to hand over, single use',
        ),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      const b = c.req.valid('json')
      const { token, invite } = await ctx.services().invites.createInvite(org, {
        rank: b.rank,
        ...(await ctx.mesh().inviteReach(org)),
        ...(b.expiresInHours === undefined ? {} : { expiresInHours: b.expiresInHours }),
      })
      return c.json({ token, invite }, 201)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/invites',
      tags,
      summary: 'Invites and their state, newest first (members:invite or members:manage)',
      request: { params: OrgParam, query: pageQuery(['created', 'expires']) },
      responses: { 200: json(pageOf(InviteSchema), 'a page of invites'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const invites = await ctx.services().invites.listInvites(c.req.valid('param').org)
      const query = c.req.valid('query')
      const page = paginate(
        invites,
        { ...query, order: query.order ?? 'desc' },
        { created: (i) => i.createdAt, expires: (i) => i.expiresAt },
        'created',
        (i) => i.id,
      )
      return c.json(page, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}/invites/{invite}',
      tags,
      summary: 'Revoke an open invite: no node admits anyone with it any more (members:invite)',
      request: { params: InviteParam },
      responses: { 200: json(InviteSchema, 'the invite, revoked'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, invite } = c.req.valid('param')
      return c.json(await ctx.services().invites.revokeInvite(org, invite), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/invites/accept',
      tags,
      summary: "Join an org with an invite: any member's node online admits this one",
      request: body(Accept),
      responses: { 200: json(OrgSchema, 'the org joined'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { token, handle } = c.req.valid('json')
      const joined = await acceptInvite(
        { invites: ctx.services().invites, network: ctx.mesh },
        { token, handle },
      )
      return c.json(joined, 200)
    },
  )
  return app
}
