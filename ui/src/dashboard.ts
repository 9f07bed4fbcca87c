/// <reference lib="dom" />
/** The dashboard: members, ships and fleet value, upcoming operations, recent activity, peers. */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import { type Org, useChanges, when } from './live.ts'

interface Page<T> {
  readonly items: T[]
  readonly total: number
}
interface Op {
  readonly id: string
  readonly title: string
  readonly type: string
  readonly scheduledAt: number
  readonly status: string
}
interface AuditItem {
  readonly author: string
  readonly seq: number
  readonly time: number
  readonly action: string
  readonly resource: string
}
interface Summary {
  readonly members: number
  readonly ships: number
  readonly value: number
  readonly ops: Op[]
  readonly activity: AuditItem[] | null
  readonly peers: number
  /** Changes this node lacked at its last sync with each connected peer, summed. */
  readonly behind: number
}

async function summary(org: string): Promise<Summary> {
  const base = `/orgs/${org}`
  const [members, stats, ops, audit, peers] = await Promise.all([
    api.get<Page<unknown>>(`${base}/members?limit=1`),
    api.get<{ ships: number; totalCost: number }>(`${base}/fleet/stats`),
    api.get<Page<Op>>(`${base}/ops?when=upcoming&limit=5`),
    api.get<Page<AuditItem>>(`${base}/audit?limit=8`).catch(() => null),
    api
      .get<{ peers: { connected: boolean; weWereBehind: number }[] }>('/peers')
      .catch(() => ({ peers: [] as { connected: boolean; weWereBehind: number }[] })),
  ])
  return {
    members: members.total,
    ships: stats.ships,
    value: stats.totalCost,
    ops: ops.items,
    activity: audit?.items ?? null,
    peers: peers.peers.filter((p) => p.connected).length,
    behind: peers.peers.reduce((n, p) => n + (p.connected ? p.weWereBehind : 0), 0),
  }
}

export function Dashboard({ org }: { org: Org }) {
  const [s, setS] = useState<Summary | null>(null)
  const load = useCallback(() => {
    void summary(org.id).then(setS)
  }, [org.id])
  useEffect(load, [load])
  useChanges(load)
  if (s === null) return html`<p class="loading">Loading…</p>`
  return html`
    <h1>${org.name}</h1>
    <dl class="stats">
      <div><dt>Members</dt><dd data-stat="members">${s.members}</dd></div>
      <div><dt>Ships</dt><dd data-stat="ships">${s.ships}</dd></div>
      <div><dt>Fleet value</dt><dd data-stat="value">${s.value.toLocaleString('en')} USD</dd></div>
      <div><dt>Peers connected</dt><dd data-stat="peers">${s.peers}</dd></div>
      <div><dt>Sync</dt><dd data-stat="sync">${s.peers === 0 ? 'offline' : s.behind === 0 ? 'in sync' : `${s.behind} behind`}</dd></div>
    </dl>
    <section aria-labelledby="ops-title">
      <h2 id="ops-title">Upcoming operations</h2>
      ${
        s.ops.length === 0
          ? html`<p>None planned.</p>`
          : html`<ul class="ops">${s.ops.map((o) => html`<li key=${o.id}><strong>${o.title}</strong> ${o.type}, ${when(o.scheduledAt)} (${o.status})</li>`)}</ul>`
      }
    </section>
    ${
      s.activity === null
        ? null
        : html`<section aria-labelledby="activity-title">
            <h2 id="activity-title">Recent activity</h2>
            <ul class="activity">${s.activity.map((a) => html`<li key=${`${a.author}${a.seq}`}>${when(a.time)} ${a.action} ${a.resource}</li>`)}</ul>
          </section>`
    }
  `
}
