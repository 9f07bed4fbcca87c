/**
 * The API describes itself: every route the node answers under /api/v1 is in the OpenAPI
 * document it serves, with the same method and path, and the document names no route the
 * node does not answer.
 */
import { describe, expect, it } from 'vitest'
import { createApi } from '../../../node/api.ts'
import { API_BASE } from '../../../node/routes/v1.ts'

const TOKEN = 't'.repeat(43)
const unused = () => {
  throw new Error('not called while listing routes')
}

function app() {
  return createApi({
    token: TOKEN,
    port: () => 80,
    services: unused,
    mesh: unused,
    status: unused,
    reloadTrust: unused,
    calendar: unused,
  })
}

describe('/api/v1/openapi.json', () => {
  it('lists exactly the routes the node answers', async () => {
    const api = app()
    const res = await api.request(`${API_BASE}/openapi.json`, {
      headers: { host: '127.0.0.1:80', authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toBe('3.1.0')
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort()
    const answered = api.routes
      .filter((r) => r.path.startsWith(`${API_BASE}/`) && r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path.slice(API_BASE.length).replace(/:(\w+)/g, '{$1}')}`)
      .filter((r) => r !== 'GET /openapi.json')
    // (Hono lists a route once per handler: its validators, then the route's own.)
    expect([...new Set(answered)].sort()).toEqual(documented)
    expect(documented.length).toBeGreaterThan(10)
  })

  it('documents the one error body on every route', async () => {
    const res = await app().request(`${API_BASE}/openapi.json`, {
      headers: { host: '127.0.0.1:80', authorization: `Bearer ${TOKEN}` },
    })
    const doc = (await res.json()) as { paths: Record<string, Record<string, { responses: object }>> }
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['400', '403', '404']),
        )
  })
})
