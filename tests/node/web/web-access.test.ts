/**
 * A browser's way into a real running node, over HTTP: login with the node passphrase
 * (HttpOnly, SameSite=Strict cookie; a CSRF token for writes), reads and writes with the
 * session, CSRF and foreign-origin writes refused, logout, the rate limit with its
 * lockout written to the local chain, and the security headers on every answer.
 */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import type { Entry } from '../../../crdt/index.ts'
import { layout } from '../../../node/index.ts'
import { CSRF_HEADER, SESSION_COOKIE } from '../../../node/web/web-access.ts'
import { MemberIdentity, WrongPassphraseError } from '../../../services/identity/index.ts'
import { TEST_NODE_PASS, type TestNode, useNodes } from '../../helpers/start-nodes.ts'

const nodes = useNodes()

/** A request to the node as a browser on this machine sends it. */
function browser(t: TestNode) {
  const base = t.node.apiUrl
  const origin = base
  return async (
    method: string,
    path: string,
    init: { body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.cookie === undefined ? {} : { cookie: init.cookie }),
        ...(init.csrf === undefined ? {} : { [CSRF_HEADER]: init.csrf }),
        ...(method === 'GET' ? {} : { origin }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    })
    const text = await res.text()
    return {
      res,
      status: res.status,
      json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
    }
  }
}

async function login(t: TestNode, passphrase = TEST_NODE_PASS) {
  const r = await browser(t)('POST', '/ui/login', { body: { passphrase } })
  const setCookie = r.res.headers.get('set-cookie') ?? ''
  const cookie = setCookie.split(';')[0] as string
  return { ...r, setCookie, cookie, csrf: (r.json as { csrf?: string } | null)?.csrf }
}

/** The newest entry of the node's local chain (never sent to anyone), or null. */
async function localHead(t: TestNode): Promise<Entry | null> {
  return t.node.documents.chains.head(null, t.node.services.org.me)
}

describe('web access', () => {
  it('logs in with the node passphrase; the session reads, and writes with its CSRF token only', async () => {
    const t = await nodes.start('web')
    const call = browser(t)
    expect((await call('GET', '/api/v1/status')).status).toBe(401)

    const { status, setCookie, cookie, csrf } = await login(t)
    expect(status).toBe(200)
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}; `))
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Strict/)
    expect(setCookie).toMatch(/Max-Age=43200/)
    expect(csrf).toMatch(/^[\w-]{43}$/)

    expect((await call('GET', '/api/v1/status', { cookie })).status).toBe(200)
    expect((await call('GET', '/ui/session', { cookie })).json).toMatchObject({ csrf })

    const org = { name: 'Web Org', tag: 'WEB', handle: 'Lead_W' }
    const noCsrf = await call('POST', '/api/v1/orgs', { cookie, body: org })
    expect(noCsrf.status).toBe(403)
    expect(noCsrf.json).toMatchObject({ error: { code: 'csrf' } })
    const wrongCsrf = await call('POST', '/api/v1/orgs', { cookie, csrf: `${csrf?.slice(1)}x`, body: org })
    expect(wrongCsrf.status).toBe(403)
    const foreign = await call('POST', '/api/v1/orgs', {
      cookie,
      csrf,
      body: org,
      headers: { origin: 'http://evil.example' },
    })
    expect(foreign.status).toBe(403)
    const crossSite = await call('POST', '/api/v1/orgs', {
      cookie,
      csrf,
      body: org,
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
    // None of the refused writes changed anything.
    expect(await t.node.services.org.listOrgs()).toEqual([])

    const made = await call('POST', '/api/v1/orgs', { cookie, csrf, body: org })
    expect(made.status, JSON.stringify(made.json)).toBe(201)
    expect((await t.node.services.org.listOrgs()).map((o) => o.name)).toEqual(['Web Org'])

    // A wrong bearer token is not rescued by a cookie.
    const bearer = await call('GET', '/api/v1/status', { cookie, headers: { authorization: 'Bearer nope' } })
    expect(bearer.status).toBe(401)

    const out = await call('POST', '/ui/logout', { cookie, csrf })
    expect(out.status).toBe(204)
    expect(out.res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;`))
    expect((await call('GET', '/api/v1/status', { cookie })).status).toBe(401)
    expect((await call('GET', '/ui/session', { cookie })).status).toBe(401)
  })

  it('refuses wrong passphrases, then locks out with a growing wait written to the local chain', async () => {
    const t = await nodes.start('web-lockout')
    const before = (await localHead(t))?.seq ?? 0
    const tries: number[] = []
    for (let i = 0; i < 3; i++) tries.push((await login(t, `wrong ${i}`)).status)
    expect(tries).toEqual([401, 401, 401])
    const locked = await login(t) // even the right one waits now
    expect(locked.status).toBe(429)
    expect(locked.json).toMatchObject({ error: { code: 'login-locked' } })
    expect(Number(locked.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(locked.setCookie).toBe('')
    const event = await localHead(t)
    expect(event?.seq).toBe(before + 1)
    expect(event).toMatchObject({
      action: 'security.login-lockout',
      details: { failures: 3, lockedForMs: 2000 },
    })

    // After the wait, the right passphrase opens a session and the count starts over.
    await new Promise((r) => setTimeout(r, 2_100))
    expect((await login(t)).status).toBe(200)
    expect((await login(t, 'wrong again')).status).toBe(401)
  })

  it('a session changes the node passphrase: the current one checked, the key sealed anew', async () => {
    const t = await nodes.start('web-passphrase')
    const call = browser(t)
    const { cookie, csrf } = await login(t)
    const change = (body: unknown, extra: { csrf?: string } = { csrf }) =>
      call('POST', '/ui/passphrase', {
        cookie,
        body,
        ...(extra.csrf === undefined ? {} : { csrf: extra.csrf }),
      })
    expect((await change({ current: TEST_NODE_PASS, next: 'a new passphrase' }, {})).status).toBe(403) // no CSRF
    expect((await change({ current: 'wrong one', next: 'a new passphrase' })).status).toBe(401)
    expect((await change({ current: TEST_NODE_PASS, next: 'short' })).json).toMatchObject({
      error: { code: 'weak-passphrase' },
    })
    expect((await change({ current: TEST_NODE_PASS })).json).toMatchObject({ error: { field: 'next' } })
    // Nothing changed so far: the old passphrase still unlocks the key.
    await MemberIdentity.unlock(layout(t.dir).identity, TEST_NODE_PASS)

    expect((await change({ current: TEST_NODE_PASS, next: 'a new passphrase' })).status).toBe(204)
    expect((await localHead(t))?.action).toBe('security.passphrase-change')
    await expect(MemberIdentity.unlock(layout(t.dir).identity, TEST_NODE_PASS)).rejects.toThrow(
      WrongPassphraseError,
    )
    const id = await MemberIdentity.unlock(layout(t.dir).identity, 'a new passphrase')
    expect(id.memberKey).toBe(t.node.services.org.me)
    expect((await login(t, TEST_NODE_PASS)).status).toBe(401)
    expect((await login(t, 'a new passphrase')).status).toBe(200)
  })

  it('bad login bodies are clear errors; every answer carries the security headers', async () => {
    const t = await nodes.start('web-headers')
    const call = browser(t)
    for (const body of [{}, { passphrase: '' }, { passphrase: 42 }])
      expect((await call('POST', '/ui/login', { body })).json).toMatchObject({
        error: { code: 'invalid-input', field: 'passphrase' },
      })
    const big = await call('POST', '/ui/login', { body: { passphrase: 'x'.repeat(10_000) } })
    expect(big.status).toBe(413)
    for (const path of ['/ui/session', '/api/v1/status', '/nowhere']) {
      const { res } = await call('GET', path)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    }
    // The DNS-rebinding guard holds for the web routes too.
    // (fetch sets Host itself: a raw request names another.)
    const rebound = await new Promise<{ status: number; cookie: unknown }>((resolve, reject) => {
      const url = new URL('/ui/login', t.node.apiUrl)
      const body = JSON.stringify({ passphrase: TEST_NODE_PASS })
      const req = request(
        url,
        { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } },
        (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie'] })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    expect(rebound).toEqual({ status: 403, cookie: undefined })
  })
})
