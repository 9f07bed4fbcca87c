import type { z } from 'zod'
import { InvalidInputError } from './errors.ts'

/** Parses `value`, or throws `InvalidInputError` naming `field` (and the path inside it). */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value)
  if (!r.success) {
    const issue = r.error.issues[0]
    const path = issue?.path.length ? `${field}.${issue.path.join('.')}` : field
    throw new InvalidInputError(path, issue?.message ?? 'invalid')
  }
  return r.data
}
