/**
 * `GET /cal/<token>.ics`: the org's operations as a calendar that apps subscribe to. The
 * token in the URL is the credential (calendar apps send no bearer token), so this route
 * sits outside `/api`'s bearer and Host checks: it answers whatever Host a LAN client
 * names, and a page that rebinds a name to this node learns nothing without the token.
 *
 * - Unknown token (or any other path under /cal): 404, the same plain text every time.
 * - Wrong tokens from one address spend a small budget; past it they get 429 with
 *   Retry-After, after a pause. The right token is checked first and never spends or
 *   waits on it, so a flood from a neighbour does not lock the member's own calendar out.
 *   (So the token is still compared past the budget: at 256 bits guessing is hopeless
 *   anyway; the budget and the pause slow a flood down and bound what it costs.)
 * - The feed is the same service call as `GET /orgs/{org}/ops/ical` (ops:view, as this
 *   node's member): every operation that ends after now − 30 days, whatever its status
 *   (a cancelled one shows as CANCELLED, so calendars update it instead of keeping it).
 *   A member whose rank lost ops:view gets 403.
 * - ETag over the calendar (less its DTSTAMP lines, which are the time of the request):
 *   a poll with If-None-Match that matches is answered 304 with no body.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { type Context, Hono } from 'hono'
import type { Clock } from '../crdt/index.ts'
import { VerseGuyError } from '../crdt/index.ts'
import type { DomainServices } from '../services/domain.ts'
import { AddressLimiter } from './address-limiter.ts'
import type { CalendarTokens } from './calendar-tokens.ts'

/** How far back the feed reaches: operations that ended in the last 30 days stay in it. */
export const FEED_PAST_DAYS = 30
/** How often calendar apps are asked to poll. */
export const FEED_REFRESH_SECONDS = 15 * 60
/** Wrong tokens one address may try at once, then one more per `WRONG_TOKEN_REFILL_MS`. */
export const WRONG_TOKEN_BURST = 10
export const WRONG_TOKEN_REFILL_MS = 6_000
/**
 * Past the budget a wrong token's 429 waits this long first, so a client that asks one
 * after another gets about one try a second. At most `WRONG_TOKENS_HELD` answers wait at
 * once (node-wide, a bound on the timers a flood can make); past that they go at once.
 */
export const WRONG_TOKEN_DELAY_MS = 1_000
const WRONG_TOKENS_HELD = 64

export interface CalendarFeedDeps {
  readonly tokens: () => CalendarTokens
  readonly services: () => DomainServices
  readonly clock: Clock
  readonly logError?: (err: unknown) => void
}

const FILE = /^([A-Za-z0-9_-]{43})\.ics$/
const DAY_MS = 24 * 60 * 60 * 1000

/** The `/cal` routes (mount at `/cal`). */
export function calendarFeed(deps: CalendarFeedDeps): Hono {
  const app = new Hono()
  const limiter = new AddressLimiter({
    burst: WRONG_TOKEN_BURST,
    refillMs: WRONG_TOKEN_REFILL_MS,
    maxAddresses: 4096,
    clock: deps.clock,
  })
  const plain = (status: number, text: string, headers: Record<string, string> = {}) =>
    new Response(`${text}\n`, {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers },
    })
  let held = 0
  const notFound = async (c: Context) => {
    const address = remoteAddress(c)
    if (limiter.take(address)) return plain(404, 'Not found')
    if (held < WRONG_TOKENS_HELD) {
      held++
      try {
        await deps.clock.sleep(WRONG_TOKEN_DELAY_MS)
      } finally {
        held--
      }
    }
    const seconds = Math.max(1, Math.ceil(limiter.retryAfter(address) / 1000))
    return plain(429, 'Too many requests', { 'retry-after': String(seconds) })
  }

  app.get('/:file', async (c) => {
    const token = FILE.exec(c.req.param('file'))?.[1]
    const org = token === undefined ? null : await deps.tokens().find(token)
    if (org === null) return notFound(c)
    let text: string
    try {
      text = await deps.services().ops.exportIcs(org, {
        when: 'all',
        endsFrom: deps.clock.now() - FEED_PAST_DAYS * DAY_MS,
        refreshSeconds: FEED_REFRESH_SECONDS,
      })
    } catch (err) {
      if (err instanceof VerseGuyError && err.kind === 'forbidden')
        return plain(403, 'Your rank in this org cannot see its operations (ops:view).')
      // The org is gone from this node (left, or its data removed): as if the token were unknown.
      if (err instanceof VerseGuyError && err.kind === 'not-found') return plain(404, 'Not found')
      deps.logError?.(err)
      return plain(500, 'The calendar could not be built; see the node log.')
    }
    const etag = `"${createHash('sha256')
      .update(text.replace(/^DTSTAMP:.*\r\n/gm, ''))
      .digest('base64url')
      .slice(0, 32)}"`
    const headers = {
      etag,
      // Revalidate every time: cheap with the ETag, and an app never shows a stale feed.
      'cache-control': 'private, no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    }
    if (matches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers })
    return new Response(text, {
      headers: {
        ...headers,
        'content-type': 'text/calendar; charset=utf-8',
        'content-disposition': 'inline; filename="operations.ics"',
      },
    })
  })
  app.all('*', (c) => notFound(c))
  return app
}

/** Whether an If-None-Match header names `etag` (a list, weak or strong, or `*`). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || tag === etag || tag === `W/${etag}`
  })
}

/** The client's address on a real server; requests answered in process share one. */
function remoteAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined
  return env?.incoming?.socket.remoteAddress ?? 'in-process'
}
