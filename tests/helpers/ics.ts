/**
 * Reads an iCalendar file back with ical.js, as a calendar application would: throws
 * unless it parses as RFC 5545 with the properties a VCALENDAR must carry.
 */
import ICAL from 'ical.js'

export interface ParsedEvent {
  readonly uid: string
  readonly summary: string
  readonly status: string | null
  readonly start: Date
  readonly end: Date
  /** Both times are UTC (`…Z`), not floating and not in a named zone. */
  readonly utc: boolean
}

export function parseIcs(text: string): { name: string | null; events: ParsedEvent[] } {
  const cal = new ICAL.Component(ICAL.parse(text))
  if (cal.name !== 'vcalendar') throw new Error(`not a VCALENDAR but ${cal.name}`)
  if (cal.getFirstPropertyValue('version') !== '2.0') throw new Error('VERSION:2.0 is missing')
  if (!cal.getFirstPropertyValue('prodid')) throw new Error('PRODID is missing')
  const events = cal.getAllSubcomponents('vevent').map((v) => {
    const e = new ICAL.Event(v)
    if (!v.getFirstPropertyValue('dtstamp')) throw new Error('DTSTAMP is missing')
    return {
      uid: e.uid,
      summary: e.summary,
      status: (v.getFirstPropertyValue('status') as string | null) ?? null,
      start: e.startDate.toJSDate(),
      end: e.endDate.toJSDate(),
      utc: e.startDate.zone === ICAL.Timezone.utcTimezone && e.endDate.zone === ICAL.Timezone.utcTimezone,
    }
  })
  return { name: (cal.getFirstPropertyValue('x-wr-calname') as string | null) ?? null, events }
}
