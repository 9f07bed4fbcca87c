/**
 * The node's local HTTP API (Hono). Loopback only by default; every request must name
 * a loopback Host (DNS-rebinding guard). `/api/*` takes the CLI's bearer token from
 * node.json, or a browser session opened at `/ui/login` with the node passphrase (its
 * writes also carry the session's CSRF token: node/web/web-access.ts). Every answer
 * carries security headers: a Content-Security-Policy allowing only the node's own
 * scripts, styles and connections, no framing, no sniffing, no referrer.
 * `/cal/<token>.ics`, the calendar feed, is the one exception to both: its token is its
 * credential (calendar-feed.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { type Clock, systemClock } from '../crdt/index.ts'
import { InvalidInputError } from '../services/org/index.ts'
import { calendarFeed } from './calendar-feed.ts'
import { apiError, type ErrorAnswer, errorResponse } from './error-response.ts'
import { LOOPBACK_NAMES } from './http-address.ts'
import type { RouteContext } from './routes/route-context.ts'
import { API_BASE, v1Routes } from './routes/v1.ts'
import { uiRoutes } from './web/ui-assets.ts'
import type { WebAccess } from './web/web-access.ts'

export interface ApiDeps extends RouteContext {
  readonly token: string
  /** The port actually bound, for the Host check. */
  readonly port: () => number
  /** Hears of every error that is not a `VerseGuyError` (answered 500 `internal`). */
  readonly logError?: (err: unknown) => void
  /** Host names besides the loopback ones the node answers to (the address it is bound to). */
  readonly hosts?: readonly string[]
  /** The browser's way in (login, sessions, CSRF); without it only the bearer token opens /api. */
  readonly web?: WebAccess
  /** What the calendar feed's wrong-token budget counts time by; default `systemClock`. */
  readonly clock?: Clock
}

/**
 * The largest request body the API reads (a license is a few KB). The limit holds while
 * reading: a body past it, announced or chunked, is answered 413 without being buffered.
 */
export const API_BODY_LIMIT = 2 * 1024 * 1024

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono()
  const hosts = new Set([...LOOPBACK_NAMES, ...(deps.hosts ?? [])])

  const answer = (c: Context, a: ErrorAnswer) => c.json(a.body, a.status)
  app.onError((err, c) => {
    // Hono's own 400 (a body that is not JSON) is an invalid input like any other.
    const e =
      err instanceof HTTPException && err.status === 400 ? new InvalidInputError('body', 'not JSON') : err
    return answer(c, errorResponse(e, deps.logError))
  })
  app.notFound((c) => answer(c, apiError('no-route', 'not-found', `no route ${c.req.method} ${c.req.path}`)))

  // The calendar feed: its own credential (the token in the URL), any Host (calendar apps
  // on the LAN name this machine's address); see calendar-feed.ts.
  app.route(
    '/cal',
    calendarFeed({
      tokens: () => deps.calendar().tokens,
      services: deps.services,
      clock: deps.clock ?? systemClock,
      ...(deps.logError === undefined ? {} : { logError: deps.logError }),
    }),
  )

  app.use('*', async (c, next) => {
    if (c.req.path.startsWith('/cal/')) return next()
    const host = c.req.header('host') ?? ''
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host)
    if (match === null || !hosts.has(match[1] ?? '') || Number(match[2]) !== deps.port()) {
      return answer(c, apiError('forbidden-host', 'forbidden', 'forbidden host'))
    }
    await next()
  })

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
    }),
  )

  const web = deps.web
  if (web !== undefined) {
    app.route('/ui', web.routes())
    app.route('/', uiRoutes())
  }

  app.use('/api/*', async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '')
    const expected = Buffer.from(deps.token)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      const session = header === '' ? (web?.sessionOf(c) ?? null) : null
      if (session !== null && web !== undefined) {
        const refused = web.writeRefusal(c, session)
        if (refused !== null) return answer(c, refused)
        return next()
      }
      return answer(
        c,
        apiError(
          'unauthenticated',
          'unauthenticated',
          "unauthorized: use the token in the data directory's node.json",
        ),
      )
    }
    await next()
  })

  // After the token check: a stranger's body is never read at all.
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: API_BODY_LIMIT,
      onError: (c) =>
        answer(
          c,
          apiError(
            'payload-too-large',
            'invalid',
            `body: larger than ${API_BODY_LIMIT} bytes; nothing was changed`,
            {
              field: 'body',
              status: 413,
            },
          ),
        ),
    }),
  )

  app.route(API_BASE, v1Routes(deps))

  return app
}
