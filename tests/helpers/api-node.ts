/**
 * A real node on 127.0.0.1 (mDNS off) in a temp data directory, driven through its HTTP
 * API, and `waitFor`. Nodes and folders are removed after each test of the file that
 * calls `useApiNodes()`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { initDataDir, layout, readRuntimeFile, VerseGuyNode } from '../../node/index.ts'

export const API_NODE_PASS = 'api node test passphrase'
const PASS = API_NODE_PASS

export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>

export interface ApiNode {
  readonly node: VerseGuyNode
  readonly api: Api
  /** The node's data directory. */
  readonly dir: string
}

/** `net`: config.json's `net` settings over the defaults (e.g. `bootstrap`). */
export function useApiNodes(): (name: string, net?: Record<string, unknown>) => Promise<ApiNode> {
  const running: VerseGuyNode[] = []
  const dirs: string[] = []
  afterEach(async () => {
    for (const n of running.splice(0)) await n.stop()
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })
  return async (name, net = {}) => {
    const dir = await mkdtemp(join(tmpdir(), `vg-node-${name}-`))
    dirs.push(dir)
    await initDataDir(dir, PASS)
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        net: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, syncIntervalSeconds: 2, ...net },
        log: { level: 'silent' },
      }),
    )
    const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
    await node.start()
    running.push(node)
    const api: Api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      // Read each time: a node restarted (stop, start) has a new token.
      const token = (await readRuntimeFile(layout(dir).runtime))?.token ?? ''
      const res = await fetch(`${node.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const json = (await res.json()) as T & { error?: string }
      if (!res.ok) throw new Error(json.error)
      return json
    }
    return { node, api, dir }
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}
