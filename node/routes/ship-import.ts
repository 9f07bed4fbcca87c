/**
 * `POST /orgs/{org}/ships/import`: a hangar export (HangarXPLOR JSON or CSV, FleetYards
 * JSON) into your own hangar as one action with one audit entry (`ship.import`), or with
 * `dryRun` what it would add and skip, changing nothing. The file travels as text in the
 * JSON body: the API's body bound (2 MiB, 413 past it) holds the import's file bound
 * (1 MiB, a 400 `import-too-large` past it) with room for JSON's escapes.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { IMPORT_FORMATS, IMPORT_LIMITS, SKIP_REASONS } from '../../services/fleet/index.ts'
import type { RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { body, ERROR_RESPONSES, json, OrgParam } from './schemas.ts'

const ImportRequest = z
  .object({
    text: z.string().openapi({
      description: `the export file's text (at most ${IMPORT_LIMITS.fileBytes} bytes, ${IMPORT_LIMITS.entries} entries)`,
    }),
    format: z.enum(IMPORT_FORMATS).optional().openapi({ description: 'default: found from the content' }),
    dryRun: z.boolean().optional().openapi({ description: 'answer what would change, change nothing' }),
  })
  .openapi('ShipImportRequest')

const ImportResultSchema = z
  .object({
    format: z.enum(IMPORT_FORMATS),
    dryRun: z.boolean(),
    added: z.array(
      z.object({
        id: z.string().nullable().openapi({ description: 'the new ship id; null on a dry run' }),
        row: z.number().openapi({ description: 'its entry (JSON) or line (CSV) in the file' }),
        model: z.string(),
        manufacturer: z.string(),
        name: z.string(),
        insurance: z.string(),
        pledgeId: z.string(),
      }),
    ),
    skipped: z.array(
      z.object({
        row: z.number(),
        model: z.string(),
        name: z.string(),
        reason: z.enum(SKIP_REASONS),
        detail: z.string(),
      }),
    ),
  })
  .openapi('ShipImportResult')

export function shipImportRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'post',
      path: '/orgs/{org}/ships/import',
      tags: ['ships'],
      summary:
        'Import a hangar export into your hangar (one change, one audit entry); duplicates and non-ships are skipped and listed',
      request: { params: OrgParam, ...body(ImportRequest) },
      responses: {
        200: json(ImportResultSchema, 'what was added (or on a dry run would be) and what was skipped'),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) =>
      c.json(await ctx.services().fleet.importShips(c.req.valid('param').org, c.req.valid('json')), 200),
  )
  return app
}
