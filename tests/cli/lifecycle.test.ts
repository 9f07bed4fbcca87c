/**
 * The node's lifecycle through the real entry point (cli/bin.mjs in a child process):
 * init and status, a start that runs until SIGTERM, and the faults that stop a start.
 * One started node serves every check that needs a running one.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initDataDir } from '../../node/index.ts'
import { type RunningNode, runCli, startNode } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

let root: string
let passFile: string
const PASS = 'a long enough passphrase'

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-'))
  passFile = join(root, 'pass.txt')
  await writeFile(passFile, `${PASS}\n`)
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function snapshotFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const name of await readdir(dir, { recursive: true })) {
    const p = join(dir, name)
    try {
      out.set(name, (await readFile(p)).toString('base64'))
    } catch {
      // a folder
    }
  }
  return out
}

describe('verseguy init / status', () => {
  it('init creates an encrypted identity and an empty database; status reads it without a passphrase', async () => {
    const dir = join(root, 'init')
    const init = await runCli(['--data-dir', dir, 'init', '--passphrase-file', passFile, '--json'])
    expect(init.code, init.stderr).toBe(0)
    const created = JSON.parse(init.stdout)
    expect(created.memberKey).toMatch(/^[0-9a-f]{64}$/)
    expect(created.peerId).toMatch(/^12D3KooW/)
    const key = await readFile(join(dir, 'identity.key'), 'utf8')
    expect(key).not.toContain(PASS)

    const status = await runCli(['status', '--json'], { VERSEGUY_HOME: dir })
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({
      initialized: true,
      running: false,
      memberKey: created.memberKey,
      peerId: created.peerId,
    })
  })

  it('refuses to init over an existing node and changes nothing', async () => {
    const dir = join(root, 'existing')
    await initDataDir(dir, PASS, FAST_KDF)
    const before = await snapshotFiles(dir)
    const again = await runCli(['-d', dir, 'init', '--passphrase-file', passFile])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already holds a Verse Guy node')
    expect(await snapshotFiles(dir)).toEqual(before)
  })

  it('refuses a short passphrase, and asks for one when there is no terminal', async () => {
    const dir = join(root, 'weak')
    const [weak, none] = await Promise.all([
      runCli(['-d', dir, 'init'], { VERSEGUY_PASSPHRASE: 'short' }),
      runCli(['-d', dir, 'init']),
    ])
    expect(weak.code).toBe(1)
    expect(weak.stderr).toContain('at least 8 characters')
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('--passphrase-file')
    expect(existsSync(dir)).toBe(false)
  })

  it('reports an uninitialized directory and bad arguments clearly', async () => {
    const [status, bad, unknown] = await Promise.all([
      runCli(['-d', join(root, 'nothing'), 'status', '--json']),
      runCli(['-d', root, 'start', '--api-port', 'abc']),
      runCli(['frobnicate']),
    ])
    expect(JSON.parse(status.stdout)).toMatchObject({ initialized: false, running: false })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--api-port must be a whole number from 0 to 65535')
    expect(unknown.code).toBe(2)
  })
})

describe('verseguy start: one node, first started on a fresh directory with its API port taken', () => {
  const dir = () => join(root, 'fresh')
  let blocker: Server
  let taken: number
  let node: RunningNode | null = null

  beforeAll(async () => {
    blocker = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    taken = (blocker.address() as { port: number }).port
    node = await startNode(['-d', dir(), '--api-port', String(taken)], { VERSEGUY_PASSPHRASE: PASS })
  })
  afterAll(async () => {
    await node?.stop()
    blocker.close()
  })

  const running = (): RunningNode => {
    if (node === null) throw new Error('the node was stopped')
    return node
  }
  const runtime = async () => JSON.parse(await readFile(join(dir(), 'node.json'), 'utf8'))

  it('first start creates the data directory; status sees it running', async () => {
    expect(running().output()).toContain('Created a new node')
    const status = await runCli(['-d', dir(), 'status', '--json'])
    const s = JSON.parse(status.stdout)
    expect(s).toMatchObject({ running: true, initialized: true, documents: 0, chain: { seq: 0 } })
    expect(s.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('falls back to a free API port when the configured one is taken', async () => {
    const { apiUrl, token } = await runtime()
    expect(apiUrl).not.toContain(`:${taken}`)
    const ok = await fetch(`${apiUrl}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
  })

  it('the API answers only loopback Host names and requests with the node token', async () => {
    const { apiUrl, token } = await runtime()
    const ok = await fetch(`${apiUrl}/api/v1/status`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ok.status).toBe(200)
    const noToken = await fetch(`${apiUrl}/api/v1/status`)
    expect(noToken.status).toBe(401)
    const port = Number(new URL(apiUrl).port)
    // fetch drops a custom Host header; a raw request sends what a rebinding page would.
    const status = (host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/v1/status',
            headers: { host, authorization: `Bearer ${token}` },
          },
          (res) => {
            res.resume()
            resolve(res.statusCode)
          },
        )
          .on('error', reject)
          .end()
      })
    expect(await status(`evil.example:${port}`)).toBe(403)
    expect(await status(`localhost:${port}`)).toBe(200)
  })

  it('a second start on the same directory is refused while the node runs', async () => {
    running()
    const second = await runCli(['-d', dir(), 'start', '--api-port', '0'], { VERSEGUY_PASSPHRASE: PASS })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('already running')
  })

  it('runs until SIGTERM and stops cleanly: exit 0, node.json removed, status says stopped', async () => {
    const stopping = running()
    node = null
    expect(await stopping.stop('SIGTERM')).toBe(0)
    expect(stopping.output()).toContain('Stopped (SIGTERM)')
    expect(existsSync(join(dir(), 'node.json'))).toBe(false)
    const after = JSON.parse((await runCli(['-d', dir(), 'status', '--json'])).stdout)
    expect(after.running).toBe(false)
  })
})

describe('verseguy start: faults', () => {
  it('a wrong passphrase is a clear error and changes no file', async () => {
    const dir = join(root, 'wrong-pass')
    await initDataDir(dir, PASS, FAST_KDF)
    const before = await snapshotFiles(dir)
    const res = await runCli(['-d', dir, 'start'], { VERSEGUY_PASSPHRASE: 'not the passphrase' })
    expect(res.code).toBe(3) // not allowed (docs/cli.md, Exit codes)
    expect(res.stderr).toContain('Wrong passphrase')
    expect(res.stderr).not.toContain('    at ') // no stack trace for an expected error
    expect(await snapshotFiles(dir)).toEqual(before)
  })

  it('a damaged database stops start with an error naming it and the way out', async () => {
    const dir = join(root, 'damaged')
    await initDataDir(dir, PASS, FAST_KDF)
    const dbDir = join(dir, 'db')
    for (const name of await readdir(dbDir)) {
      if (name.startsWith('MANIFEST-')) await writeFile(join(dbDir, name), 'garbage, not a manifest')
    }
    const res = await runCli(['-d', dir, 'start', '--passphrase-file', passFile])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(dbDir)
    expect(res.stderr).toContain('backup')
  })
})
