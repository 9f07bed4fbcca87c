/**
 * A resource's router: an OpenAPIHono whose request validation failures are the API's
 * one invalid-input error (400, naming the field), like every other bad input.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { InvalidInputError } from '../../services/org/index.ts'

export function router(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result) => {
      if (result.success) return
      const issue = result.error.issues[0]
      const field = issue === undefined || issue.path.length === 0 ? result.target : issue.path.join('.')
      throw new InvalidInputError(field, issue?.message ?? 'invalid')
    },
  })
}
