/**
 * An operation document: one per operation, `op:<orgId>.<opId>`, so no document grows
 * with the org. Flat and bounded: root fields, a map of slots and a map of participants
 * (member key → record), every string a scalar (ImmutableString), never collaborative text.
 *
 * The op id is bound to its creator (a hash of org, creator and a nonce, like an org id
 * is bound to its founder), so no one else can write a competing first change for it.
 */
import { randomBytes } from 'node:crypto'
import type * as A from '@automerge/automerge'
import { type DocId, fromHex, isMemberKey, parseDocId, sha256, toHex } from '../../crdt/index.ts'
import type { Scalar } from '../org/index.ts'

export const OP_SCHEMA = 1

import { OP_STATUSES, OP_TYPES, type OpStatus } from './op-kinds.ts'

export { OP_STATUSES, OP_TYPES, type OpStatus, type OpType } from './op-kinds.ts'

export const PARTICIPANT_STATES = ['pending', 'confirmed', 'tentative', 'withdrawn'] as const
export type ParticipantState = (typeof PARTICIPANT_STATES)[number]

/**
 * Allowed status transitions. `completed` and `cancelled` are final.
 *
 * @example
 * canTransition('planned', 'open') // true
 * canTransition('planned', 'completed') // false
 */
export const LIFECYCLE: Readonly<Record<OpStatus, readonly OpStatus[]>> = {
  draft: ['planned', 'cancelled'],
  planned: ['open', 'in-progress', 'cancelled'],
  open: ['locked', 'in-progress', 'cancelled'],
  locked: ['open', 'in-progress', 'cancelled'],
  'in-progress': ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
}

/** Statuses an operation may be created in. */
export const INITIAL_STATUSES: readonly OpStatus[] = ['draft', 'planned']
/** Statuses in which members sign themselves up or change their sign-up. */
export const SIGNUP_OPEN: readonly OpStatus[] = ['planned', 'open']
/** Statuses in which members may still withdraw. */
export const WITHDRAW_OPEN: readonly OpStatus[] = ['draft', 'planned', 'open', 'locked', 'in-progress']

export function isOpStatus(v: unknown): v is OpStatus {
  return typeof v === 'string' && (OP_STATUSES as readonly string[]).includes(v)
}

/** Whether `from → to` is a step of the lifecycle. */
export function canTransition(from: OpStatus, to: OpStatus): boolean {
  return LIFECYCLE[from].includes(to)
}

/** How many records an operation holds at most: checked on local input and remote changes alike. */
export const OP_LIMITS = {
  slotsPerOp: 200,
  signUpsPerOp: 1_000,
} as const

export const TITLE_MAX = 100
export const DESCRIPTION_MAX = 4000
export const DURATION_MAX = 10_080
export const ROLE_MAX = 40
/** Latest accepted time (year 9999), so every time formats as a calendar date. */
export const TIME_MAX = 253_402_300_799_000
export const OP_ID = /^[0-9a-f]{32}$/
export const SLOT_ID = /^[0-9a-f]{16}$/
/** A ship id of a member's hangar (see services/fleet). */
export const SHIP_ID = /^[0-9a-f]{16}$/

/** The longest text of each text field, by key. */
export const OP_TEXT_MAX: Readonly<Record<string, number>> = {
  title: TITLE_MAX,
  description: DESCRIPTION_MAX,
  role: ROLE_MAX,
}

type Str = A.ImmutableString

export interface SlotRecord {
  role: Str
  ship: Str | null
}

export interface ParticipantRecord {
  role: Str
  ship: Str | null
  slot: Str | null
  state: Str
  updatedAt: number
}

export interface OperationDoc {
  schema: number
  org: Str
  id: Str
  nonce: Str
  title: Str
  description: Str
  type: Str
  /** Milliseconds since the epoch. */
  scheduledAt: number
  durationMin: number
  leader: Str
  creator: Str
  status: Str
  createdAt: number
  /**
   * The IANA time zone the operation is planned in (`Europe/Berlin`), or absent/null: none
   * given. Optional, so operations made before it existed are valid as they are.
   */
  timeZone?: Str | null
  slots: Record<string, SlotRecord>
  participants: Record<string, ParticipantRecord>
}

/** Root fields, all set by the first change. */
export const ROOT_FIELDS = [
  'schema',
  'org',
  'id',
  'nonce',
  'title',
  'description',
  'type',
  'scheduledAt',
  'durationMin',
  'leader',
  'creator',
  'status',
  'createdAt',
  'slots',
  'participants',
] as const
/** Root fields the first change may leave out (set only when given). */
export const OPTIONAL_ROOT_FIELDS = ['timeZone'] as const

/**
 * The shape of an IANA time zone name (`UTC`, `Europe/Berlin`, `America/Argentina/Salta`,
 * `Etc/GMT+5`). The rules check the shape only, never Intl's list of zones: that list
 * differs between Node versions, and every replica must reach the same verdict. Input is
 * checked against Intl where it is typed (op-input.ts).
 */
export const TIME_ZONE = /^(?:UTC|[A-Z][A-Za-z_-]{1,30}(?:\/[A-Za-z0-9_+-]{1,30}){1,2})$/
export const TIME_ZONE_MAX = 64

/** Root fields that may change after creation (by the leader or ops:manage). */
export const EDITABLE_FIELDS = [
  'title',
  'description',
  'type',
  'scheduledAt',
  'durationMin',
  'leader',
  'status',
  'timeZone',
] as const
export const SLOT_FIELDS = ['role', 'ship'] as const
export const PARTICIPANT_FIELDS = ['role', 'ship', 'slot', 'state', 'updatedAt'] as const

const DOMAIN = new TextEncoder().encode('verseguy/op-id/v1\n')

/** The op id of `creator`'s operation with `nonce` in `orgId` (16 bytes, hex). */
export function deriveOpId(orgId: string, creator: string, nonce: string): string {
  const parts = [DOMAIN, fromHex(orgId), fromHex(creator), fromHex(nonce)]
  const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    input.set(p, at)
    at += p.length
  }
  return toHex(sha256(input).subarray(0, 16))
}

export function newOpNonce(): string {
  return randomBytes(16).toString('hex')
}

export function newSlotId(): string {
  return randomBytes(8).toString('hex')
}

export function opDocId(orgId: string, opId: string): DocId {
  return parseDocId(`op:${orgId}.${opId}`)
}

/** `op:<orgId>.<opId>` → parts, or null. */
export function parseOpDocId(docId: string): { orgId: string; opId: string } | null {
  const m = /^op:([0-9a-f]{32})\.([0-9a-f]{32})$/.exec(docId)
  return m === null ? null : { orgId: m[1] as string, opId: m[2] as string }
}

const isText = (v: Scalar, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max
const isTrimmed = (v: Scalar, min: number, max: number) => isText(v, min, max) && v.trim() === v
const isTime = (v: Scalar) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= TIME_MAX
const oneOf = (values: readonly string[], v: Scalar) => typeof v === 'string' && values.includes(v)

/** What may be stored under a root key; null when fine, else why not. */
export function rootValueProblem(key: string, v: Scalar): string | null {
  switch (key) {
    case 'schema':
      return v === OP_SCHEMA ? null : 'unknown schema version'
    case 'org':
    case 'id':
    case 'nonce':
      return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v) ? null : `${key} must be 32 hex characters`
    case 'title':
      return isTrimmed(v, 1, TITLE_MAX) ? null : `title must be 1 to ${TITLE_MAX} characters`
    case 'description':
      return isText(v, 0, DESCRIPTION_MAX)
        ? null
        : `description must be at most ${DESCRIPTION_MAX} characters`
    case 'type':
      return oneOf(OP_TYPES, v) ? null : `type must be one of ${OP_TYPES.join(', ')}`
    case 'scheduledAt':
    case 'createdAt':
      return isTime(v) ? null : `${key} must be a time`
    case 'durationMin':
      return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= DURATION_MAX
        ? null
        : `durationMin must be a whole number from 1 to ${DURATION_MAX}`
    case 'leader':
    case 'creator':
      return isMemberKey(v) ? null : `${key} must be a member key`
    case 'status':
      return isOpStatus(v) ? null : `status must be one of ${OP_STATUSES.join(', ')}`
    case 'timeZone':
      return v === null || (isText(v, 3, TIME_ZONE_MAX) && TIME_ZONE.test(v))
        ? null
        : 'timeZone must be an IANA time zone name (Europe/Berlin) or null'
    default:
      return `${key.slice(0, 40)} is not a field of an operation`
  }
}

/** What may be stored under a slot record's key; null when fine. */
export function slotValueProblem(key: string, v: Scalar): string | null {
  switch (key) {
    case 'role':
      return isTrimmed(v, 1, ROLE_MAX) ? null : `slot role must be 1 to ${ROLE_MAX} characters`
    case 'ship':
      return v === null || (typeof v === 'string' && SHIP_ID.test(v)) ? null : 'slot ship must be a ship id'
    default:
      return `${key.slice(0, 40)} is not a field of a slot`
  }
}

/** What may be stored under a participant record's key; null when fine. */
export function participantValueProblem(key: string, v: Scalar): string | null {
  switch (key) {
    case 'role':
      return isTrimmed(v, 1, ROLE_MAX) ? null : `role must be 1 to ${ROLE_MAX} characters`
    case 'ship':
      return v === null || (typeof v === 'string' && SHIP_ID.test(v)) ? null : 'ship must be a ship id'
    case 'slot':
      return v === null || (typeof v === 'string' && SLOT_ID.test(v)) ? null : 'slot must be a slot id'
    case 'state':
      return oneOf(PARTICIPANT_STATES, v) ? null : `state must be one of ${PARTICIPANT_STATES.join(', ')}`
    case 'updatedAt':
      return isTime(v) ? null : 'updatedAt must be a time'
    default:
      return `${key.slice(0, 40)} is not a field of a sign-up`
  }
}
