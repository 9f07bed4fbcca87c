/**
 * How commands reach a node: the running one through its local API (token from
 * node.json), or, when none runs, its store opened in this process for the one command
 * (no network: nothing starts libp2p, mDNS or the DHT) and answered by the same API routes
 * in process. Either way the command speaks to the same API, so both paths behave the same.
 * On a stopped node a read needs no passphrase; the first change asks for it.
 */

import { cliHint } from '../node/cli-hint.ts'
import { isInitialized, layout, resolveDataDir } from '../node/data-dir.ts'
import type { RuntimeInfo } from '../node/index.ts'
import { isErrorKind } from '../node/light.ts'
import { CliError, NodeAnswerError } from './errors.ts'
import { type PassphraseSource, readPassphrase } from './passphrase.ts'

export interface ApiClient {
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>
  /** A GET whose answer is not JSON (an export): its body, streamed. */
  download(path: string): Promise<ReadableStream<Uint8Array>>
}

export async function withNode<T>(
  dataDirOption: string | undefined,
  passphrase: PassphraseSource,
  fn: (api: ApiClient) => Promise<T>,
): Promise<T> {
  const dataDir = resolveDataDir(dataDirOption)
  if (!isInitialized(dataDir))
    throw new CliError(`No node in ${dataDir}. Create one with: ${cliHint('init', dataDirOption)}`)
  const runtime = await runtimeOf(dataDir)
  if (runtime !== null && (await reachable(runtime.apiUrl, runtime.token))) return fn(httpClient(runtime))
  // None runs: only now load the store (database, CRDT), and no network.
  const { openLocalApi } = await import('../node/index.ts')
  const local = await openLocalApi({
    dataDir,
    passphrase: () => readPassphrase(passphrase, 'unlock'),
    logError: (err) => process.stderr.write(`${(err as Error).stack ?? String(err)}\n`),
  })
  try {
    return await fn(
      client(
        (method, path, init) => local.request(method, path, init.body),
        '',
        (err) =>
          err.code === 'node-not-running'
            ? new NodeAnswerError(
                {
                  code: err.code,
                  kind: err.kind,
                  message: `The node is not running, and this command needs its network: start it with ${cliHint('start', dataDirOption)}, then run the command again.`,
                },
                err.status,
              )
            : err,
      ),
    )
  } finally {
    await local.close()
  }
}

/**
 * Runs `fn` against the node running on the data directory, if one runs; null if none
 * does (no node is started for it).
 */
export async function withRunningNode<T>(
  dataDirOption: string | undefined,
  fn: (api: ApiClient) => Promise<T>,
): Promise<T | null> {
  const runtime = await runtimeOf(resolveDataDir(dataDirOption))
  if (runtime === null || !(await reachable(runtime.apiUrl, runtime.token))) return null
  return fn(httpClient(runtime))
}

/** The running node's node.json (its parser loads with it: no command definition needs it). */
export async function runtimeOf(dataDir: string): Promise<RuntimeInfo | null> {
  const { readRuntimeFile } = await import('../node/runtime-file.ts')
  return readRuntimeFile(layout(dataDir).runtime)
}

async function reachable(apiUrl: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/api/v1/status`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    })
    return res.ok
  } catch {
    return false
  }
}

/** One request's answer: over HTTP from the running node, or from the API in this process. */
type Send = (
  method: string,
  path: string,
  init: { headers: Record<string, string>; body?: unknown },
) => Promise<Response>

function client(send: Send, token: string, mapError: (err: NodeAnswerError) => Error = (e) => e): ApiClient {
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, {
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
      })
      const json: unknown = await res.json().catch(() => ({}))
      if (!res.ok) throw mapError(answerError(json, res.status))
      return json as T
    },
    async download(path: string): Promise<ReadableStream<Uint8Array>> {
      const res = await send('GET', path, { headers: { authorization: `Bearer ${token}` } })
      if (!res.ok) throw mapError(answerError(await res.json().catch(() => ({})), res.status))
      if (res.body === null) return new ReadableStream({ start: (c) => c.close() })
      return res.body
    },
  }
}

/** The running node's API over HTTP. */
function httpClient(runtime: RuntimeInfo): ApiClient {
  return client(
    (method, path, init) =>
      fetch(`${runtime.apiUrl}${path}`, {
        method,
        headers: init.headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(60_000),
      }),
    runtime.token,
  )
}

/**
 * The error a failed answer carries (`{ error: { code, kind, message, field? } }`, see
 * node/error-response.ts); an answer without one (a 500 `internal`, a proxy's page) is
 * `failed` with the status named.
 */
export function answerError(json: unknown, status: number): NodeAnswerError {
  const e = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined
  const b = typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {}
  const code = typeof b.code === 'string' ? b.code : 'internal'
  const message = typeof b.message === 'string' ? b.message : `the node answered ${status}`
  return new NodeAnswerError(
    {
      code,
      kind: isErrorKind(b.kind) ? b.kind : 'failed',
      message,
      ...(typeof b.field === 'string' ? { field: b.field } : {}),
      details: Object.fromEntries(
        Object.entries(b).filter(
          ([k, v]) =>
            !['code', 'kind', 'message', 'field'].includes(k) &&
            (typeof v === 'string' || typeof v === 'number'),
        ),
      ) as Record<string, string | number>,
    },
    status,
  )
}
