/// <reference lib="dom" />
/**
 * The audit trail: entries newest first, filtered by member, action, document and time,
 * a page at a time; verification with a verdict per member's chain; export (a license
 * feature: the node says so when it is not included).
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import { type Access, can, type Org, useAction, useChanges, useHandles, when } from './live.ts'

interface Entry {
  readonly author: string
  readonly seq: number
  readonly time: number
  readonly action: string
  readonly resource: string
}
interface Verdict {
  readonly author: string
  readonly status: string
  readonly entries: number
  readonly verified: number
  readonly issues: readonly { kind: string }[]
}

const KEY = /^[0-9a-f]{64}$/

/** The member key a filter names: a key as given, else the member whose handle it is (any case). */
async function memberKeyOf(org: string, text: string): Promise<string> {
  if (KEY.test(text)) return text
  const found = await api.get<{ items: { memberKey: string; handle: string }[] }>(
    `/orgs/${org}/members?${new URLSearchParams({ q: text, limit: '500' })}`,
  )
  const member = found.items.find((m) => m.handle.toLowerCase() === text.toLowerCase())
  if (member === undefined)
    throw new Error(`No member has the handle ${text} (give a handle or a member key).`)
  return member.memberKey
}

const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value)

export function Audit({ org, access }: { org: Org; access: Access }) {
  const [f, setF] = useState({ member: '', action: '', doc: '', since: '', until: '' })
  const [entries, setEntries] = useState<Entry[]>([])
  const [next, setNext] = useState<string | null>(null)
  const [verdict, setVerdict] = useState<{ ok: boolean; chains: Verdict[] } | null>(null)
  const act = useAction()
  const query = useCallback(
    async (cursor?: string) => {
      const q = new URLSearchParams({ limit: '50' })
      if (f.member.trim() !== '') q.set('member', await memberKeyOf(org.id, f.member.trim()))
      if (f.action !== '') q.set('action', f.action)
      if (f.doc !== '') q.set('doc', f.doc)
      if (f.since !== '') q.set('since', String(new Date(f.since).getTime()))
      if (f.until !== '') q.set('until', String(new Date(f.until).getTime()))
      if (cursor !== undefined) q.set('cursor', cursor)
      return api.get<{ items: Entry[]; next: string | null }>(`/orgs/${org.id}/audit?${q}`)
    },
    [org.id, f],
  )
  const load = useCallback(() => {
    void act.run(async () => {
      const p = await query()
      setEntries(p.items)
      setNext(p.next)
    })
  }, [query])
  useEffect(() => {
    if (can(access, 'audit:view')) load()
  }, [load, access])
  useChanges(load)
  const names = useHandles(org.id, [
    ...entries.map((e) => e.author),
    ...(verdict?.chains.map((c) => c.author) ?? []),
  ])
  if (!can(access, 'audit:view'))
    return html`<p>Your rank (${access.rankName}) may not read the audit trail.</p>`
  const field = (k: keyof typeof f) => input((v) => setF({ ...f, [k]: v }))
  return html`
    <h1>Audit trail</h1>
    <form class="inline" onSubmit=${(e: Event) => {
      e.preventDefault()
      load()
    }} aria-label="Filters">
      <label for="a-member">Member</label><input id="a-member" value=${f.member} onInput=${field('member')} placeholder="handle or key" />
      <label for="a-action">Action</label><input id="a-action" value=${f.action} onInput=${field('action')} placeholder="ship.add" />
      <label for="a-doc">Document</label><input id="a-doc" value=${f.doc} onInput=${field('doc')} />
      <label for="a-since">From</label><input id="a-since" type="datetime-local" value=${f.since} onInput=${field('since')} />
      <label for="a-until">To</label><input id="a-until" type="datetime-local" value=${f.until} onInput=${field('until')} />
    </form>
    <div class="toolbar">
      <button type="button" onClick=${() => void act.run(async () => setVerdict(await api.get(`/orgs/${org.id}/audit/verify`)))}>Verify every chain</button>
      <a href=${`/api/v1/orgs/${org.id}/audit/export?format=csv`} download="audit.csv">Export CSV</a>
      <a href=${`/api/v1/orgs/${org.id}/audit/export?format=jsonl`} download="audit.jsonl">Export JSON Lines</a>
    </div>
    ${act.error === null ? null : html`<p class="error" role="alert">${act.error}</p>`}
    ${
      verdict === null
        ? null
        : html`<section aria-labelledby="verdict-title" class=${`card verdict ${verdict.ok ? 'ok' : 'bad'}`}>
            <h2 id="verdict-title">${verdict.ok ? 'Every chain verifies' : 'Some chains do not verify'}</h2>
            <ul>${verdict.chains.map((c) => html`<li key=${c.author} data-chain=${c.author}>${names.get(c.author) ?? `${c.author.slice(0, 16)}…`}: <strong>${c.status}</strong>, ${c.verified}/${c.entries} verified${c.issues.length === 0 ? '' : ` (${c.issues.map((i) => i.kind).join(', ')})`}</li>`)}</ul>
          </section>`
    }
    <table class="audit">
      <thead><tr><th scope="col">Time</th><th scope="col">Member</th><th scope="col">Seq</th><th scope="col">Action</th><th scope="col">Resource</th></tr></thead>
      <tbody>${entries.map((e) => html`<tr key=${`${e.author}/${e.seq}`}><td>${when(e.time)}</td><td>${names.get(e.author) ?? e.author.slice(0, 12)}</td><td>${e.seq}</td><td>${e.action}</td><td>${e.resource}</td></tr>`)}</tbody>
    </table>
    ${
      next === null
        ? null
        : html`<button type="button" onClick=${() =>
            void act.run(async () => {
              const p = await query(next)
              setEntries([...entries, ...p.items])
              setNext(p.next)
            })}>Show more</button>`
    }
  `
}
