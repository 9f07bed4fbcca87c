/// <reference lib="dom" />
/**
 * Ranks: the org's ranks with their level and permissions; with ranks:manage and a
 * license that has custom ranks, create one below your level (with Pro it takes a default
 * rank's permissions; a set of your own needs Enterprise), rename, move and delete ranks
 * nobody holds. And, for those who may kick, the changes flagged as concurrent with a
 * kick or a departure (they count nowhere).
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import { type Access, can, type Org, useAction, useChanges, useSubmit, when } from './live.ts'

interface Rank {
  readonly id: string
  readonly name: string
  readonly level: number
  readonly permissions: string[]
}
interface Flagged {
  readonly author: string
  readonly seq: number
  readonly action: string
  readonly resource: string
  readonly time: number
  readonly why: string
}

function NewRank({ org, access, ranks }: { org: Org; access: Access; ranks: Rank[] }) {
  const [name, setName] = useState('')
  const [level, setLevel] = useState('')
  const [like, setLike] = useState('member')
  const create = useSubmit(async () => {
    const base = ranks.find((r) => r.id === like)
    await api.post(`/orgs/${org.id}/ranks`, {
      id: name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, ''),
      name,
      level: Number(level),
      permissions: base?.permissions ?? [],
    })
    setName('')
    setLevel('')
  })
  const field = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value)
  return html`
    <form class="card grid" onSubmit=${create.submit} aria-labelledby="new-rank-title">
      <h2 id="new-rank-title">Create a rank</h2>
      <label for="rank-name">Name</label><input id="rank-name" required maxlength="32" value=${name} onInput=${field(setName)} />
      <label for="rank-level">Level (below ${access.level})</label><input id="rank-level" type="number" min="1" max=${access.level - 1} required value=${level} onInput=${field(setLevel)} />
      <label for="rank-like">Permissions like</label>
      <select id="rank-like" value=${like} onChange=${field(setLike)}>${ranks.filter((r) => r.level < access.level).map((r) => html`<option key=${r.id} value=${r.id}>${r.name}</option>`)}</select>
      <button type="submit" disabled=${create.busy}>Create rank</button>
      ${create.error === null ? null : html`<p class="error" role="alert">${create.error}</p>`}
    </form>
  `
}

export function Ranks({ org, access }: { org: Org; access: Access }) {
  const [ranks, setRanks] = useState<Rank[]>([])
  const [flagged, setFlagged] = useState<Flagged[] | null>(null)
  const act = useAction()
  const load = useCallback(() => {
    if (can(access, 'ranks:view')) void api.get<Rank[]>(`/orgs/${org.id}/ranks`).then(setRanks)
    if (can(access, 'members:kick', 'members:manage'))
      void api.get<{ items: Flagged[] }>(`/orgs/${org.id}/flagged?limit=50`).then((p) => setFlagged(p.items))
  }, [org.id, access])
  useEffect(load, [load])
  useChanges(load)
  if (!can(access, 'ranks:view')) return html`<p>Your rank (${access.rankName}) may not see the ranks.</p>`
  const manage = can(access, 'ranks:manage')
  return html`
    <h1>Ranks</h1>
    <table class="ranks">
      <thead><tr><th scope="col">Rank</th><th scope="col">Level</th><th scope="col">Permissions</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>
        ${ranks.map(
          (r) => html`<tr key=${r.id} data-rank=${r.id}>
            <td>${r.name}</td><td>${r.level}</td><td>${r.permissions.join(', ')}</td>
            <td>${manage && r.level < access.level ? html`<button type="button" class="link" onClick=${() => confirm(`Delete rank ${r.name}?`) && void act.run(() => api.delete(`/orgs/${org.id}/ranks/${r.id}`))}>Delete<span class="sr-only"> rank ${r.name}</span></button>` : null}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${act.error === null ? null : html`<p class="error" role="alert">${act.error}</p>`}
    ${manage ? html`<${NewRank} org=${org} access=${access} ranks=${ranks} />` : null}
    ${
      flagged === null
        ? null
        : html`<section aria-labelledby="flagged-title">
            <h2 id="flagged-title">Changes flagged after a kick or departure</h2>
            ${flagged.length === 0 ? html`<p>None.</p>` : html`<ul class="flagged">${flagged.map((f) => html`<li key=${`${f.author}/${f.seq}`}>${when(f.time)} ${f.author.slice(0, 12)} ${f.action} ${f.resource} (${f.why}; counts nowhere)</li>`)}</ul>`}
          </section>`
    }
  `
}
