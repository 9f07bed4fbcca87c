/// <reference lib="dom" />
/** First run: found an org, or join one with an invite token (the CLI's same use cases). */
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api } from './api.ts'
import { useSubmit } from './live.ts'

function Field(p: { id: string; label: string; value: string; set: (v: string) => void; hint?: string }) {
  return html`
    <label for=${p.id}>${p.label}</label>
    <input id=${p.id} required value=${p.value} onInput=${(e: Event) => p.set((e.target as HTMLInputElement).value)} />
    ${p.hint === undefined ? null : html`<small>${p.hint}</small>`}
  `
}

export function FirstRun({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('')
  const [tag, setTag] = useState('')
  const [handle, setHandle] = useState('')
  const [token, setToken] = useState('')
  const [joinHandle, setJoinHandle] = useState('')
  const create = useSubmit(async () => {
    await api.post('/orgs', { name, tag, handle })
    onDone()
  })
  const join = useSubmit(async () => {
    await api.post('/invites/accept', { token: token.trim(), handle: joinHandle })
    onDone()
  })
  return html`
    <h1>Welcome</h1>
    <div class="cards">
      <form class="card" onSubmit=${create.submit} aria-labelledby="create-title">
        <h2 id="create-title">Create an org</h2>
        <${Field} id="org-name" label="Name" value=${name} set=${setName} hint="3 to 64 characters" />
        <${Field} id="org-tag" label="Tag" value=${tag} set=${setTag} hint="2 to 5 upper-case letters or digits" />
        <${Field} id="org-handle" label="Your handle" value=${handle} set=${setHandle} />
        <button type="submit" disabled=${create.busy}>Create</button>
        ${create.error === null ? null : html`<p class="error" role="alert">${create.error}</p>`}
      </form>
      <form class="card" onSubmit=${join.submit} aria-labelledby="join-title">
        <h2 id="join-title">Join with an invite</h2>
        <${Field} id="invite-token" label="Invite token" value=${token} set=${setToken} hint="vginv1.…" />
        <${Field} id="join-handle" label="Your handle" value=${joinHandle} set=${setJoinHandle} />
        <button type="submit" disabled=${join.busy}>Join</button>
        ${join.error === null ? null : html`<p class="error" role="alert">${join.error}</p>`}
      </form>
    </div>
  `
}
