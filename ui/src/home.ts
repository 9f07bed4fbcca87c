/// <reference lib="dom" />
/**
 * After login: the first run (create an org or join one with an invite) when this node
 * holds no org, else the dashboard. Live: the node's event stream says when a document
 * changed (here or from a peer) and the page reads again.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api, logout } from './api.ts'
import { Dashboard } from './dashboard.ts'
import { FirstRun } from './first-run.ts'
import { type Org, useChanges } from './live.ts'

export function Home({ onOut }: { onOut: () => void }) {
  const [orgs, setOrgs] = useState<Org[] | null>(null)
  const load = useCallback(() => {
    void api.get<Org[]>('/orgs').then((o) => setOrgs(o.filter((x) => !x.deleted)))
  }, [])
  useEffect(load, [load])
  useChanges(load)
  const out = async () => {
    await logout()
    onOut()
  }
  return html`
    <header class="top">
      <span class="brand">Verse Guy</span>
      ${orgs?.[0] === undefined ? null : html`<span class="org">${orgs[0].name} [${orgs[0].tag}]</span>`}
      <button type="button" class="link" onClick=${out}>Log out</button>
    </header>
    <main>
      ${
        orgs === null
          ? html`<p class="loading">Loading…</p>`
          : orgs.length === 0
            ? html`<${FirstRun} onDone=${load} />`
            : html`<${Dashboard} org=${orgs[0]} />`
      }
    </main>
  `
}
