/// <reference lib="dom" />
/**
 * Peers, license and settings: the peers this node knows and their sync state, dial an
 * address, ban and unban; the org's license and installing one (pasted); backups
 * (backups.ts); the node passphrase.
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api, changePassphrase } from './api.ts'
import { Backups } from './backups.ts'
import { type Access, type Org, useAction, useChanges, useSubmit, when } from './live.ts'

interface Peer {
  readonly peerId: string
  readonly memberKey: string | null
  readonly connected: boolean
  readonly lastSync: number | null
  readonly weWereBehind: number
  readonly peerWasBehind: number
  readonly lastError: string | null
  readonly banned: boolean
}
interface License {
  readonly org: string
  readonly state: string
  readonly tier: string | null
  readonly effectiveTier: string
  readonly features: string[]
  readonly expires: number | null
  readonly seats: number | null
  readonly members: number
  readonly warnings: string[]
  readonly orgRef: string
}

function Passphrase() {
  const [f, setF] = useState({ current: '', next: '', again: '' })
  const [done, setDone] = useState(false)
  const field = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value })
  const change = useSubmit(async () => {
    setDone(false)
    if (f.next !== f.again) throw new Error('The new passphrase and its repetition differ.')
    await changePassphrase(f.current, f.next)
    setF({ current: '', next: '', again: '' })
    setDone(true)
  })
  return html`
    <form class="card grid" onSubmit=${change.submit} aria-labelledby="pass-title">
      <h2 id="pass-title">Change the node passphrase</h2>
      <label for="pass-current">Current passphrase</label>
      <input id="pass-current" type="password" autocomplete="current-password" required value=${f.current} onInput=${field('current')} />
      <label for="pass-next">New passphrase</label>
      <input id="pass-next" type="password" autocomplete="new-password" minlength="8" required value=${f.next} onInput=${field('next')} />
      <label for="pass-again">New passphrase again</label>
      <input id="pass-again" type="password" autocomplete="new-password" required value=${f.again} onInput=${field('again')} />
      <button type="submit" disabled=${change.busy}>${change.busy ? 'Sealing the key…' : 'Change passphrase'}</button>
      ${change.error === null ? null : html`<p class="error" role="alert">${change.error}</p>`}
      ${done ? html`<p role="status">Changed: use the new passphrase from now on (login, start, commands).</p>` : null}
    </form>
  `
}

export function Settings({ org, access }: { org: Org; access: Access }) {
  const [peers, setPeers] = useState<{ addresses: string[]; peers: Peer[] } | null>(null)
  const [license, setLicense] = useState<License | null>(null)
  const [address, setAddress] = useState('')
  const [licenseText, setLicenseText] = useState('')
  const act = useAction()
  const load = useCallback(() => {
    void api.get<{ addresses: string[]; peers: Peer[] }>('/peers').then(setPeers, () => setPeers(null))
    void api
      .get<{ orgs: License[] }>('/licenses')
      .then((all) => setLicense(all.orgs.find((l) => l.org === org.id) ?? null))
  }, [org.id])
  useEffect(load, [load])
  useChanges(load)
  const dial = useSubmit(async () => {
    await api.post('/peers/dial', { address })
    setAddress('')
    load()
  })
  const install = useSubmit(async () => {
    await api.put(`/orgs/${org.id}/license`, { text: licenseText })
    setLicenseText('')
    load()
  })
  const ban = (p: Peer) =>
    void act.run(async () => {
      await (p.banned ? api.delete(`/peers/${p.peerId}/ban`) : api.post(`/peers/${p.peerId}/ban`))
      load()
    })
  return html`
    <h1>Peers, license and settings</h1>
    <section aria-labelledby="peers-title">
      <h2 id="peers-title">Peers</h2>
      ${
        peers === null
          ? html`<p>Loading…</p>`
          : html`
        <p>This node listens on: ${peers.addresses.join(', ') || 'no address'}</p>
        <table>
          <thead><tr><th scope="col">Peer</th><th scope="col">Connected</th><th scope="col">Last sync</th><th scope="col">Behind (us / them)</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${peers.peers.map((p) => html`<tr key=${p.peerId}><td>${p.peerId.slice(0, 16)}…${p.lastError === null ? '' : html`<br /><small>${p.lastError}</small>`}</td><td>${p.connected ? 'yes' : 'no'}</td><td>${p.lastSync === null ? 'never' : when(p.lastSync)}</td><td>${p.weWereBehind} / ${p.peerWasBehind}</td><td><button type="button" class=${p.banned ? '' : 'danger'} onClick=${() => ban(p)}>${p.banned ? 'Unban' : 'Ban'}<span class="sr-only"> ${p.peerId}</span></button></td></tr>`)}</tbody>
        </table>
        <form class="inline" onSubmit=${dial.submit}>
          <label for="dial-address">Dial an address</label>
          <input id="dial-address" required value=${address} onInput=${(e: Event) => setAddress((e.target as HTMLInputElement).value)} placeholder="/ip4/192.168.1.20/tcp/4001/p2p/12D3KooW…" />
          <button type="submit" disabled=${dial.busy}>Dial</button>
        </form>
        ${dial.error === null ? null : html`<p class="error" role="alert">${dial.error}</p>`}
      `
      }
      ${act.error === null ? null : html`<p class="error" role="alert">${act.error}</p>`}
    </section>
    <section aria-labelledby="license-title">
      <h2 id="license-title">License</h2>
      ${
        license === null
          ? html`<p>Loading…</p>`
          : html`
        <dl class="facts">
          <dt>State</dt><dd data-license="state">${license.state}</dd>
          <dt>Tier in force</dt><dd data-license="tier">${license.effectiveTier}</dd>
          <dt>Expires</dt><dd>${license.expires === null ? '—' : when(license.expires)}</dd>
          <dt>Seats</dt><dd>${license.members} of ${license.seats ?? 'unlimited'}</dd>
          <dt>Features</dt><dd>${license.features.join(', ')}</dd>
          <dt>For an issuer</dt><dd><code>${license.orgRef}</code></dd>
        </dl>
        ${license.warnings.map((w) => html`<p class="error" key=${w}>${w}</p>`)}
      `
      }
      ${
        access.rank === 'leader' || access.permissions.includes('org:manage')
          ? html`
        <form onSubmit=${install.submit}>
          <label for="license-text">Install a license (paste the file's text)</label>
          <textarea id="license-text" rows="4" required value=${licenseText} onInput=${(e: Event) => setLicenseText((e.target as HTMLTextAreaElement).value)}></textarea>
          <button type="submit" disabled=${install.busy}>Install</button>
        </form>
        ${install.error === null ? null : html`<p class="error" role="alert">${install.error}</p>`}
      `
          : null
      }
    </section>
    <${Backups} />
    <${Passphrase} />
  `
}
