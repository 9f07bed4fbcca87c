/**
 * Schemas shared by every resource's routes: the error body, path parameters, the page
 * query and the page answer. The OpenAPI document is built from these and the routes'
 * own schemas; the same schemas validate each request (a failure is a 400 naming the field).
 */
import { z } from '@hono/zod-openapi'
import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from './page.ts'

export const ErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ example: 'permission-denied' }),
        kind: z
          .enum([
            'invalid',
            'unauthenticated',
            'forbidden',
            'not-found',
            'conflict',
            'too-many',
            'unavailable',
            'failed',
          ])
          .optional(),
        message: z.string(),
        field: z.string().optional().openapi({ description: 'the input that is wrong (400)' }),
        permission: z.string().optional().openapi({ description: 'the permission needed (403)' }),
        rank: z.string().optional().openapi({ description: "the caller's rank (403)" }),
      })
      .passthrough(),
  })
  .openapi('Error')

const errorContent = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
})

/** The error answers every route may give (each route adds its own 2xx). */
export const ERROR_RESPONSES = {
  400: errorContent('invalid input; `field` names it; nothing was changed'),
  401: errorContent('missing or wrong bearer token'),
  403: errorContent("the caller's rank lacks `permission`, or a license gate"),
  404: errorContent('no such org, member, ship, operation …'),
  409: errorContent('conflicts with the current state'),
  429: errorContent('too many requests'),
  503: errorContent('the network is not running (a command run on a stopped node)'),
} as const

export const HEX64 = /^[0-9a-f]{64}$/

export const OrgParam = z.object({
  org: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'org', in: 'path' }, description: 'the org id' }),
})

/** `?limit&cursor&order` plus `sort` from `sorts`. */
export function pageQuery<const S extends readonly [string, ...string[]]>(sorts: S) {
  return z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(PAGE_LIMIT_MAX)
      .optional()
      .openapi({ description: `items per page (default ${PAGE_LIMIT_DEFAULT}, at most ${PAGE_LIMIT_MAX})` }),
    cursor: z.string().max(1024).optional().openapi({ description: "the previous page's `next`" }),
    sort: z.enum(sorts).optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
}

/** A page of `item`: `{ items, next, total }`. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().openapi({ description: 'cursor of the next page; null on the last' }),
    total: z.number().int().openapi({ description: 'items in the whole list' }),
  })
}

/** A JSON body answer. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

/** A JSON request body. */
export function body<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { 'application/json': { schema } } } }
}
