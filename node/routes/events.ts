/**
 * `/events`: server-sent events, one `change` event whenever a document of this node
 * changes (made here, or a peer's change accepted), so a page shows it without a reload.
 * The event says what kind of document, in which org and from where; the page then reads
 * what it shows through the API as usual. A comment line every 25 s keeps the connection
 * alive through proxies.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import { NodeNotRunningError } from '../errors.ts'
import type { DocumentChange, RouteContext } from './route-context.ts'
import { router } from './router.ts'
import { ERROR_RESPONSES } from './schemas.ts'

const KEEPALIVE_MS = 25_000

export function eventRoutes(ctx: RouteContext) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      tags: ['events'],
      summary: 'Server-sent events: `change` with { type, org, origin } whenever a document changes',
      responses: {
        200: { description: 'an event stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const changes = ctx.changes
      if (changes === undefined) throw new NodeNotRunningError('live events')
      // A stream, not JSON: the Response streamSSE builds, cast (Hono's typed answers are JSON only).
      return streamSSE(c, async (stream) => {
        const queue: DocumentChange[] = []
        let wake: (() => void) | null = null
        const stop = changes((change) => {
          if (queue.length < 1000) queue.push(change)
          wake?.()
        })
        stream.onAbort(stop)
        try {
          while (!stream.aborted) {
            const next = queue.shift()
            if (next !== undefined) {
              await stream.writeSSE({ event: 'change', data: JSON.stringify(next) })
              continue
            }
            await new Promise<void>((resolve) => {
              wake = resolve
              setTimeout(resolve, KEEPALIVE_MS).unref()
            })
            wake = null
            if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n')
          }
        } finally {
          stop()
        }
      }) as never
    },
  )
  return app
}
