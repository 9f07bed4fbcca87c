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
