/// <reference lib="dom" />
/**
 * My hangar: your ships with their loadouts; add a ship, change its status, location or
 * visibility, remove it; add a loadout (one component a line: `slot=item`), make one
 * active, remove one. Every text here may have come from anywhere: it is shown as text.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { INSURANCE, SHIP_STATUS, VISIBILITY } from '../../services/fleet/hangar-schema.ts'
import { api } from './api.ts'
import { type Access, type Org, useAction, useChanges, useSubmit } from './live.ts'

export interface Loadout {
  readonly id: string
  readonly name: string
  readonly active: boolean
  readonly components: { slot: string; item: string; manufacturer: string }[]
}
export interface Ship {
  readonly id: string
  readonly owner: string
  readonly model: string
  readonly manufacturer: string
  readonly name: string
  readonly role: string
  readonly cost: number
  readonly insurance: string
  readonly status: string
  readonly location: string
  readonly visibility: string
  readonly loadouts: Loadout[]
}

const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value)

function AddShip({ org }: { org: Org }) {
  const [f, setF] = useState({ model: '', manufacturer: '', name: '', role: '', insurance: 'none', cost: '' })
  const field = (k: keyof typeof f) => input((v) => setF({ ...f, [k]: v }))
  const add = useSubmit(async () => {
    await api.post(`/orgs/${org.id}/ships`, {
      model: f.model,
      manufacturer: f.manufacturer,
      ...(f.name === '' ? {} : { name: f.name }),
      ...(f.role === '' ? {} : { role: f.role }),
      insurance: f.insurance,
      ...(f.cost === '' ? {} : { cost: Number(f.cost) }),
    })
    setF({ model: '', manufacturer: '', name: '', role: '', insurance: 'none', cost: '' })
  })
  return html`
    <form class="card grid" onSubmit=${add.submit} aria-labelledby="add-ship-title">
      <h2 id="add-ship-title">Add a ship</h2>
      <label for="ship-model">Model</label><input id="ship-model" required value=${f.model} onInput=${field('model')} />
      <label for="ship-maker">Manufacturer</label><input id="ship-maker" required value=${f.manufacturer} onInput=${field('manufacturer')} />
      <label for="ship-name">Name</label><input id="ship-name" value=${f.name} onInput=${field('name')} />
      <label for="ship-role">Role</label><input id="ship-role" value=${f.role} onInput=${field('role')} />
      <label for="ship-insurance">Insurance</label>
      <select id="ship-insurance" value=${f.insurance} onChange=${field('insurance')}>${INSURANCE.map((i) => html`<option key=${i}>${i}</option>`)}</select>
      <label for="ship-cost">Pledge cost (USD)</label><input id="ship-cost" type="number" min="0" step="any" value=${f.cost} onInput=${field('cost')} />
      <button type="submit" disabled=${add.busy}>Add ship</button>
      ${add.error === null ? null : html`<p class="error" role="alert">${add.error}</p>`}
    </form>
  `
}

interface ImportResult {
  readonly format: string
  readonly dryRun: boolean
  readonly added: { model: string; name: string }[]
  readonly skipped: { row: number; model: string; reason: string; detail: string }[]
}

/** Import a HangarXPLOR (JSON or CSV) or FleetYards export: look first (dry run), then import. */
function Import({ org }: { org: Org }) {
  const [text, setText] = useState<string | null>(null)
  const [file, setFile] = useState('')
  const [result, setResult] = useState<ImportResult | null>(null)
  const act = useAction()
  const pick = (e: Event) => {
    const f = (e.target as HTMLInputElement).files?.[0]
    setResult(null)
    if (f === undefined) return
    if (f.size > 1024 * 1024) {
      setText(null)
      void act.run(async () => {
        throw new Error(`${f.name} is larger than 1 MiB: not a hangar export`)
      })
      return
    }
    setFile(f.name)
    void f.text().then(setText)
  }
  const send = (dryRun: boolean) =>
    act.run(async () =>
      setResult(await api.post<ImportResult>(`/orgs/${org.id}/ships/import`, { text, dryRun })),
    )
  return html`
    <section class="card" aria-labelledby="import-title">
      <h2 id="import-title">Import a hangar export</h2>
      <label for="import-file">HangarXPLOR (JSON or CSV) or FleetYards export</label>
      <input id="import-file" type="file" accept=".json,.csv,application/json,text/csv" onChange=${pick} />
      <div class="toolbar">
        <button type="button" disabled=${text === null || act.busy} onClick=${() => void send(true)}>Preview</button>
        <button type="button" disabled=${text === null || act.busy} onClick=${() => void send(false)}>Import</button>
      </div>
      ${act.error === null ? null : html`<p class="error" role="alert">${act.error}</p>`}
      ${
        result === null
          ? null
          : html`<p role="status">${file} (${result.format}): ${result.dryRun ? 'would add' : 'added'} ${result.added.length}, skipped ${result.skipped.length}.</p>
            ${result.skipped.length === 0 ? null : html`<ul class="skipped">${result.skipped.map((k) => html`<li key=${k.row}>row ${k.row}: ${k.model} (${k.reason}${k.detail === '' ? '' : `: ${k.detail}`})</li>`)}</ul>`}`
      }
    </section>
  `
}

function ShipCard({ org, ship }: { org: Org; ship: Ship }) {
  const path = `/orgs/${org.id}/members/me/ships/${ship.id}`
  const act = useAction()
  const [loadoutName, setLoadoutName] = useState('')
  const [components, setComponents] = useState('')
  const label = ship.name === '' ? ship.model : `${ship.name} (${ship.model})`
  const addLoadout = useSubmit(async () => {
    const parsed = components
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map((l) => {
        const [slot = '', rest = ''] = l.split('=', 2)
        const [item = '', manufacturer = ''] = rest.split('@', 2)
        return { slot: slot.trim(), item: item.trim(), manufacturer: manufacturer.trim() }
      })
    await api.post(`${path}/loadouts`, { name: loadoutName, components: parsed })
    setLoadoutName('')
    setComponents('')
  })
  const set = (k: string) => (e: Event) =>
    void act.run(() => api.patch(path, { [k]: (e.target as HTMLSelectElement).value }))
  return html`
    <article class="card ship" data-ship=${ship.id} aria-label=${label}>
      <h3>${label}</h3>
      <p>${ship.manufacturer} · ${ship.role === '' ? 'no role' : ship.role} · ${ship.insurance} · ${ship.cost.toLocaleString('en')} USD</p>
      <div class="toolbar">
        <label for=${`status-${ship.id}`}>Status</label>
        <select id=${`status-${ship.id}`} value=${ship.status} onChange=${set('status')}>${SHIP_STATUS.map((s) => html`<option key=${s}>${s}</option>`)}</select>
        <label for=${`vis-${ship.id}`}>Visible to</label>
        <select id=${`vis-${ship.id}`} value=${ship.visibility} onChange=${set('visibility')}>${VISIBILITY.map((s) => html`<option key=${s}>${s}</option>`)}</select>
        <label for=${`loc-${ship.id}`}>Location</label>
        <input
          id=${`loc-${ship.id}`}
          value=${ship.location}
          onChange=${(e: Event) => void act.run(() => api.patch(path, { location: (e.target as HTMLInputElement).value }))}
        />
        <button type="button" class="danger" onClick=${() => confirm(`Remove ${label}?`) && void act.run(() => api.delete(path))}>Remove<span class="sr-only"> ${label}</span></button>
      </div>
      ${act.error === null ? null : html`<p class="error" role="alert">${act.error}</p>`}
      <ul class="loadouts">
        ${ship.loadouts.map(
          (l) => html`<li key=${l.id}>
            <strong>${l.name}</strong>${l.active ? ' (active)' : ''}: ${l.components.map((c) => `${c.slot} ${c.item}`).join(', ') || 'no components'}
            ${l.active ? null : html` <button type="button" class="link" onClick=${() => void act.run(() => api.post(`${path}/loadouts/${l.id}/activate`))}>Make active<span class="sr-only"> ${l.name}</span></button>`}
            <button type="button" class="link" onClick=${() => void act.run(() => api.delete(`${path}/loadouts/${l.id}`))}>Remove<span class="sr-only"> loadout ${l.name}</span></button>
          </li>`,
        )}
      </ul>
      <form class="inline" onSubmit=${addLoadout.submit}>
        <label for=${`lo-name-${ship.id}`}>Loadout</label>
        <input id=${`lo-name-${ship.id}`} required value=${loadoutName} onInput=${input(setLoadoutName)} />
        <label for=${`lo-comp-${ship.id}`}>Components (slot=item@maker, one a line)</label>
        <textarea id=${`lo-comp-${ship.id}`} rows="2" value=${components} onInput=${input(setComponents)}></textarea>
        <button type="submit" disabled=${addLoadout.busy}>Add loadout</button>
      </form>
      ${addLoadout.error === null ? null : html`<p class="error" role="alert">${addLoadout.error}</p>`}
    </article>
  `
}

export function Hangar({ org }: { org: Org; access: Access }) {
  const [ships, setShips] = useState<Ship[] | null>(null)
  const load = useCallback(() => {
    void api
      .get<{ items: { id: string }[] }>(`/orgs/${org.id}/ships?owner=me&limit=500`)
      .then(async (p) =>
        setShips(
          await Promise.all(p.items.map((s) => api.get<Ship>(`/orgs/${org.id}/members/me/ships/${s.id}`))),
        ),
      )
  }, [org.id])
  useEffect(load, [load])
  useChanges(load)
  return html`
    <h1>My hangar</h1>
    <div class="cards">
      <${AddShip} org=${org} />
      <${Import} org=${org} />
    </div>
    ${ships === null ? html`<p class="loading">Loading…</p>` : ships.length === 0 ? html`<p>No ships yet.</p>` : ships.map((s) => html`<${ShipCard} key=${s.id} org=${org} ship=${s} />`)}
  `
}
