/** How `op show` prints an operation for people. */
import type { OperationView } from '../../node/index.ts'
import { when } from '../output.ts'

export function opLines(o: OperationView): string[] {
  const slots = o.slots.map(
    (s) => `${s.role} ${s.id}${s.takenBy === null ? ' (free)' : ` (${s.takenBy.slice(0, 12)})`}`,
  )
  return [
    `${o.title} [${o.type}] ${o.status}`,
    `  id           ${o.id}`,
    `  start        ${when(o.scheduledAt)}`,
    `  end          ${when(o.endsAt)} (${o.durationMin} min)`,
    `  leader       ${o.leader}`,
    ...(slots.length === 0 ? [] : [`  slots        ${slots.join(', ')}`]),
    ...(o.description === ''
      ? []
      : [`  briefing     ${o.description.replaceAll('\n', '\n               ')}`]),
    `  sign-ups     ${o.counts.confirmed} confirmed, ${o.counts.pending} pending, ${o.counts.tentative} tentative, ${o.counts.withdrawn} withdrawn`,
  ]
}

export function participantRows(o: OperationView): string[][] {
  const role = new Map(o.slots.map((s) => [s.id, s.role]))
  return o.participants.map((p) => [
    p.memberKey.slice(0, 16),
    p.role,
    p.slot === null ? '—' : `${role.get(p.slot) ?? '?'} ${p.slot}`,
    p.ship ?? '—',
    p.state,
  ])
}
