/**
 * Operations as an iCalendar file (RFC 5545): one VEVENT per operation, times in UTC.
 * An operation planned in a time zone carries it beside them: `X-VERSEGUY-TIMEZONE`, and
 * a first line of its description giving the local start and end there. The times stay
 * UTC (no TZID, so no VTIMEZONE whose rules would have to be shipped and kept current):
 * every app shows them right in its own zone.
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
      description:
        op.timeZone === null
          ? op.description
          : `${localTimes(op)}${op.description ? `\n\n${op.description}` : ''}`,
      ...(op.timeZone === null ? {} : { x: [{ key: 'X-VERSEGUY-TIMEZONE', value: op.timeZone }] }),
      status: icsStatus(op.status),
      categories: [{ name: op.type }],
    })
  }
  return cal.toString()
}

/**
 * `Local time (Europe/Berlin): Wed, 2 Jan 2030, 19:30 – 21:00 CET`; the zone's name alone
 * where this machine's Intl does not know it.
 */
export function localTimes(op: Pick<OperationView, 'scheduledAt' | 'endsAt' | 'timeZone'>): string {
  const zone = op.timeZone ?? 'UTC'
  try {
    const format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    })
    return `Local time (${zone}): ${format.formatRange(new Date(op.scheduledAt), new Date(op.endsAt))}`
  } catch {
    return `Time zone: ${zone}`
  }
}
