/**
 * The API's one error model, on the Hono app itself: an error Verse Guy expects is
 * answered with its kind's status and its code; any other is a 500 `internal` whose
 * message gives nothing of the error away, and which is logged with its stack.
 */
import { describe, expect, it } from 'vitest'
import { ERROR_KINDS, type ErrorKind, VerseGuyError } from '../../crdt/index.ts'
import { createApi } from '../../node/api.ts'
import { errorResponse, HTTP_STATUS } from '../../node/error-response.ts'
import type { DomainServices } from '../../services/domain.ts'
import { InvalidInputError, OrgNotFoundError, PermissionDeniedError } from '../../services/org/errors.ts'

const TOKEN = 'test-token'

function app(status: () => Promise<never>, logged: unknown[]) {
  return createApi({
    token: TOKEN,
    status,
    port: () => 7070,
    services: () => ({}) as DomainServices,
    reloadTrust: async () => [],
    mesh: () => {
      throw new Error('no mesh in this test')
    },
    calendar: () => {
      throw new Error('no calendar in this test')
    },
    logError: (err) => logged.push(err),
  })
}

async function ask(a: ReturnType<typeof app>) {
  const res = await a.request('/api/v1/status', {
    headers: { host: '127.0.0.1:7070', authorization: `Bearer ${TOKEN}` },
  })
  return { status: res.status, body: await res.json() }
}

describe('errorResponse', () => {
  it('an unexpected error is 500 internal with a generic message, and is logged', async () => {
    const logged: unknown[] = []
    const secret = new Error('ENOENT /home/someone/secret/path')
    const res = await ask(
      app(async () => {
        throw secret
      }, logged),
    )
    expect(res).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: 'internal error: the node logged the details' } },
    })
    expect(JSON.stringify(res.body)).not.toContain('secret')
    expect(logged).toEqual([secret])
  })

  it("an expected error is answered with its code and its kind's status, and not logged", async () => {
    const logged: unknown[] = []
    const res = await ask(
      app(async () => {
        throw new OrgNotFoundError('abc')
      }, logged),
    )
    expect(res).toEqual({
      status: 404,
      body: { error: { code: 'org-not-found', kind: 'not-found', message: 'No org abc on this node.' } },
    })
    expect(logged).toEqual([])
  })

  it('bad input names the field', () => {
    expect(errorResponse(new InvalidInputError('tag', 'must be 2 to 5 letters'))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid-input',
          kind: 'invalid',
          field: 'tag',
          message: 'tag: must be 2 to 5 letters. Nothing was changed.',
        },
      },
    })
  })

  it("permission denied is 403 naming the permission needed and the caller's rank", () => {
    expect(errorResponse(new PermissionDeniedError('inviting', 'members:invite', 'Recruit'))).toEqual({
      status: 403,
      body: {
        error: {
          code: 'permission-denied',
          kind: 'forbidden',
          permission: 'members:invite',
          rank: 'Recruit',
          message:
            'inviting needs members:invite, which your rank Recruit does not have. Nothing was changed.',
        },
      },
    })
  })

  it.each(ERROR_KINDS.map((k) => [k]))('kind %s maps to its status', (kind: ErrorKind) => {
    class Sample extends VerseGuyError {
      readonly code = 'sample'
      readonly kind = kind
    }
    expect(errorResponse(new Sample('m')).status).toBe(HTTP_STATUS[kind])
  })

  it('the statuses are the documented ones', () => {
    expect(HTTP_STATUS).toEqual({
      invalid: 400,
      unauthenticated: 401,
      forbidden: 403,
      'not-found': 404,
      conflict: 409,
      'too-many': 429,
      unavailable: 503,
      failed: 422,
    })
  })
})
