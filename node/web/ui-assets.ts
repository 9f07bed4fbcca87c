/**
 * The web UI's files, served by the node itself (no CDN, nothing from outside: the page
 * works with no internet). `ui/src/main.ts` is bundled with esbuild the first time the page
 * is asked for and kept in memory; `/` answers the page, `/assets/app.js` and
 * `/assets/app.css` its script and style (no inline script: the CSP forbids it), gzipped
 * for browsers that accept it. Each answer carries an ETag; a repeat with If-None-Match is
 * a 304.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import type { Context } from 'hono'
import { Hono } from 'hono'

const UI = new URL('../../ui/src/', import.meta.url)

interface Asset {
  readonly body: string
  /** The body gzipped, sent to browsers that accept it (they all do). */
  readonly gzip: Uint8Array<ArrayBuffer>
  readonly type: string
  readonly etag: string
}

const asset = (body: string, type: string): Asset => ({
  body,
  gzip: new Uint8Array(gzipSync(body, { level: 9 })),
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
})

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verse Guy</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app"><p class="loading">Loading…</p></div>
</body>
</html>
`

/** Builds the assets once (esbuild loads only when the page is first asked for). */
async function buildAssets(): Promise<Map<string, Asset>> {
  const { build } = await import('esbuild')
  const out = await build({
    entryPoints: [new URL('main.ts', UI).pathname],
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const js = out.outputFiles[0]?.text ?? ''
  const css = await readFile(new URL('app.css', UI), 'utf8')
  return new Map([
    ['/', asset(PAGE, 'text/html; charset=utf-8')],
    ['/assets/app.js', asset(js, 'text/javascript; charset=utf-8')],
    ['/assets/app.css', asset(css, 'text/css; charset=utf-8')],
  ])
}

export function uiRoutes(): Hono {
  let assets: Promise<Map<string, Asset>> | null = null
  const serve = async (c: Context, path: string) => {
    assets ??= buildAssets().catch((err: unknown) => {
      assets = null // a failed build is tried again at the next request
      throw err
    })
    const a = (await assets).get(path)
    if (a === undefined) return c.notFound()
    c.header('etag', a.etag)
    c.header('cache-control', 'no-cache')
    if (c.req.header('if-none-match') === a.etag) return c.body(null, 304)
    c.header('content-type', a.type)
    c.header('vary', 'accept-encoding')
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('content-encoding', 'gzip')
      return c.body(a.gzip, 200)
    }
    return c.body(a.body, 200)
  }
  const app = new Hono()
  app.get('/', (c) => serve(c, '/'))
  app.get('/assets/:file', (c) => serve(c, `/assets/${c.req.param('file')}`))
  return app
}
