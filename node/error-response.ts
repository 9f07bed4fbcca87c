/**
 * The one error model of the local API: an expected error (`VerseGuyError`) is answered
 * with the status its `kind` maps to and a body naming its stable code; anything else is
 * a 500 `internal` with a generic message (its stack goes to the log, never to the client).
 *
 * Body: `{ "error": { "code", "kind", "message", "field"?, ...details } }` (a
 * permission-denied error adds `permission` and the caller's `rank`).
 */
import { type ErrorKind, VerseGuyError } from '../crdt/index.ts'

/**
 * HTTP status by kind. `failed` (the request was understood and valid, but the node could
 * not carry it out: damaged storage, a data directory it cannot secure) is 422.
 */
export const HTTP_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-many': 429,
  unavailable: 503,
  failed: 422,
} as const satisfies Record<ErrorKind, number>

export type ErrorStatus = (typeof HTTP_STATUS)[ErrorKind] | 413 | 500

export interface ErrorBody {
  readonly error: {
    readonly code: string
    /** Absent on a 500 `internal`. */
    readonly kind?: ErrorKind
    readonly message: string
    readonly field?: string
    /** The error's `details`, e.g. a permission-denied error's `permission` and `rank`. */
    readonly [detail: string]: string | number | undefined
  }
}

export interface ErrorAnswer {
  readonly status: ErrorStatus
  readonly body: ErrorBody
}

/** The answer for an error thrown while handling a request; `log` hears of unexpected ones. */
export function errorResponse(err: unknown, log: (err: unknown) => void = () => {}): ErrorAnswer {
  if (err instanceof VerseGuyError) {
    return {
      status: HTTP_STATUS[err.kind],
      body: {
        error: {
          code: err.code,
          kind: err.kind,
          message: err.message,
          ...(err.field === undefined ? {} : { field: err.field }),
          ...err.details,
        },
      },
    }
  }
  log(err)
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'internal error: the node logged the details' } },
  }
}

/**
 * An answer the API itself gives (wrong host, no token, no route, a body too large): the
 * status is its kind's, except a body too large, which is 413 (kind `invalid`).
 */
export function apiError(
  code: string,
  kind: ErrorKind,
  message: string,
  extra: { readonly field?: string; readonly status?: 413 } = {},
): ErrorAnswer {
  return {
    status: extra.status ?? HTTP_STATUS[kind],
    body: { error: { code, kind, message, ...(extra.field === undefined ? {} : { field: extra.field }) } },
  }
}
