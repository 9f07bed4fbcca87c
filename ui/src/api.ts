/// <reference lib="dom" />
/**
 * The page's one way to the node: the local API under /api/v1 with the session cookie
 * (sent by the browser) and, on writes, the session's CSRF token. An answer that is an
 * error becomes an `ApiError` carrying the node's code, message and field.
 */

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined
  readonly retryAfter: number | undefined

  constructor(status: number, body: unknown, retryAfter: number | undefined) {
    const e = (body as { error?: { code?: string; message?: string; field?: string } } | null)?.error
    super(e?.message ?? `the node answered ${status}`)
    this.status = status
    this.code = e?.code ?? 'failed'
    this.field = e?.field
    this.retryAfter = retryAfter
  }
}

let csrf: string | null = null

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  const json: unknown = text === '' ? null : JSON.parse(text)
  if (!res.ok) {
    const after = res.headers.get('retry-after')
    throw new ApiError(res.status, json, after === null ? undefined : Number(after))
  }
  return json as T
}

/** The API under /api/v1. */
export const api = {
  get: <T>(path: string) => send<T>('GET', `/api/v1${path}`),
  post: <T>(path: string, body?: unknown) => send<T>('POST', `/api/v1${path}`, body ?? {}),
  put: <T>(path: string, body: unknown) => send<T>('PUT', `/api/v1${path}`, body),
  patch: <T>(path: string, body: unknown) => send<T>('PATCH', `/api/v1${path}`, body),
  delete: <T>(path: string) => send<T>('DELETE', `/api/v1${path}`),
}

/** Whether a session is open (and its CSRF token, kept in memory only). */
export async function resumeSession(): Promise<boolean> {
  try {
    csrf = (await send<{ csrf: string }>('GET', '/ui/session')).csrf
    return true
  } catch {
    return false
  }
}

export async function login(passphrase: string): Promise<void> {
  csrf = (await send<{ csrf: string }>('POST', '/ui/login', { passphrase })).csrf
}

export async function logout(): Promise<void> {
  await send('POST', '/ui/logout')
  csrf = null
}

/** Changes the node passphrase (the member key is sealed again under the new one). */
export async function changePassphrase(current: string, next: string): Promise<void> {
  await send('POST', '/ui/passphrase', { current, next })
}
