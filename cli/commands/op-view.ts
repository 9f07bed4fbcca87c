/** How `op show` prints an operation for people. */
import type { OperationView } from '../../node/index.ts'
import { when } from '../output.ts'

/** Keys the lines below name (the leader, slot holders, sign-ups), for `handlesOf`. */
export function keysIn(o: OperationView): string[] {
  return [
    o.leader,
    ...o.slots.flatMap((s) => (s.takenBy === null ? [] : [s.takenBy])),
    ...o.participants.map((p) => p.memberKey),
  ]
}

/** `handles`: member key → handle; a key without one prints as its start. */
export function opLines(o: OperationView, handles: ReadonlyMap<string, string>): string[] {
  const who = (key: string) => handles.get(key) ?? key.slice(0, 12)
  const slots = o.slots.map(
    (s) => `${s.role} ${s.id}${s.takenBy === null ? ' (free)' : ` (${who(s.takenBy)})`}`,
  )
  return [
    `${o.title} [${o.type}] ${o.status}`,
    `  id           ${o.id}`,
    `  start        ${when(o.scheduledAt)}`,
    `  end          ${when(o.endsAt)} (${o.durationMin} min)`,
    ...(o.timeZone === null ? [] : [`  time zone    ${zoned(o)}`]),
    `  leader       ${handles.get(o.leader) ?? o.leader}`,
    ...(slots.length === 0 ? [] : [`  slots        ${slots.join(', ')}`]),
    ...(o.description === ''
      ? []
      : [`  briefing     ${o.description.replaceAll('\n', '\n               ')}`]),
    `  sign-ups     ${o.counts.confirmed} confirmed, ${o.counts.pending} pending, ${o.counts.tentative} tentative, ${o.counts.withdrawn} withdrawn`,
  ]
}

export function participantRows(o: OperationView, handles: ReadonlyMap<string, string>): string[][] {
  const role = new Map(o.slots.map((s) => [s.id, s.role]))
  return o.participants.map((p) => [
    handles.get(p.memberKey) ?? p.memberKey.slice(0, 16),
    p.role,
    p.slot === null ? '—' : `${role.get(p.slot) ?? '?'} ${p.slot}`,
    p.ship ?? '—',
    p.state,
  ])
}

/** `Europe/Berlin: Wed, 2 Jan 2030, 19:30–21:00 CET`; the name alone where Intl does not know it. */
function zoned(o: OperationView): string {
  try {
    const format = new Intl.DateTimeFormat('en-GB', {
      timeZone: o.timeZone ?? 'UTC',
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    })
    return `${o.timeZone}: ${format.formatRange(new Date(o.scheduledAt), new Date(o.endsAt))}`
  } catch {
    return o.timeZone ?? ''
  }
}
