/// <reference lib="dom" />
/**
 * Operations: upcoming and past, a month calendar, one operation with its slots and
 * sign-ups; schedule one (ops:create), sign up with a role and one of your ships, withdraw,
 * add and remove slots (a role, perhaps an org ship), confirm and move it along its
 * lifecycle (its leader or ops:manage), the iCal download.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { OP_TYPES } from '../../services/operations/op-kinds.ts'
import { api } from './api.ts'
import { type Access, can, type Org, useAction, useChanges, useHandles, useSubmit, when } from './live.ts'

interface Slot {
  readonly id: string
  readonly role: string
  readonly ship: string | null
  readonly takenBy: string | null
}
interface Participant {
  readonly memberKey: string
  readonly role: string
  readonly ship: string | null
  readonly slot: string | null
  readonly state: string
}
export interface Op {
  readonly id: string
  readonly title: string
  readonly description: string
  readonly type: string
  readonly status: string
  readonly scheduledAt: number
  readonly endsAt: number
  readonly durationMin: number
  readonly leader: string
  readonly slots: Slot[]
  readonly participants: Participant[]
}

/** Where an operation may go next (mirrors the lifecycle the rules enforce on every node). */
const NEXT: Record<string, string[]> = {
  draft: ['planned', 'cancelled'],
  planned: ['open', 'in-progress', 'cancelled'],
  open: ['locked', 'in-progress', 'cancelled'],
  locked: ['open', 'in-progress', 'cancelled'],
  'in-progress': ['completed', 'cancelled'],
}
const shipName = (s: { model: string; name: string }) => (s.name === '' ? s.model : `${s.name} (${s.model})`)
const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value)

function Schedule({ org, onDone }: { org: Org; onDone: (id: string) => void }) {
  const [f, setF] = useState({ title: '', type: 'mining', at: '', duration: '120', slots: '' })
  const field = (k: keyof typeof f) => input((v) => setF({ ...f, [k]: v }))
  const create = useSubmit(async () => {
    const op = await api.post<Op>(`/orgs/${org.id}/ops`, {
      title: f.title,
      type: f.type,
      scheduledAt: new Date(f.at).getTime(), // the browser's local time, as the picker shows it
      durationMin: Number(f.duration),
      slots: f.slots
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '')
        .map((role) => ({ role })),
    })
    onDone(op.id)
  })
  return html`
    <form class="card grid" onSubmit=${create.submit} aria-labelledby="schedule-title">
      <h2 id="schedule-title">Schedule an operation</h2>
      <label for="op-title">Title</label><input id="op-title" required value=${f.title} onInput=${field('title')} />
      <label for="op-type">Type</label>
      <select id="op-type" value=${f.type} onChange=${field('type')}>${OP_TYPES.map((t) => html`<option key=${t}>${t}</option>`)}</select>
      <label for="op-at">Starts (your local time)</label><input id="op-at" type="datetime-local" required value=${f.at} onInput=${field('at')} />
      <label for="op-duration">Minutes</label><input id="op-duration" type="number" min="1" max="10080" required value=${f.duration} onInput=${field('duration')} />
      <label for="op-slots">Slots (roles, comma-separated)</label><input id="op-slots" value=${f.slots} onInput=${field('slots')} />
      <button type="submit" disabled=${create.busy}>Schedule</button>
      ${create.error === null ? null : html`<p class="error" role="alert">${create.error}</p>`}
    </form>
  `
}

/** `ms` as a datetime-local input's value, in the browser's time zone. */
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

function EditOp({ org, op, onDone }: { org: Org; op: Op; onDone: () => void }) {
  const [f, setF] = useState({
    title: op.title,
    description: op.description,
    type: op.type,
    at: localInput(op.scheduledAt),
    duration: String(op.durationMin),
  })
  const field = (k: keyof typeof f) => input((v) => setF({ ...f, [k]: v }))
  const save = useSubmit(async () => {
    await api.patch(`/orgs/${org.id}/ops/${op.id}`, {
      title: f.title,
      description: f.description,
      type: f.type,
      scheduledAt: new Date(f.at).getTime(),
      durationMin: Number(f.duration),
    })
    onDone()
  })
  const id = (k: string) => `edit-${k}-${op.id}`
  return html`
    <form class="grid" onSubmit=${save.submit} aria-label=${`Edit ${op.title}`}>
      <label for=${id('title')}>Title</label><input id=${id('title')} required value=${f.title} onInput=${field('title')} />
      <label for=${id('type')}>Type</label>
      <select id=${id('type')} value=${f.type} onChange=${field('type')}>${OP_TYPES.map((t) => html`<option key=${t}>${t}</option>`)}</select>
      <label for=${id('at')}>Starts (your local time)</label><input id=${id('at')} type="datetime-local" required value=${f.at} onInput=${field('at')} />
      <label for=${id('duration')}>Minutes</label><input id=${id('duration')} type="number" min="1" max="10080" required value=${f.duration} onInput=${field('duration')} />
      <label for=${id('description')}>Briefing</label><textarea id=${id('description')} rows="3" value=${f.description} onInput=${field('description')}></textarea>
      <button type="submit" disabled=${save.busy}>Save</button>
      ${save.error === null ? null : html`<p class="error" role="alert">${save.error}</p>`}
    </form>
  `
}

function OpDetail({
  org,
  access,
  op,
  ships,
  fleet,
}: {
  org: Org
  access: Access
  op: Op
  ships: { id: string; label: string }[]
  /** The org's ships the caller may see (a slot's ship is one of them), by id. */
  fleet: ReadonlyMap<string, string>
}) {
  const base = `/orgs/${org.id}/ops/${op.id}`
  const act = useAction()
  const [editing, setEditing] = useState(false)
  const manages = op.leader === access.memberKey || can(access, 'ops:manage')
  const mine = op.participants.find((p) => p.memberKey === access.memberKey && p.state !== 'withdrawn')
  const [slot, setSlot] = useState('')
  const [ship, setShip] = useState('')
  const free = op.slots.filter((s) => s.takenBy === null)
  const signUp = useSubmit(async () => {
    const s = op.slots.find((x) => x.id === slot)
    await api.put(`${base}/signup`, {
      ...(s === undefined ? { role: 'Crew' } : { slot: s.id }),
      ...(ship === '' ? {} : { ship }),
    })
  })
  const roleOf = new Map(op.slots.map((s) => [s.id, s.role]))
  const shipLabel = (id: string | null) => (id === null ? '—' : (fleet.get(id) ?? `${id.slice(0, 8)}…`))
  const open = !['completed', 'cancelled'].includes(op.status)
  const [newSlot, setNewSlot] = useState({ role: '', ship: '' })
  const addSlot = useSubmit(async () => {
    await api.post(`${base}/slots`, { role: newSlot.role, ship: newSlot.ship === '' ? null : newSlot.ship })
    setNewSlot({ role: '', ship: '' })
  })
  const names = useHandles(org.id, [op.leader, ...op.participants.map((p) => p.memberKey)])
  return html`
    <article class="card op" aria-label=${op.title} data-op=${op.id}>
      <h2>${op.title} <small>${op.type} · ${op.status}</small></h2>
      <p>${when(op.scheduledAt)} – ${when(op.endsAt)}, led by ${names.get(op.leader) ?? op.leader.slice(0, 12)}</p>
      ${op.description === '' ? null : html`<p class="briefing">${op.description}</p>`}
      ${manages && !['completed', 'cancelled'].includes(op.status) ? html`<button type="button" class="link" aria-expanded=${editing} onClick=${() => setEditing(!editing)}>${editing ? 'Close editing' : 'Edit'}</button>` : null}
      ${editing ? html`<${EditOp} org=${org} op=${op} onDone=${() => setEditing(false)} />` : null}
      <p><a href=${`/api/v1${base}/ical`} download=${`${op.title}.ics`}>Download (iCal)</a></p>
      ${
        op.slots.length === 0 && !(manages && open)
          ? null
          : html`<table data-slots=${op.id}>
        <caption>Slots</caption>
        <thead><tr><th scope="col">Role</th><th scope="col">Ship</th><th scope="col">Held by</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${op.slots.map(
          (s) => html`<tr key=${s.id}>
            <td>${s.role}</td>
            <td>${shipLabel(s.ship)}</td>
            <td>${s.takenBy === null ? 'open' : s.takenBy === access.memberKey ? 'you' : (names.get(s.takenBy) ?? s.takenBy.slice(0, 12))}</td>
            <td>${manages && open ? html`<button type="button" class="link" onClick=${() => void act.run(() => api.delete(`${base}/slots/${s.id}`))}>Remove<span class="sr-only"> slot ${s.role}</span></button>` : null}</td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${
        manages && open
          ? html`<form class="inline" onSubmit=${addSlot.submit} aria-label=${`Add a slot to ${op.title}`}>
              <label for=${`new-slot-role-${op.id}`}>New slot's role</label>
              <input id=${`new-slot-role-${op.id}`} required maxlength="64" value=${newSlot.role} onInput=${input((role) => setNewSlot({ ...newSlot, role }))} />
              <label for=${`new-slot-ship-${op.id}`}>New slot's ship</label>
              <select id=${`new-slot-ship-${op.id}`} value=${newSlot.ship} onChange=${input((ship) => setNewSlot({ ...newSlot, ship }))}>
                <option value="">any</option>
                ${[...fleet].map(([id, label]) => html`<option key=${id} value=${id}>${label}</option>`)}
              </select>
              <button type="submit" disabled=${addSlot.busy}>Add slot</button>
            </form>
            ${addSlot.error === null ? null : html`<p class="error" role="alert">${addSlot.error}</p>`}`
          : null
      }
      <table>
        <caption>Sign-ups</caption>
        <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Ship</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${op.participants.map(
            (p) => html`<tr key=${p.memberKey} data-participant=${p.memberKey}>
              <td>${p.memberKey === access.memberKey ? 'you' : (names.get(p.memberKey) ?? p.memberKey.slice(0, 12))}</td>
              <td>${p.slot === null ? p.role : (roleOf.get(p.slot) ?? p.role)}</td>
              <td>${shipLabel(p.ship)}</td>
              <td>${p.state}</td>
              <td>${manages && p.state === 'pending' ? html`<button type="button" onClick=${() => void act.run(() => api.post(`${base}/participants/${p.memberKey}/confirm`))}>Confirm</button>` : null}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${
        mine !== undefined
          ? html`<button type="button" class="link" onClick=${() => void act.run(() => api.delete(`${base}/signup`))}>Withdraw my sign-up</button>`
          : ['planned', 'open'].includes(op.status)
            ? html`<form class="inline" onSubmit=${signUp.submit}>
                <label for=${`slot-${op.id}`}>Slot</label>
                <select id=${`slot-${op.id}`} value=${slot} onChange=${input(setSlot)}>
                  <option value="">no slot (crew)</option>
                  ${free.map((s) => html`<option key=${s.id} value=${s.id}>${s.role}</option>`)}
                </select>
                <label for=${`ship-${op.id}`}>Ship</label>
                <select id=${`ship-${op.id}`} value=${ship} onChange=${input(setShip)}>
                  <option value="">none</option>
                  ${ships.map((s) => html`<option key=${s.id} value=${s.id}>${s.label}</option>`)}
                </select>
                <button type="submit" disabled=${signUp.busy}>Sign up</button>
              </form>`
            : null
      }
      ${signUp.error === null ? null : html`<p class="error" role="alert">${signUp.error}</p>`}
      ${
        manages && NEXT[op.status] !== undefined
          ? html`<div class="toolbar">${(NEXT[op.status] ?? []).map(
              (s) =>
                html`<button type="button" key=${s} class=${s === 'cancelled' ? 'danger' : ''} onClick=${() => void act.run(() => (s === 'cancelled' ? api.post(`${base}/cancel`) : api.put(`${base}/status`, { status: s })))}>${s === 'cancelled' ? 'Cancel operation' : `Mark ${s}`}</button>`,
            )}</div>`
          : null
      }
      ${act.error === null ? null : html`<p class="error" role="alert">${act.error}</p>`}
    </article>
  `
}

/** The calendar feed a calendar app subscribes to (this member's own URL; rotate it if it leaked). */
function Feed({ org }: { org: Org }) {
  const [feed, setFeed] = useState<{ url: string; webcal: string } | null>(null)
  const act = useAction()
  useEffect(() => {
    void api
      .get<{ url: string; webcal: string }>(`/orgs/${org.id}/calendar`)
      .then(setFeed, () => setFeed(null))
  }, [org.id])
  if (feed === null) return null
  return html`
    <p class="feed">
      Subscribe in a calendar app: <a href=${feed.webcal}>webcal link</a> or
      <input aria-label="Calendar feed URL" readonly value=${feed.url} size="50" />
      <button type="button" class="link" onClick=${() => confirm('Make a new feed URL? The old one stops working at once.') && void act.run(async () => setFeed(await api.post(`/orgs/${org.id}/calendar/rotate`)))}>New URL</button>
      ${act.error === null ? null : html`<span class="error" role="alert">${act.error}</span>`}
    </p>
  `
}

/** A month grid with the operations of the month in their days. */
function Month({ ops, onPick }: { ops: Op[]; onPick: (id: string) => void }) {
  const now = new Date()
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
  const days = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate()
  const lead = (first.getUTCDay() + 6) % 7 // Monday first
  const cells = [...Array(lead).fill(null), ...Array.from({ length: days }, (_, i) => i + 1)]
  const on = (d: number) =>
    ops.filter((o) => {
      const t = new Date(o.scheduledAt)
      return (
        t.getUTCFullYear() === first.getUTCFullYear() &&
        t.getUTCMonth() === first.getUTCMonth() &&
        t.getUTCDate() === d
      )
    })
  return html`
    <table class="month">
      <caption>${first.toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' })} (UTC)</caption>
      <thead><tr>${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => html`<th scope="col" key=${d}>${d}</th>`)}</tr></thead>
      <tbody>
        ${Array.from({ length: Math.ceil(cells.length / 7) }, (_, w) => html`<tr key=${w}>${cells.slice(w * 7, w * 7 + 7).map((d, i) => html`<td key=${i}>${d === null ? '' : html`<span class="day">${d}</span>${on(d).map((o) => html`<button type="button" class="link chip" key=${o.id} onClick=${() => onPick(o.id)}>${o.title}</button>`)}`}</td>`)}</tr>`)}
      </tbody>
    </table>
  `
}

export function Operations({ org, access }: { org: Org; access: Access }) {
  const [when_, setWhen] = useState<'upcoming' | 'past' | 'all'>('upcoming')
  const [ops, setOps] = useState<Op[] | null>(null)
  const [picked, setPicked] = useState<string | null>(null)
  const [ships, setShips] = useState<{ id: string; label: string }[]>([])
  const [fleet, setFleet] = useState<ReadonlyMap<string, string>>(new Map())
  const load = useCallback(() => {
    void api.get<{ items: Op[] }>(`/orgs/${org.id}/ops?when=${when_}&limit=100`).then((p) => setOps(p.items))
    void api
      .get<{ items: { id: string; model: string; name: string }[] }>(
        `/orgs/${org.id}/ships?owner=me&limit=500`,
      )
      .then((p) => setShips(p.items.map((s) => ({ id: s.id, label: shipName(s) }))))
    if (can(access, 'fleet:view'))
      void api
        .get<{ items: { id: string; model: string; name: string }[] }>(`/orgs/${org.id}/ships?limit=500`)
        .then((p) => setFleet(new Map(p.items.map((s) => [s.id, shipName(s)]))))
  }, [org.id, when_, access])
  useEffect(() => {
    if (can(access, 'ops:view')) load()
  }, [load, access])
  useChanges(load)
  if (!can(access, 'ops:view')) return html`<p>Your rank (${access.rankName}) may not see operations.</p>`
  const shown = ops?.find((o) => o.id === picked) ?? ops?.[0]
  return html`
    <h1>Operations</h1>
    <p><a href=${`/api/v1/orgs/${org.id}/ops/ical`} download="operations.ics">Every upcoming operation (iCal)</a></p>
    <${Feed} org=${org} />
    ${
      can(access, 'ops:create')
        ? html`<${Schedule} org=${org} onDone=${(id: string) => {
            setWhen('upcoming')
            setPicked(id)
            load()
          }} />`
        : null
    }
    <div class="toolbar" role="group" aria-label="Which operations">
      <button type="button" aria-pressed=${when_ === 'upcoming'} onClick=${() => setWhen('upcoming')}>Upcoming</button>
      <button type="button" aria-pressed=${when_ === 'past'} onClick=${() => setWhen('past')}>Past</button>
      <button type="button" aria-pressed=${when_ === 'all'} onClick=${() => setWhen('all')}>All</button>
    </div>
    ${
      ops === null
        ? html`<p class="loading">Loading…</p>`
        : html`
          <${Month} ops=${ops} onPick=${setPicked} />
          <ul class="op-list">${ops.map((o) => html`<li key=${o.id}><button type="button" class="link" onClick=${() => setPicked(o.id)}>${o.title}</button> ${when(o.scheduledAt)} · ${o.status}</li>`)}</ul>
          ${shown === undefined ? html`<p>No ${when_ === 'all' ? '' : `${when_} `}operations.</p>` : html`<${OpDetail} key=${shown.id} org=${org} access=${access} op=${shown} ships=${ships} fleet=${fleet} />`}
        `
    }
  `
}
