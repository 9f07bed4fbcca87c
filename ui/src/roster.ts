/// <reference lib="dom" />
/**
 * Roster and invites: members a page at a time (search by handle, sort), promote or
 * demote and kick where your rank allows; make an invite (a token to copy) and revoke
 * open ones. 10,000 members stay fast: the node pages and searches, the page shows 50.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import { type Access, can, type Org, useAction, useChanges, useSubmit, when } from './live.ts'
import { Qr } from './qr.ts'

interface Member {
  readonly memberKey: string
  readonly handle: string
  readonly rank: string
  readonly rankName: string
  readonly level: number
  readonly joinedAt: number
  readonly ships: number
}
interface Rank {
  readonly id: string
  readonly name: string
  readonly level: number
}
interface Invite {
  readonly id: string
  readonly rank: string
  readonly expiresAt: number
  readonly status: string
}
interface Page<T> {
  readonly items: T[]
  readonly next: string | null
  readonly total: number
}

const SORTS = ['handle', 'rank', 'joined', 'ships'] as const

function Members({ org, access, ranks }: { org: Org; access: Access; ranks: Rank[] }) {
  const [q, setQ] = useState('')
  const [sort, setSort] = useState<(typeof SORTS)[number]>('handle')
  const [page, setPage] = useState<Page<Member> | null>(null)
  const [more, setMore] = useState<Member[]>([])
  const query = useCallback(
    (cursor?: string) =>
      api.get<Page<Member>>(
        `/orgs/${org.id}/members?${new URLSearchParams({ q, sort, limit: '50', ...(cursor ? { cursor } : {}) })}`,
      ),
    [org.id, q, sort],
  )
  const load = useCallback(() => {
    void query().then((p) => {
      setPage(p)
      setMore([])
    })
  }, [query])
  useEffect(() => {
    const t = setTimeout(load, 200)
    return () => clearTimeout(t)
  }, [load])
  useChanges(load)
  const next = more.length > 0 ? null : page?.next
  const assignable = ranks.filter((r) => r.level < access.level)
  const action = useAction()
  const assign = (m: Member, rank: string) =>
    action.run(() => api.put(`/orgs/${org.id}/members/${m.memberKey}/rank`, { rank }))
  const kick = (m: Member) => {
    if (confirm(`Kick ${m.handle}? Their changes stop counting on every node.`))
      void action.run(() => api.post(`/orgs/${org.id}/members/${m.memberKey}/kick`))
  }
  const rows = [...(page?.items ?? []), ...more]
  return html`
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members ${page === null ? '' : html`<small>(${page.total})</small>`}</h2>
      <div class="toolbar">
        <label for="member-search">Search</label>
        <input id="member-search" type="search" value=${q} onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} />
        <label for="member-sort">Sort by</label>
        <select id="member-sort" value=${sort} onChange=${(e: Event) => setSort((e.target as HTMLSelectElement).value as (typeof SORTS)[number])}>
          ${SORTS.map((s) => html`<option key=${s} value=${s}>${s}</option>`)}
        </select>
      </div>
      <table class="members">
        <thead><tr><th scope="col">Handle</th><th scope="col">Rank</th><th scope="col">Joined</th><th scope="col">Ships</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${rows.map(
            (m) => html`<tr key=${m.memberKey} data-member=${m.handle}>
              <td>${m.handle}</td>
              <td>${
                can(access, 'ranks:assign') && m.level < access.level && m.memberKey !== access.memberKey
                  ? html`<select aria-label=${`Rank of ${m.handle}`} value=${m.rank} onChange=${(e: Event) => assign(m, (e.target as HTMLSelectElement).value)}>
                      ${[...assignable, ...(assignable.some((r) => r.id === m.rank) ? [] : [{ id: m.rank, name: m.rankName, level: m.level }])].map((r) => html`<option key=${r.id} value=${r.id}>${r.name}</option>`)}
                    </select>`
                  : m.rankName
              }</td>
              <td>${when(m.joinedAt)}</td>
              <td>${m.ships}</td>
              <td>${
                can(access, 'members:kick') && m.level < access.level && m.memberKey !== access.memberKey
                  ? html`<button type="button" class="danger" onClick=${() => kick(m)}>Kick<span class="sr-only"> ${m.handle}</span></button>`
                  : null
              }</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${action.error === null ? null : html`<p class="error" role="alert">${action.error}</p>`}
      ${next ? html`<button type="button" onClick=${() => void query(next).then((p) => setMore(p.items))}>Show more</button>` : null}
    </section>
  `
}

function Invites({ org, access, ranks }: { org: Org; access: Access; ranks: Rank[] }) {
  const below = ranks.filter((r) => r.level < access.level)
  const [rank, setRank] = useState(below.find((r) => r.id === 'member')?.id ?? below[0]?.id ?? '')
  const [token, setToken] = useState<string | null>(null)
  const [invites, setInvites] = useState<Invite[]>([])
  const load = useCallback(() => {
    void api.get<Page<Invite>>(`/orgs/${org.id}/invites?limit=20`).then((p) => setInvites(p.items))
  }, [org.id])
  useEffect(load, [load])
  useChanges(load)
  const create = useSubmit(async () => {
    setToken((await api.post<{ token: string }>(`/orgs/${org.id}/invites`, { rank })).token)
    load() // an invite changes no document: no event comes for it
  })
  const revoker = useAction()
  const revoke = (id: string) =>
    void revoker.run(() => api.delete(`/orgs/${org.id}/invites/${id}`)).then(load)
  return html`
    <section aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <form class="inline" onSubmit=${create.submit}>
        <label for="invite-rank">Rank</label>
        <select id="invite-rank" value=${rank} onChange=${(e: Event) => setRank((e.target as HTMLSelectElement).value)}>
          ${below.map((r) => html`<option key=${r.id} value=${r.id}>${r.name}</option>`)}
        </select>
        <button type="submit" disabled=${create.busy}>Make an invite</button>
      </form>
      ${create.error === null ? null : html`<p class="error" role="alert">${create.error}</p>`}
      ${revoker.error === null ? null : html`<p class="error" role="alert">${revoker.error}</p>`}
      ${
        token === null
          ? null
          : html`<div class="token">
              <label for="invite-token">Send this to the new member (single use):</label>
              <textarea id="invite-token" readonly rows="3">${token}</textarea>
              <button type="button" onClick=${() => void navigator.clipboard?.writeText(token)}>Copy</button>
              <${Qr} text=${token} label="The invite as a QR code, for a phone" />
            </div>`
      }
      <ul class="invites">
        ${invites.map(
          (
            i,
          ) => html`<li key=${i.id}>${i.id.slice(0, 8)} · ${i.rank} · ${i.status}${i.status === 'open' ? ` until ${when(i.expiresAt)}` : ''}
            ${i.status === 'open' ? html` <button type="button" class="link" onClick=${() => revoke(i.id)}>Revoke<span class="sr-only"> invite ${i.id.slice(0, 8)}</span></button>` : null}</li>`,
        )}
      </ul>
    </section>
  `
}

export function Roster({ org, access }: { org: Org; access: Access }) {
  const [ranks, setRanks] = useState<Rank[]>([])
  useEffect(() => {
    if (can(access, 'ranks:view')) void api.get<Rank[]>(`/orgs/${org.id}/ranks`).then(setRanks)
  }, [org.id, access])
  if (!can(access, 'members:view')) return html`<p>Your rank (${access.rankName}) may not see the roster.</p>`
  return html`
    <h1>Roster</h1>
    <${Members} org=${org} access=${access} ranks=${ranks} />
    ${can(access, 'members:invite', 'members:manage') ? html`<${Invites} org=${org} access=${access} ranks=${ranks} />` : null}
  `
}
