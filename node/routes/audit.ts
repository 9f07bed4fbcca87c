/**
 * `/orgs/{org}/audit`: the org's audit trail, newest first, a page at a time (audit:view);
 * its verification per author (any member); its export as JSON Lines or CSV (audit:view
 * and the `audit-export` license feature), streamed.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { AUDIT_FORMATS, AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX } from '../../services/audit/index.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

const JsonValue = z.any().openapi({ description: 'the entry details (JSON)' })

export const AuditEntrySchema = z
  .object({
    author: z.string().openapi({ description: 'member key (hex)' }),
    seq: z.number().int(),
    time: z.number().int().openapi({ description: "ms since the epoch, by the author's clock" }),
    action: z.string(),
    resource: z.string(),
    doc: z.string().nullable(),
    details: JsonValue,
    changes: z.number().int().openapi({ description: 'Automerge changes the entry covers' }),
    hash: z.string(),
    prev: z.string().nullable(),
  })
  .openapi('AuditEntry')

const EvidenceSchema = z
  .object({
    bytes: z.string().openapi({ description: 'canonical entry bytes, base64' }),
    signature: z.string().openapi({ description: 'Ed25519 signature, base64' }),
    entry: AuditEntrySchema.nullable(),
  })
  .openapi('AuditEvidence')

const IssueSchema = z
  .object({
    kind: z.enum(['tampered', 'gap', 'fork', 'truncated']),
    seq: z.number().int().nullable().optional(),
    reason: z.string().optional(),
    from: z.number().int().optional(),
    to: z.number().int().optional(),
    hashes: z.array(z.string()).readonly().optional(),
    knownSeq: z.number().int().optional(),
    haveSeq: z.number().int().optional(),
    evidence: z
      .union([EvidenceSchema, z.array(EvidenceSchema).readonly()])
      .nullable()
      .optional(),
  })
  .openapi('AuditIssue')

const ChainVerdictSchema = z
  .object({
    author: z.string(),
    status: z.enum(['ok', 'tampered', 'gap', 'fork', 'truncated']),
    entries: z.number().int(),
    verified: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    issues: z.array(IssueSchema).readonly(),
    warnings: z.array(z.object({ seq: z.number().int(), reason: z.string() })).readonly(),
  })
  .openapi('AuditChainVerdict')

const time = (what: string) =>
  z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: `${what} (ms since the epoch)` })

const FilterQuery = z.object({
  member: z.string().max(64).optional().openapi({ description: "the author's member key" }),
  action: z.string().max(64).optional().openapi({ description: 'exact action, e.g. ship.add' }),
  doc: z.string().max(256).optional().openapi({ description: 'a document id or resource' }),
  since: time('from this time, inclusive'),
  until: time('up to this time, inclusive'),
})

const ListQuery = FilterQuery.extend({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(AUDIT_PAGE_MAX)
    .optional()
    .openapi({ description: `entries per page (default ${AUDIT_PAGE_DEFAULT}, at most ${AUDIT_PAGE_MAX})` }),
  cursor: z.string().max(1024).optional().openapi({ description: "the previous page's `next`" }),
})

const CONTENT_TYPES = { jsonl: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const

const tags = ['audit']

export function auditRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/audit',
      tags,
      summary: 'Audit entries, newest first, a page at a time (audit:view)',
      description:
        'Newest first by recorded time, then author, then seq. `total` counts the matches on ' +
        'every page (null with a `doc` filter).',
      request: { params: OrgParam, query: ListQuery },
      responses: {
        200: json(
          z.object({
            items: z.array(AuditEntrySchema),
            next: z.string().nullable().openapi({ description: 'cursor of the next page; null on the last' }),
            total: z.number().int().nullable().openapi({
              description: 'entries in the listed chains; null with an action, doc or time filter',
            }),
          }),
          'a page of audit entries',
        ),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query')
      const page = await ctx.services().audit.list(c.req.valid('param').org, filter, {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      })
      return c.json(page, 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/audit/verify',
      tags,
      summary: "Every member's chain verified, with the evidence of each issue (any member)",
      request: { params: OrgParam },
      responses: {
        200: json(
          z.object({ org: z.string(), ok: z.boolean(), chains: z.array(ChainVerdictSchema).readonly() }),
          'one verdict per author: ok, tampered, gap, fork or truncated',
        ),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => c.json(await ctx.services().audit.verify(c.req.valid('param').org), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/orgs/{org}/audit/export',
      tags,
      summary: 'The audit trail as JSON Lines or CSV, streamed (audit:view; license feature audit-export)',
      request: {
        params: OrgParam,
        query: FilterQuery.extend({ format: z.enum(AUDIT_FORMATS).openapi({ description: 'jsonl or csv' }) }),
      },
      responses: {
        200: {
          description: 'one entry per line (CSV: a header line first), newest first',
          content: {
            [CONTENT_TYPES.jsonl]: { schema: z.string() },
            [CONTENT_TYPES.csv]: { schema: z.string() },
          },
        },
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { format, ...filter } = c.req.valid('query')
      const org = c.req.valid('param').org
      const lines = await ctx.services().audit.export(org, format, filter)
      const it = lines[Symbol.asyncIterator]()
      const encoder = new TextEncoder()
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await it.next()
          if (done) controller.close()
          else controller.enqueue(encoder.encode(value))
        },
        async cancel() {
          await it.return?.()
        },
      })
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': CONTENT_TYPES[format],
          'content-disposition': `attachment; filename="audit-${org}.${format}"`,
        },
      })
    },
  )
  return app
}
