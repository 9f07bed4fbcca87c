/**
 * Plain views of operation documents. Every value in a stored operation passed the rules,
 * but views still read defensively: an unexpected value becomes a default.
 */
import type * as A from '@automerge/automerge'
import type { MemberKey } from '../../crdt/index.ts'
import { text } from '../org/index.ts'
import {
  OP_STATUSES,
  OP_TYPES,
  type OperationDoc,
  type OpStatus,
  type OpType,
  PARTICIPANT_STATES,
  type ParticipantState,
} from './op-schema.ts'

export interface SlotView {
  readonly id: string
  readonly role: string
  readonly ship: string | null
  /** The member holding this slot (not withdrawn), if any. */
  readonly takenBy: MemberKey | null
}

export interface ParticipantView {
  readonly memberKey: MemberKey
  readonly role: string
  readonly ship: string | null
  readonly slot: string | null
  readonly state: ParticipantState
  readonly updatedAt: number
}

export interface OperationView {
  readonly id: string
  readonly orgId: string
  readonly title: string
  readonly description: string
  readonly type: OpType
  /** Milliseconds since the epoch. */
  readonly scheduledAt: number
  readonly durationMin: number
  /** `scheduledAt + durationMin`, derived. */
  readonly endsAt: number
  readonly leader: MemberKey
  readonly creator: MemberKey
  readonly status: OpStatus
  readonly createdAt: number
  /** The IANA time zone it is planned in, or null (none given). */
  readonly timeZone: string | null
  readonly slots: SlotView[]
  /** Confirmed first, then pending, tentative, withdrawn; earliest first within each. */
  readonly participants: ParticipantView[]
  /** Sign-ups per state, derived. */
  readonly counts: Readonly<Record<ParticipantState, number>>
}

function oneOf<T extends string>(values: readonly T[], v: unknown, fallback: T): T {
  const s = text(v)
  return s !== undefined && (values as readonly string[]).includes(s) ? (s as T) : fallback
}

const ORDER: readonly ParticipantState[] = ['confirmed', 'pending', 'tentative', 'withdrawn']
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const nullable = (v: unknown): string | null => text(v) ?? null

/** The view of one operation document. */
export function operationView(doc: A.Doc<OperationDoc>): OperationView {
  const participants: ParticipantView[] = Object.entries(doc.participants ?? {})
    .map(([key, p]) => ({
      memberKey: key as MemberKey,
      role: text(p.role) ?? '',
      ship: nullable(p.ship),
      slot: nullable(p.slot),
      state: oneOf(PARTICIPANT_STATES, p.state, 'pending'),
      updatedAt: num(p.updatedAt),
    }))
    .sort(
      (a, b) =>
        ORDER.indexOf(a.state) - ORDER.indexOf(b.state) ||
        a.updatedAt - b.updatedAt ||
        a.memberKey.localeCompare(b.memberKey),
    )
  const slots: SlotView[] = Object.entries(doc.slots ?? {})
    .map(([id, s]) => ({
      id,
      role: text(s.role) ?? '',
      ship: nullable(s.ship),
      takenBy: participants.find((p) => p.slot === id && p.state !== 'withdrawn')?.memberKey ?? null,
    }))
    .sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id))
  const counts = { pending: 0, confirmed: 0, tentative: 0, withdrawn: 0 }
  for (const p of participants) counts[p.state]++
  const scheduledAt = num(doc.scheduledAt)
  const durationMin = num(doc.durationMin)
  return {
    id: text(doc.id) ?? '',
    orgId: text(doc.org) ?? '',
    title: text(doc.title) ?? '',
    description: text(doc.description) ?? '',
    type: oneOf(OP_TYPES, doc.type, 'other'),
    scheduledAt,
    durationMin,
    endsAt: scheduledAt + durationMin * 60_000,
    leader: (text(doc.leader) ?? '') as MemberKey,
    creator: (text(doc.creator) ?? '') as MemberKey,
    status: oneOf(OP_STATUSES, doc.status, 'draft'),
    createdAt: num(doc.createdAt),
    timeZone: nullable(doc.timeZone),
    slots,
    participants,
    counts,
  }
}
