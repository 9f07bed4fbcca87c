/**
 * Operations as an iCalendar file (RFC 5545): one VEVENT per operation, times in UTC.
 */
import ical, { ICalEventStatus } from 'ical-generator'
import type { OpStatus } from './op-schema.ts'
import type { OperationView } from './op-view.ts'

export interface IcsEvent {
  readonly op: OperationView
  /** Revision number (RFC 5545 SEQUENCE): grows with every change, so calendars update. */
  readonly sequence: number
}

/** Cancelled → CANCELLED; not yet firm (draft, planned) → TENTATIVE; otherwise CONFIRMED. */
export function icsStatus(status: OpStatus): ICalEventStatus {
  if (status === 'cancelled') return ICalEventStatus.CANCELLED
  if (status === 'draft' || status === 'planned') return ICalEventStatus.TENTATIVE
  return ICalEventStatus.CONFIRMED
}

/**
 * Renders operations as one calendar. UID is `<opId>@verseguy`, stable across exports,
 * so a calendar that imports the file again updates its events instead of duplicating them.
 *
 * @example
 * const text = toIcs([{ op, sequence: 3 }], { name: 'Test Squadron operations' })
 */
export function toIcs(
  events: readonly IcsEvent[],
  options: { name: string; now?: Date; refreshSeconds?: number },
): string {
  const stamp = options.now ?? new Date()
  const cal = ical({
    prodId: { company: 'Verse Guy', product: 'verseguy', language: 'EN' },
    name: options.name,
    // A subscribed feed: how often calendar apps should poll (REFRESH-INTERVAL, X-PUBLISHED-TTL).
    ...(options.refreshSeconds === undefined ? {} : { ttl: options.refreshSeconds }),
  })
  for (const { op, sequence } of events) {
    cal.createEvent({
      id: `${op.id}@verseguy`,
      sequence,
      stamp,
      start: new Date(op.scheduledAt),
      end: new Date(op.endsAt),
      summary: op.title,
      description: op.description,
      status: icsStatus(op.status),
      categories: [{ name: op.type }],
    })
  }
  return cal.toString()
}
