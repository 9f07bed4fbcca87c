/**
 * The local API on a real node started through the real entry point: a body past the
 * limit is answered 413 while it is still arriving (announced by Content-Length or
 * chunked without one), and the node's memory does not grow with it; every error is
 * answered in one shape, `{ error: { code, kind, message, field? } }`, with the status
 * its kind maps to.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_BODY_LIMIT } from '../../node/api.ts'
import { initDataDir } from '../../node/index.ts'
import { type RunningNode, startNode } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

const PASS = 'api limit passphrase'
const MB = 1024 * 1024
let root: string
let node: RunningNode
let api: { url: string; token: string }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-api-'))
  const passFile = join(root, 'pass')
  await writeFile(passFile, `${PASS}\n`)
  const dir = join(root, 'node')
  await initDataDir(dir, PASS, FAST_KDF)
  node = await startNode(['-d', dir, '--api-port', '0', '--passphrase-file', passFile])
  const runtime = JSON.parse(await readFile(join(dir, 'node.json'), 'utf8'))
  api = { url: runtime.apiUrl, token: runtime.token }
})
afterAll(async () => {
  await node?.stop()
  await rm(root, { recursive: true, force: true })
})

interface Sent {
  readonly status: number
  readonly body: unknown
  /** Body bytes written before the answer came. */
  readonly sent: number
}

/**
 * POSTs over a fresh TCP connection (no agent, no pooling): `body`, or up to `total`
 * bytes of filler in 64 KiB chunks with backpressure, chunked unless `contentLength` is
 * given; stops writing as soon as the node's answer has arrived.
 */
function post(
  path: string,
  total: number,
  opts: { contentLength?: number; body?: string } = {},
): Promise<Sent> {
  const url = new URL(path, api.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let sent = 0
    let answer = ''
    let done = false
    const finish = (err?: Error) => {
      if (done) return
      done = true
      socket.destroy()
      if (err !== undefined) return reject(err)
      const [head = '', text = ''] = answer.split('\r\n\r\n')
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(text), sent })
    }
    socket.on('data', (d) => {
      answer += d
      const split = answer.indexOf('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(answer.slice(0, split))?.[1]
      if (split >= 0 && length !== undefined && answer.length >= split + 4 + Number(length)) finish()
    })
    socket.on('error', (err) => finish(new Error(`no answer after ${sent} bytes: ${err.message}`)))
    socket.on('close', () => finish(new Error(`closed without an answer after ${sent} bytes`)))
    const framing =
      opts.contentLength === undefined
        ? 'transfer-encoding: chunked'
        : `content-length: ${opts.contentLength}`
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${api.token}\r\n` +
        `content-type: application/json\r\n${framing}\r\n\r\n`,
    )
    const frame = (data: Buffer) =>
      opts.contentLength === undefined
        ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])
        : data
    if (opts.body !== undefined) {
      sent = Buffer.byteLength(opts.body)
      socket.write(frame(Buffer.from(opts.body)))
      socket.write('0\r\n\r\n')
      return
    }
    const chunk = frame(Buffer.alloc(64 * 1024, 'a'))
    const pump = () => {
      while (!done && sent < total) {
        sent += 64 * 1024
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  })
}

async function rss(): Promise<number> {
  const res = await fetch(`${api.url}/api/v1/status`, { headers: { authorization: `Bearer ${api.token}` } })
  return ((await res.json()) as { rssBytes: number }).rssBytes
}

const TOO_LARGE = {
  error: {
    code: 'payload-too-large',
    kind: 'invalid',
    message: `body: larger than ${API_BODY_LIMIT} bytes; nothing was changed`,
    field: 'body',
  },
}

describe('API body limit', () => {
  it('a chunked body far over the limit is answered 413 while it arrives, and memory does not grow with it', async () => {
    // One answer first, so the baseline includes what any first request warms up.
    expect((await post('/api/v1/orgs', 4 * MB)).status).toBe(413)
    const before = await rss()
    for (let i = 0; i < 3; i++) {
      const res = await post('/api/v1/orgs', 256 * MB)
      expect(res.status).toBe(413)
      expect(res.body).toEqual(TOO_LARGE)
      // Answered long before the body ended: the node stopped reading at the limit.
      expect(res.sent).toBeLessThan(64 * MB)
    }
    const grown = (await rss()) - before
    expect(grown).toBeLessThan(64 * MB)
    // Nothing was created, and the node still answers.
    const orgs = await fetch(`${api.url}/api/v1/orgs`, { headers: { authorization: `Bearer ${api.token}` } })
    expect(await orgs.json()).toEqual([])
  })

  it('a Content-Length over the limit is answered 413 before any body is read', async () => {
    const res = await post('/api/v1/orgs', 256 * MB, { contentLength: 256 * MB })
    expect(res.status).toBe(413)
    expect(res.body).toEqual(TOO_LARGE)
    expect(res.sent).toBeLessThan(64 * MB)
  })

  it('a body just over the limit is refused, and one within it (chunked) still works', async () => {
    const over = await post('/api/v1/orgs', API_BODY_LIMIT + 64 * 1024)
    expect(over.status).toBe(413)
    const ok = await post('/api/v1/orgs', 0, {
      body: JSON.stringify({ name: 'Limit Org', tag: 'LIM', handle: 'Lead_1' }),
    })
    expect(ok.status, JSON.stringify(ok.body)).toBe(201)
    expect(ok.body).toMatchObject({ name: 'Limit Org' })
  })

  it('without the token, the body is not read: 401 whatever its size', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const url = new URL('/api/v1/orgs', api.url)
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST' }, (r) => {
        r.resume()
        req.destroy()
        resolve(r.statusCode ?? 0)
      })
      req.on('error', reject)
      req.write(Buffer.alloc(64 * 1024, 'a'))
    })
    expect(res).toBe(401)
  })
})

async function call(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  })
  return { status: res.status, body: await res.json() }
}

describe('API error model', () => {
  it('bad input is 400 invalid-input naming the field, and creates nothing', async () => {
    const before = (await call('GET', '/api/v1/orgs')).body
    const res = await call('POST', '/api/v1/orgs', {
      body: JSON.stringify({ name: 'Bad Tag Org', tag: 'x', handle: 'Lead_1' }),
    })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: {
        code: 'invalid-input',
        kind: 'invalid',
        field: 'tag',
        message: expect.stringMatching(/^tag: /),
      },
    })
    expect((await call('GET', '/api/v1/orgs')).body).toEqual(before)
  })

  it('a body that is not JSON is 400 invalid-input on the field body', async () => {
    const res = await call('POST', '/api/v1/orgs', { body: '{not json' })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: {
        code: 'invalid-input',
        kind: 'invalid',
        field: 'body',
        message: 'body: not JSON. Nothing was changed.',
      },
    })
  })

  it('an unknown org is 404 org-not-found; a malformed org id is 400 naming it', async () => {
    const unknown = 'f'.repeat(32)
    const res = await call('GET', `/api/v1/orgs/${unknown}`)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({
      error: { code: 'org-not-found', kind: 'not-found', message: `No org ${unknown} on this node.` },
    })
    const bad = await call('GET', '/api/v1/orgs/nosuchorg')
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { code: 'invalid-input', kind: 'invalid', field: 'org' } })
  })

  it('a feature the license does not allow is 403 feature-locked', async () => {
    const held = (await call('GET', '/api/v1/orgs')).body as unknown[]
    if (held.length === 0) {
      const first = await call('POST', '/api/v1/orgs', {
        body: JSON.stringify({ name: 'First Org', tag: 'FST', handle: 'Lead_1' }),
      })
      expect(first.status, JSON.stringify(first.body)).toBe(201)
    }
    const res = await call('POST', '/api/v1/orgs', {
      body: JSON.stringify({ name: 'Second Org', tag: 'SEC', handle: 'Lead_1' }),
    })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({
      error: {
        code: 'feature-locked',
        kind: 'forbidden',
        feature: 'multiple-orgs',
        message: expect.stringContaining('multiple-orgs is not available'),
      },
    })
  })

  it('the API answers its own refusals in the same shape: no token 401, no route 404, wrong host 403', async () => {
    const noToken = await call('GET', '/api/v1/orgs', { headers: { authorization: 'Bearer wrong' } })
    expect(noToken).toEqual({
      status: 401,
      body: {
        error: {
          code: 'unauthenticated',
          kind: 'unauthenticated',
          message: "unauthorized: use the token in the data directory's node.json",
        },
      },
    })
    const noRoute = await call('GET', '/api/v1/nothing-here')
    expect(noRoute).toEqual({
      status: 404,
      body: { error: { code: 'no-route', kind: 'not-found', message: 'no route GET /api/v1/nothing-here' } },
    })
    const host = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const url = new URL('/api/v1/status', api.url)
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'evil.example' } },
        (r) => {
          let text = ''
          r.on('data', (d) => {
            text += d
          })
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }))
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(host).toEqual({
      status: 403,
      body: { error: { code: 'forbidden-host', kind: 'forbidden', message: 'forbidden host' } },
    })
  })
})
