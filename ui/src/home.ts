/// <reference lib="dom" />
/**
 * After login: the first run (create an org or join one with an invite) when this node
 * holds no org, else the org's pages under a navigation bar (hash routes: `#/roster`…).
 * Each page gets the org and your access in it, and offers only what your rank allows.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api, logout } from './api.ts'
import { Audit } from './audit.ts'
import { Dashboard } from './dashboard.ts'
import { FirstRun } from './first-run.ts'
import { Fleet } from './fleet.ts'
import { Hangar } from './hangar.ts'
import { type Access, type Org, useChanges } from './live.ts'
import { Operations } from './operations.ts'
import { Ranks } from './ranks.ts'
import { Roster } from './roster.ts'
import { Settings } from './settings.ts'

const PAGES = [
  { path: '', title: 'Dashboard', view: Dashboard },
  { path: 'roster', title: 'Roster', view: Roster },
  { path: 'ranks', title: 'Ranks', view: Ranks },
  { path: 'hangar', title: 'My hangar', view: Hangar },
  { path: 'fleet', title: 'Org fleet', view: Fleet },
  { path: 'ops', title: 'Operations', view: Operations },
  { path: 'audit', title: 'Audit', view: Audit },
  { path: 'settings', title: 'Peers & license', view: Settings },
] as const

function useHashPath(): string {
  const read = () => location.hash.replace(/^#\/?/, '')
  const [path, setPath] = useState(read)
  useEffect(() => {
    const on = () => setPath(read())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return path
}

export function Home({ onOut }: { onOut: () => void }) {
  const [orgs, setOrgs] = useState<Org[] | null>(null)
  const [access, setAccess] = useState<Access | null>(null)
  const load = useCallback(() => {
    void api.get<Org[]>('/orgs').then(async (all) => {
      const live = all.filter((x) => !x.deleted)
      setOrgs(live)
      setAccess(live[0] === undefined ? null : await api.get<Access>(`/orgs/${live[0].id}/me`))
    })
  }, [])
  useEffect(load, [load])
  useChanges(load)
  const path = useHashPath()
  const out = async () => {
    await logout()
    onOut()
  }
  const org = orgs?.[0]
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0]
  return html`
    <header class="top">
      <span class="brand">Verse Guy</span>
      ${org === undefined ? null : html`<span class="org">${org.name} [${org.tag}]</span>`}
      <button type="button" class="link" onClick=${out}>Log out</button>
    </header>
    ${
      org === undefined || access === null
        ? null
        : html`<nav aria-label="Pages">
            ${PAGES.map(
              (p) =>
                html`<a key=${p.path} href=${`#/${p.path}`} aria-current=${p === page ? 'page' : undefined}>${p.title}</a>`,
            )}
          </nav>`
    }
    <main>
      ${
        orgs === null
          ? html`<p class="loading">Loading…</p>`
          : org === undefined
            ? html`<${FirstRun} onDone=${load} />`
            : access === null
              ? html`<p class="loading">Loading…</p>`
              : html`<${page.view} org=${org} access=${access} />`
      }
    </main>
  `
}
