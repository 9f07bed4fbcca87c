/** The web UI's files as the node serves them: no inline script, gzip, ETag and 304, nothing else. */
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { uiRoutes } from '../../../node/web/ui-assets.ts'

describe('UI assets', () => {
  it('serve the page, its bundled script and its style; cached by ETag; gzipped when asked', async () => {
    const app = uiRoutes()
    const page = await app.request('/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('<script type="module" src="/assets/app.js"></script>')
    expect(html.match(/<script\b[^>]*>[^<]+<\/script>/)).toBeNull() // no inline script
    expect(html).not.toMatch(/https?:\/\//) // nothing from outside

    const js = await app.request('/assets/app.js')
    const body = await js.text()
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(body.length).toBeGreaterThan(10_000)
    expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/) // no outside origin (but SVG's namespace)
    const zipped = await app.request('/assets/app.js', { headers: { 'accept-encoding': 'gzip, br' } })
    expect(zipped.headers.get('content-encoding')).toBe('gzip')
    const raw = new Uint8Array(await zipped.arrayBuffer())
    expect(raw.length).toBeLessThan(body.length / 2)
    expect(gunzipSync(raw).toString()).toBe(body)

    const etag = js.headers.get('etag') as string
    expect(etag).toMatch(/^"[\w-]{27}"$/)
    const again = await app.request('/assets/app.js', { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect((await app.request('/assets/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect((await app.request('/assets/other.js')).status).toBe(404)
    expect((await app.request('/assets/../package.json')).status).toBe(404)
  })
})
