/**
 * Real Verse Guy nodes for tests, in process, on 127.0.0.1 (mDNS off), each in a temp
 * data directory, driven through their HTTP API. `useNodes()` at module level stops the
 * nodes and removes their folders after each test of the file.
 *
 * @example
 * const nodes = useNodes()
 * it('…', async () => {
 *   const [a, b] = await nodes.startNodes(2, { net: { syncIntervalSeconds: 2 } })
 *   await a.api('POST', '/api/v1/orgs', { name: 'Org', tag: 'ORG', handle: 'Lead_A' })
 * })
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { answerError } from '../../cli/node-client.ts'
import { initDataDir, layout, readRuntimeFile, VerseGuyNode } from '../../node/index.ts'

export const TEST_NODE_PASS = 'test node passphrase'

/**
 * The cheapest scrypt a key file may name (the reader refuses less). Tests that do not
 * test the passphrase's cost init with it: at the default (N = 2^17, sealed at init and
 * opened at every start and CLI command) each costs 128 MiB and a loaded two-core
 * machine's seconds. Only code can ask for it (`initDataDir`'s argument): `verseguy
 * init` and config.json always use the default.
 */
export const FAST_KDF = { N: 2 ** 12, r: 8, p: 1 } as const

/** Top-level config.json sections, each laid over the test defaults below. */
export interface TestNodeConfig {
  readonly net?: Record<string, unknown>
  readonly storage?: Record<string, unknown>
  readonly license?: Record<string, unknown>
  readonly api?: Record<string, unknown>
  readonly log?: Record<string, unknown>
}

/**
 * Test defaults: loopback only, no mDNS, a periodic pull every 2 s, no fsync (no test
 * here cuts the power; tests/crdt/store/durability.test.ts kills with the default on),
 * no logs.
 */
function configFor(config: TestNodeConfig): Record<string, unknown> {
  return {
    ...config,
    net: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, syncIntervalSeconds: 2, ...config.net },
    storage: { sync: false, ...config.storage },
    log: { level: 'silent', ...config.log },
  }
}

/** Inits a node's data directory at `dir` with `FAST_KDF` and writes its config.json. */
export async function initTestNodeDir(
  dir: string,
  config: TestNodeConfig = {},
  passphrase = TEST_NODE_PASS,
): Promise<string> {
  await initDataDir(dir, passphrase, FAST_KDF)
  await writeFile(layout(dir).config, JSON.stringify(configFor(config)))
  return dir
}

export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>

export interface TestNode {
  readonly node: VerseGuyNode
  /** Calls the node's HTTP API with its token; a non-2xx answer throws its `error`. */
  readonly api: Api
  /** The node's data directory. */
  readonly dir: string
}

/** Starts one node in a new temp folder (`name` shows in the folder's name). Stopping and removing it is the caller's. */
export async function startTestNode(name: string, config: TestNodeConfig = {}): Promise<TestNode> {
  const dir = await initTestNodeDir(await mkdtemp(join(tmpdir(), `vg-node-${name}-`)), config)
  try {
    return await startTestNodeIn(dir)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

/** Starts a node on a test node's data directory (again, after a stop). Stopping it is the caller's. */
export async function startTestNodeIn(dir: string): Promise<TestNode> {
  const node = new VerseGuyNode({ dataDir: dir, passphrase: TEST_NODE_PASS, apiPort: 0, logLevel: 'silent' })
  await node.start()
  const api: Api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    // Read each time: a node restarted (stop, start) has a new token.
    const token = (await readRuntimeFile(layout(dir).runtime))?.token ?? ''
    const res = await fetch(`${node.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const json: unknown = await res.json()
    // The node's error, with its code, kind and field, as the CLI reads it.
    if (!res.ok) throw answerError(json, res.status)
    return json as T
  }
  return { node, api, dir }
}

export interface Nodes {
  /** Starts a node named `name` with `config` over the test defaults. */
  start(name: string, config?: TestNodeConfig): Promise<TestNode>
  /** Starts `n` nodes (named n0, n1, …) with the same config, side by side. */
  startNodes(n: number, config?: TestNodeConfig): Promise<TestNode[]>
}

/**
 * Nodes for one test file, stopped and removed after each test (`'file'`: after the
 * file's last test, for tests that share one org). Call at module level.
 */
export function useNodes(scope: 'test' | 'file' = 'test'): Nodes {
  const started: TestNode[] = []
  ;(scope === 'file' ? afterAll : afterEach)(async () => {
    for (const t of started.splice(0)) {
      await t.node.stop().catch(() => {})
      await rm(t.dir, { recursive: true, force: true })
    }
  }, 60_000)
  const start = async (name: string, config?: TestNodeConfig) => {
    const t = await startTestNode(name, config)
    started.push(t)
    return t
  }
  return {
    start,
    startNodes: (n, config) => Promise.all(Array.from({ length: n }, (_, i) => start(`n${i}`, config))),
  }
}
