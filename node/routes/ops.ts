/**
 * `/orgs/{org}/ops`: operations: schedule, list (upcoming / past / by status, a page at a
 * time, by start time), show, update, cancel, the status lifecycle, slots, sign-ups (your
 * own; the leader's or `ops:manage`'s for someone else), confirmation, and the calendar
 * (`text/calendar`, RFC 5545) of one operation or of every upcoming one.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { OP_STATUSES, OP_TYPES, PARTICIPANT_STATES } from '../../services/operations/index.ts'
import { paginate } from './page.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam, pageOf, pageQuery } from './schemas.ts'

export const SlotSchema = z
  .object({
    id: z.string(),
    role: z.string(),
    ship: z.string().nullable(),
    takenBy: z.string().nullable().openapi({ description: 'the member holding it (not withdrawn)' }),
  })
  .openapi('Slot')

export const ParticipantSchema = z
  .object({
    memberKey: z.string(),
    role: z.string(),
    ship: z.string().nullable(),
    slot: z.string().nullable(),
    state: z.enum(PARTICIPANT_STATES),
    updatedAt: z.number(),
  })
  .openapi('Participant')

export const OperationSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    title: z.string(),
    description: z.string(),
    type: z.enum(OP_TYPES),
    scheduledAt: z.number().openapi({ description: 'start, ms since the epoch' }),
    durationMin: z.number().int(),
    endsAt: z.number().openapi({ description: 'scheduledAt + durationMin, ms since the epoch' }),
    leader: z.string(),
    creator: z.string(),
    status: z.enum(OP_STATUSES),
    createdAt: z.number(),
    timeZone: z
      .string()
      .nullable()
      .openapi({ description: 'the IANA time zone it is planned in (shown beside the UTC times), or null' }),
    slots: z.array(SlotSchema),
    participants: z.array(ParticipantSchema).openapi({ description: 'confirmed first, then pending, …' }),
    counts: z.record(z.enum(PARTICIPANT_STATES), z.number().int()),
  })
  .openapi('Operation')

const time = z
  .union([z.number(), z.string()])
  .openapi({ description: 'ms since the epoch, or ISO 8601 with an offset (2030-01-02T18:30:00Z)' })

/** Shape only; the operations service checks every field's bounds and names the one that is wrong. */
const NewOperation = z
  .object({
    title: z.string(),
    description: z.string().optional(),
    type: z.enum(OP_TYPES),
    scheduledAt: time,
    durationMin: z.number().openapi({ description: 'minutes, 1 to 10080' }),
    leader: z.string().optional().openapi({ description: 'member key; default: you' }),
    status: z.enum(['draft', 'planned']).optional(),
    slots: z.array(z.object({ role: z.string(), ship: z.string().nullable().optional() })).optional(),
    timeZone: z.string().optional().openapi({ description: 'IANA time zone (Europe/Berlin); default none' }),
  })
  .openapi('NewOperation')

const OperationPatch = z
  .object({
    title: z.string().optional(),
    description: z.string().optional(),
    type: z.enum(OP_TYPES).optional(),
    scheduledAt: time.optional(),
    durationMin: z.number().optional(),
    leader: z.string().optional(),
    timeZone: z.string().nullable().optional().openapi({ description: 'IANA time zone; null: none' }),
  })
  .openapi('OperationPatch')

const SignUp = z
  .object({
    role: z.string().optional().openapi({ description: "default: the slot's role; required without a slot" }),
    slot: z.string().nullable().optional(),
    ship: z.string().nullable().optional().openapi({ description: "a ship of the member's hangar" }),
    tentative: z.boolean().optional(),
  })
  .openapi('SignUp')

const OpParam = OrgParam.extend({
  op: z.string().openapi({ param: { name: 'op', in: 'path' }, description: 'operation id (hex)' }),
})
const SlotParam = OpParam.extend({
  slot: z.string().openapi({ param: { name: 'slot', in: 'path' }, description: 'slot id (hex)' }),
})
const MemberParam = OpParam.extend({
  member: z.string().openapi({ param: { name: 'member', in: 'path' }, description: 'member key (hex)' }),
})

const ListQuery = pageQuery(['start', 'created', 'title']).extend({
  when: z.enum(['upcoming', 'past', 'all']).optional().openapi({ description: 'default all' }),
  status: z.enum(OP_STATUSES).optional(),
})

const CalendarQuery = z.object({
  format: z
    .enum(['ics', 'json'])
    .optional()
    .openapi({ description: 'ics (default): text/calendar; json: `{ calendar }` holding the same text' }),
})

const calendar = (description: string) => ({
  description,
  content: {
    'text/calendar': { schema: z.string().openapi({ description: 'RFC 5545, times in UTC' }) },
    'application/json': { schema: z.object({ calendar: z.string() }).openapi('Calendar') },
  },
})

const tags = ['ops']

export function opRoutes(ctx: RouteContext) {
  const app = router()
  const ops = () => ctx.services().ops
  /**
   * The calendar answer: text/calendar, or JSON with `?format=json` (what the CLI reads: its
   * API client takes JSON answers). A plain Response, cast: Hono's typed answers are JSON only.
   */
  const ics = (text: string, format: 'ics' | 'json' | undefined, name: string) =>
    format === 'json'
      ? Response.json({ calendar: text })
      : new Response(text, {
          headers: {
            'content-type': 'text/calendar; charset=utf-8',
            'content-disposition': `attachment; filename="${name}.ics"`,
          },
        })

  // Before `/ops/{op}`: `ical` is not an operation id.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ops/ical',
      tags,
      summary: 'Every upcoming operation as one calendar (ops:view)',
      request: { params: OrgParam, query: CalendarQuery },
      responses: { 200: calendar('the calendar (RFC 5545)'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      const text = await ops().exportIcs(org, { when: 'upcoming' })
      return ics(text, c.req.valid('query').format, 'operations') as never
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ops',
      tags,
      summary: 'Operations, a page at a time, by start time (ops:view)',
      request: { params: OrgParam, query: ListQuery },
      responses: { 200: json(pageOf(OperationSchema), 'a page of operations'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid('param')
      const { when, status, ...page } = c.req.valid('query')
      const list = await ops().list(org, { when, status })
      const sorts = {
        start: (o: (typeof list)[number]) => o.scheduledAt,
        created: (o: (typeof list)[number]) => o.createdAt,
        title: (o: (typeof list)[number]) => o.title.toLowerCase(),
      }
      return c.json(
        paginate(list, page, sorts, 'start', (o) => o.id),
        200,
      )
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ops',
      tags,
      summary: 'Schedule an operation (ops:create)',
      request: { params: OrgParam, ...body(NewOperation) },
      responses: { 201: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => c.json(await ops().createOperation(c.req.valid('param').org, c.req.valid('json')), 201),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ops/{op}',
      tags,
      summary: 'One operation (ops:view)',
      request: { params: OpParam },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      return c.json(await ops().get(org, op), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/ops/{op}/ical',
      tags,
      summary: 'One operation as a calendar (ops:view)',
      request: { params: OpParam, query: CalendarQuery },
      responses: { 200: calendar('the calendar (RFC 5545)'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      const text = await ops().exportIcs(org, { opIds: [op] })
      return ics(text, c.req.valid('query').format, `operation-${op}`) as never
    },
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/orgs/{org}/ops/{op}',
      tags,
      summary:
        'Change title, description, type, time, duration, leader or time zone (its leader or ops:manage)',
      request: { params: OpParam, ...body(OperationPatch) },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      return c.json(await ops().updateOperation(org, op, c.req.valid('json')), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ops/{op}/cancel',
      tags,
      summary: 'Cancel the operation (its leader or ops:manage; 409 once completed)',
      request: { params: OpParam },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      return c.json(await ops().cancel(org, op), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'put',
      path: '/orgs/{org}/ops/{op}/status',
      tags,
      summary:
        'Move along the lifecycle: draft → planned → open ⇄ locked → in-progress → completed; cancelled from any before completed (409 otherwise)',
      request: { params: OpParam, ...body(z.object({ status: z.enum(OP_STATUSES) }).openapi('OpStatus')) },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      return c.json(await ops().setStatus(org, op, c.req.valid('json').status), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ops/{op}/slots',
      tags,
      summary: 'Add a slot (its leader or ops:manage)',
      request: {
        params: OpParam,
        ...body(z.object({ role: z.string(), ship: z.string().nullable().optional() }).openapi('NewSlot')),
      },
      responses: {
        201: json(z.object({ slot: z.string(), op: OperationSchema }), 'the new slot id and the operation'),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      const slot = await ops().addSlot(org, op, c.req.valid('json'))
      return c.json({ slot, op: await ops().get(org, op) }, 201)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}/ops/{op}/slots/{slot}',
      tags,
      summary: 'Remove a slot; its holder keeps a sign-up without it (its leader or ops:manage)',
      request: { params: SlotParam },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op, slot } = c.req.valid('param')
      await ops().removeSlot(org, op, slot)
      return c.json(await ops().get(org, op), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'put',
      path: '/orgs/{org}/ops/{op}/signup',
      tags,
      summary: 'Sign yourself up, or change your sign-up (pending, or tentative)',
      request: { params: OpParam, ...body(SignUp) },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      return c.json(await ops().signUp(org, op, c.req.valid('json')), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}/ops/{op}/signup',
      tags,
      summary: 'Withdraw your sign-up',
      request: { params: OpParam },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op } = c.req.valid('param')
      return c.json(await ops().withdraw(org, op), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'put',
      path: '/orgs/{org}/ops/{op}/participants/{member}',
      tags,
      summary:
        'Sign up another member, or change their sign-up: confirmed, or tentative (its leader or ops:manage)',
      request: { params: MemberParam, ...body(SignUp) },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op, member } = c.req.valid('param')
      return c.json(await ops().addSignUp(org, op, member, c.req.valid('json')), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/orgs/{org}/ops/{op}/participants/{member}',
      tags,
      summary: "Remove another member's sign-up (its leader or ops:manage)",
      request: { params: MemberParam },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op, member } = c.req.valid('param')
      return c.json(await ops().removeSignUp(org, op, member), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ops/{op}/participants/{member}/confirm',
      tags,
      summary: "Confirm a member's sign-up (its leader or ops:manage)",
      request: { params: MemberParam },
      responses: { 200: json(OperationSchema, 'the operation'), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, op, member } = c.req.valid('param')
      return c.json(await ops().confirm(org, op, member), 200)
    },
  )
  return app
}
