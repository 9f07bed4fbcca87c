/**
 * `/orgs/{org}/calendar`: this member's calendar feed of the org's operations: its URL
 * (`/cal/<token>.ics` on this node's HTTP address) and a rotation that makes a new URL and
 * ends the old one at once. The feed itself is served outside `/api` (../calendar-feed.ts).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { FEED_PAST_DAYS, FEED_REFRESH_SECONDS } from '../calendar-feed.ts'
import { feedUrls } from '../calendar-url.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

export const CalendarFeedSchema = z
  .object({
    url: z.string().openapi({ example: 'http://127.0.0.1:7420/cal/q8Hk…Yw.ics' }),
    webcal: z.string().openapi({ description: 'the same URL as webcal:// (calendar apps open it)' }),
    running: z.boolean().openapi({ description: 'whether the node serves it now (false: start the node)' }),
    pastDays: z
      .number()
      .int()
      .openapi({ description: 'operations that ended this many days ago stay in the feed' }),
    refreshMinutes: z.number().int().openapi({ description: 'how often calendar apps are asked to poll' }),
  })
  .openapi('CalendarFeed')

const tags = ['ops']

export function calendarRoutes(ctx: RouteContext) {
  const app = router()
  const answer = async (org: string, rotate: boolean) => {
    await ctx.services().ops.requireView(org)
    const { tokens, base } = ctx.calendar()
    const token = rotate ? await tokens.rotate(org) : await tokens.token(org)
    const where = base()
    return {
      ...feedUrls(where.url, token),
      running: where.running,
      pastDays: FEED_PAST_DAYS,
      refreshMinutes: FEED_REFRESH_SECONDS / 60,
    }
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/calendar',
      tags,
      summary: "Your calendar feed's URL (ops:view); made the first time",
      request: { params: OrgParam },
      responses: { 200: json(CalendarFeedSchema, 'the feed'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await answer(c.req.valid('param').org, false), 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/calendar/rotate',
      tags,
      summary: 'A new feed URL; the old one answers 404 at once (ops:view)',
      request: { params: OrgParam },
      responses: { 200: json(CalendarFeedSchema, 'the new feed'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await answer(c.req.valid('param').org, true), 200),
  )
  return app
}
