/**
 * How a browser gets into the node's API: `POST /ui/login` with the node passphrase opens a
 * session (an HttpOnly, SameSite=Strict cookie, and a CSRF token the page keeps in memory),
 * `POST /ui/logout` closes it, `GET /ui/session` says whether one is open, `POST
 * /ui/passphrase` changes the node passphrase (the current one checked as at login). A request to
 * `/api/*` then passes with the CLI's bearer token or with a live session; a session's
 * write (anything but GET/HEAD) must also carry its CSRF token in `x-csrf-token` and come
 * from the node's own origin. Wrong passphrases are rate-limited (login-guard.ts) and a
 * lockout is written to the node's local chain.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Clock } from '../../crdt/index.ts'
import { apiError, type ErrorAnswer } from '../error-response.ts'
import { LoginGuard } from './login-guard.ts'
import { SESSION_TTL_MS, type Session, Sessions } from './sessions.ts'

export const SESSION_COOKIE = 'vg_session'
export const CSRF_HEADER = 'x-csrf-token'
/** A passphrase is at most this long (the key file's KDF would take anything). */
const MAX_LOGIN_BODY = 4096

export interface WebDeps {
  readonly clock: Clock
  /** Whether `passphrase` unseals this node's member key. */
  readonly checkPassphrase: (passphrase: string) => Promise<boolean>
  /**
   * Re-seals the member key under `next` if `current` is the passphrase (false if it is
   * not; a passphrase too weak is an `InvalidInputError`-like error naming `next`).
   */
  readonly changePassphrase: (current: string, next: string) => Promise<boolean>
  /** Writes a security event to the node's local chain (never sent to anyone). */
  readonly securityEvent: (action: string, details: Record<string, number>) => Promise<void>
}

const SAFE_METHODS = new Set(['GET', 'HEAD'])
const answer = (c: Context, a: ErrorAnswer) => c.json(a.body, a.status)

export class WebAccess {
  readonly sessions: Sessions
  readonly guard: LoginGuard
  readonly #deps: WebDeps
  #loginRunning = false

  constructor(deps: WebDeps) {
    this.#deps = deps
    this.sessions = new Sessions(deps.clock)
    this.guard = new LoginGuard(deps.clock)
  }

  /** The session a request's cookie names, or null. */
  sessionOf(c: Context): Session | null {
    return this.sessions.find(getCookie(c, SESSION_COOKIE))
  }

  /**
   * Whether a request that came with `session` (not the bearer token) may go on: a write
   * needs the session's CSRF token and the node's own origin. Null when it may, else the
   * refusal.
   */
  writeRefusal(c: Context, session: Session): ErrorAnswer | null {
    if (SAFE_METHODS.has(c.req.method)) return null
    if (!this.sessions.csrfMatches(session, c.req.header(CSRF_HEADER)))
      return apiError('csrf', 'forbidden', `a write from the web UI must carry its ${CSRF_HEADER} header`)
    const origin = c.req.header('origin')
    if (origin !== undefined && origin !== `http://${c.req.header('host')}`)
      return apiError('csrf', 'forbidden', 'a write from another origin is refused')
    const site = c.req.header('sec-fetch-site')
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return apiError('csrf', 'forbidden', 'a write from another site is refused')
    return null
  }

  /** A 429 while locked out (or while another try runs), else null: the try may go on. */
  #tryNow(c: Context): Response | null {
    const may = this.guard.mayTry()
    if (may.ok && !this.#loginRunning) return null
    const wait = may.ok ? 1000 : may.retryAfterMs
    c.header('retry-after', String(Math.ceil(wait / 1000)))
    return answer(
      c,
      apiError(
        'login-locked',
        'too-many',
        `too many wrong passphrases: try again in ${Math.ceil(wait / 1000)} s`,
      ),
    )
  }

  /** A wrong passphrase: counted, a lockout it starts written to the local chain, 401. */
  async #wrong(c: Context): Promise<Response> {
    const wait = this.guard.failed()
    if (wait > 0)
      await this.#deps.securityEvent('security.login-lockout', {
        failures: this.guard.failures,
        lockedForMs: wait,
      })
    return answer(c, apiError('wrong-passphrase', 'unauthenticated', 'wrong passphrase'))
  }

  /** `/ui/login`, `/ui/logout`, `/ui/session`, `/ui/passphrase`. */
  routes(): Hono {
    const app = new Hono()
    // Passphrases are short: a body past a few KB is refused while it is read.
    const small = bodyLimit({
      maxSize: MAX_LOGIN_BODY,
      onError: (c) =>
        answer(
          c,
          apiError('payload-too-large', 'invalid', 'body: too large', { field: 'body', status: 413 }),
        ),
    })
    app.use('/login', small)
    app.use('/passphrase', small)
    app.post('/login', async (c) => {
      const passphrase = await c.req
        .json()
        .then((b: unknown) => (b as { passphrase?: unknown } | null)?.passphrase)
        .catch(() => undefined)
      if (typeof passphrase !== 'string' || passphrase === '')
        return answer(
          c,
          apiError('invalid-input', 'invalid', 'passphrase: required', { field: 'passphrase' }),
        )
      const may = this.guard.mayTry()
      if (!may.ok || this.#loginRunning) {
        const wait = may.ok ? 1000 : may.retryAfterMs
        c.header('retry-after', String(Math.ceil(wait / 1000)))
        return answer(
          c,
          apiError(
            'login-locked',
            'too-many',
            `too many wrong passphrases: try again in ${Math.ceil(wait / 1000)} s`,
          ),
        )
      }
      this.#loginRunning = true
      let right: boolean
      try {
        right = await this.#deps.checkPassphrase(passphrase)
      } finally {
        this.#loginRunning = false
      }
      if (!right) return this.#wrong(c)
      this.guard.succeeded()
      const s = this.sessions.open()
      setCookie(c, SESSION_COOKIE, s.id, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      })
      return c.json({ csrf: s.csrf, expiresAt: s.expiresAt }, 200)
    })
    app.post('/logout', (c) => {
      const s = this.sessionOf(c)
      if (s !== null) {
        const refused = this.writeRefusal(c, s)
        if (refused !== null) return answer(c, refused)
        this.sessions.close(s.id)
      }
      deleteCookie(c, SESSION_COOKIE, { path: '/' })
      return c.body(null, 204)
    })
    // A session's change of the node passphrase: the current one is checked (and rate-limited) as at login.
    app.post('/passphrase', async (c) => {
      const s = this.sessionOf(c)
      if (s === null) return answer(c, apiError('no-session', 'unauthenticated', 'not logged in'))
      const refused = this.writeRefusal(c, s)
      if (refused !== null) return answer(c, refused)
      const body = (await c.req.json().catch(() => null)) as { current?: unknown; next?: unknown } | null
      for (const field of ['current', 'next'] as const)
        if (typeof body?.[field] !== 'string' || body[field] === '')
          return answer(c, apiError('invalid-input', 'invalid', `${field}: required`, { field }))
      const locked = this.#tryNow(c)
      if (locked !== null) return locked
      this.#loginRunning = true
      let right: boolean
      try {
        right = await this.#deps.changePassphrase(body?.current as string, body?.next as string)
      } finally {
        this.#loginRunning = false
      }
      if (!right) return this.#wrong(c)
      this.guard.succeeded()
      await this.#deps.securityEvent('security.passphrase-change', {})
      return c.body(null, 204)
    })
    app.get('/session', (c) => {
      const s = this.sessionOf(c)
      if (s === null) return answer(c, apiError('no-session', 'unauthenticated', 'not logged in'))
      return c.json({ csrf: s.csrf, expiresAt: s.expiresAt }, 200)
    })
    return app
  }
}
