/**
 * What the operations service accepts from users (HTTP bodies, CLI arguments): zod
 * schemas whose errors name the field (`InvalidInputError`), and the input shapes.
 */
import { z } from 'zod'
import { isMemberKey } from '../../crdt/index.ts'

export { parseInput as parse } from '../org/index.ts'

import {
  DESCRIPTION_MAX,
  DURATION_MAX,
  INITIAL_STATUSES,
  OP_ID,
  OP_LIMITS,
  OP_STATUSES,
  OP_TYPES,
  ROLE_MAX,
  SHIP_ID,
  SLOT_ID,
  TIME_MAX,
  TIME_ZONE,
  TIME_ZONE_MAX,
  TITLE_MAX,
} from './op-schema.ts'

/** Which operations `list` returns. */
export type OperationsFilter = 'upcoming' | 'past' | 'all'

/** Seats an operation may have (OP_LIMITS.slotsPerOp). */
export const MAX_SLOTS = OP_LIMITS.slotsPerOp

export const title = z
  .string('must be text')
  .trim()
  .min(1, `must be 1 to ${TITLE_MAX} characters`)
  .max(TITLE_MAX, `must be 1 to ${TITLE_MAX} characters`)
export const description = z
  .string('must be text')
  .max(DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`)
export const type = z.enum(OP_TYPES, `must be one of ${OP_TYPES.join(', ')}`)
export const time = z.preprocess(
  (v) => (typeof v === 'string' ? Date.parse(v) : v instanceof Date ? v.getTime() : v),
  z
    .number('must be a time (milliseconds since 1970 or an ISO 8601 date)')
    .int('must be whole milliseconds')
    .min(0, 'must be after 1970')
    .max(TIME_MAX, 'must be before the year 10000'),
)
export const duration = z
  .number('must be a number of minutes')
  .int('must be whole minutes')
  .min(1, `must be 1 to ${DURATION_MAX} minutes`)
  .max(DURATION_MAX, `must be 1 to ${DURATION_MAX} minutes (a week)`)
/**
 * An IANA time zone this machine's Intl knows, as Intl names it (`Asia/Calcutta` →
 * `Asia/Kolkata` where Intl canonicalizes), in the shape the rules accept (op-schema.ts).
 */
export const timeZone = z
  .string('must be an IANA time zone name (Europe/Berlin)')
  .max(TIME_ZONE_MAX, 'must be an IANA time zone name (Europe/Berlin)')
  .transform((v, ctx) => {
    const zone = knownZone(v)
    if (zone === null || !TIME_ZONE.test(zone)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an IANA time zone name (Europe/Berlin), not ${v.slice(0, 40)}`,
      })
      return z.NEVER
    }
    return zone
  })

function knownZone(v: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

export const memberKey = z.string().refine(isMemberKey, 'must be a member key (64 hex characters)')
export const status = z.enum(OP_STATUSES, `must be one of ${OP_STATUSES.join(', ')}`)
export const role = z
  .string('must be text')
  .trim()
  .min(1, `must be 1 to ${ROLE_MAX} characters`)
  .max(ROLE_MAX, `must be 1 to ${ROLE_MAX} characters`)
export const shipId = z.string().regex(SHIP_ID, 'must be a ship id (16 hex characters)')
export const slotId = z.string().regex(SLOT_ID, 'must be a slot id (16 hex characters)')
export const opId = z.string().regex(OP_ID, 'must be an operation id (32 hex characters)')
export const slotInput = z.object({ role, ship: shipId.nullable().default(null) })
export const slotsInput = z.array(slotInput).max(MAX_SLOTS, `at most ${MAX_SLOTS} slots`)

/** What a new operation needs; strings are trimmed, times in milliseconds or ISO 8601. */
export interface NewOperationInput {
  readonly title: unknown
  readonly description?: unknown
  readonly type: unknown
  readonly scheduledAt: unknown
  readonly durationMin: unknown
  /** Default: the creator. Must be a member. */
  readonly leader?: unknown
  /** 'draft' or 'planned' (default). */
  readonly status?: unknown
  /** Seats: `{ role, ship? }` each. */
  readonly slots?: unknown
  /** The IANA time zone it is planned in (shown beside the UTC times); default none. */
  readonly timeZone?: unknown
}

export type OperationPatch = Partial<
  Pick<
    NewOperationInput,
    'title' | 'description' | 'type' | 'scheduledAt' | 'durationMin' | 'leader' | 'timeZone'
  >
>

export interface SignUpInput {
  /** Default: the slot's role. Required without a slot. */
  readonly role?: unknown
  /** A ship of your own hangar, or null. */
  readonly ship?: unknown
  readonly slot?: unknown
  readonly tentative?: unknown
}
export const initialStatus = z.enum(INITIAL_STATUSES, 'must be draft or planned')
export const when = z.enum(['upcoming', 'past', 'all'], 'must be upcoming, past or all')
export const flag = z.boolean('must be true or false')
export const opIds = z.array(opId)
