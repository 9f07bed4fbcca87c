/// <reference lib="dom" />
/**
 * The org fleet: its composition by manufacturer, role, status and insurance (bar charts
 * drawn as plain SVG, no chart library), its total value, and the ships you may see, a
 * page at a time.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import type { Ship } from './hangar.ts'
import { type Access, can, type Org, useChanges } from './live.ts'

interface Stats {
  readonly ships: number
  readonly totalCost: number
  readonly byManufacturer: Record<string, number>
  readonly byRole: Record<string, number>
  readonly byStatus: Record<string, number>
  readonly byInsurance: Record<string, number>
}

/** A label that fits beside its bar (the whole text is in the chart's accessible name). */
const short = (s: string) => (s.length > 16 ? `${s.slice(0, 15)}…` : s)

/** One horizontal bar chart; the numbers are in the text too (a chart is not the only way to read them). */
function Bars({ title, counts }: { title: string; counts: Record<string, number> }) {
  const rows = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
  const max = Math.max(1, ...rows.map(([, n]) => n))
  const h = 22
  return html`
    <figure class="card chart">
      <figcaption>${title}</figcaption>
      <svg role="img" aria-label=${`${title}: ${rows.map(([k, n]) => `${k} ${n}`).join(', ')}`} viewBox=${`0 0 300 ${rows.length * h}`} width="100%">
        ${rows.map(
          ([k, n], i) => html`<g key=${k} transform=${`translate(0 ${i * h})`}>
            <text x="0" y="15" class="label">${short(k === '' ? '(none)' : k)}</text>
            <rect x="110" y="4" height="14" width=${(150 * n) / max} class="bar"></rect>
            <text x=${116 + (150 * n) / max} y="15" class="value">${n}</text>
          </g>`,
        )}
      </svg>
    </figure>
  `
}

export function Fleet({ org, access }: { org: Org; access: Access }) {
  const [stats, setStats] = useState<Stats | null>(null)
  const [ships, setShips] = useState<Ship[]>([])
  const load = useCallback(() => {
    void api.get<Stats>(`/orgs/${org.id}/fleet/stats`).then(setStats)
    void api
      .get<{ items: Ship[] }>(`/orgs/${org.id}/ships?limit=50&sort=model`)
      .then((p) => setShips(p.items))
  }, [org.id])
  useEffect(() => {
    if (can(access, 'fleet:view')) load()
  }, [load, access])
  useChanges(load)
  if (!can(access, 'fleet:view'))
    return html`<p>Your rank (${access.rankName}) may not see the org fleet.</p>`
  if (stats === null) return html`<p class="loading">Loading…</p>`
  return html`
    <h1>Org fleet</h1>
    <dl class="stats">
      <div><dt>Ships</dt><dd data-stat="fleet-ships">${stats.ships}</dd></div>
      <div><dt>Total value</dt><dd data-stat="fleet-value">${stats.totalCost.toLocaleString('en')} USD</dd></div>
    </dl>
    <div class="charts">
      <${Bars} title="By manufacturer" counts=${stats.byManufacturer} />
      <${Bars} title="By role" counts=${stats.byRole} />
      <${Bars} title="By status" counts=${stats.byStatus} />
      <${Bars} title="By insurance" counts=${stats.byInsurance} />
    </div>
    <table class="fleet">
      <caption>Ships (first 50 by model)</caption>
      <thead><tr><th scope="col">Model</th><th scope="col">Name</th><th scope="col">Manufacturer</th><th scope="col">Status</th><th scope="col">Location</th></tr></thead>
      <tbody>
        ${ships.map((s) => html`<tr key=${`${s.owner}/${s.id}`}><td>${s.model}</td><td>${s.name}</td><td>${s.manufacturer}</td><td>${s.status}</td><td>${s.location}</td></tr>`)}
      </tbody>
    </table>
  `
}
