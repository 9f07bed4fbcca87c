import { z } from 'zod'
import { InvalidInputError } from './errors.ts'
import { HANDLE, RANK_ID } from './validation.ts'

export const handleInput = z.string().regex(HANDLE, 'must be 3 to 60 letters, digits, - or _ (an RSI handle)')
export const rankIdInput = z
  .string()
  .regex(RANK_ID, 'must be lower-case letters, digits and - (e.g. wing-lead)')

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
