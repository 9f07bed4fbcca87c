/// <reference lib="dom" />
/** The login form: the node passphrase opens a session. */
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { ApiError, login } from './api.ts'

export function Login({ onIn }: { onIn: () => void }) {
  const [passphrase, setPassphrase] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await login(passphrase)
      onIn()
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'login-locked'
          ? `Too many wrong passphrases: try again in ${err.retryAfter ?? 1} s.`
          : err instanceof ApiError && err.code === 'wrong-passphrase'
            ? 'Wrong passphrase.'
            : (err as Error).message,
      )
    } finally {
      setBusy(false)
    }
  }
  return html`
    <main class="login">
      <h1>Verse Guy</h1>
      <form onSubmit=${submit}>
        <label for="passphrase">Node passphrase</label>
        <input
          id="passphrase"
          type="password"
          autocomplete="current-password"
          required
          value=${passphrase}
          onInput=${(e: Event) => setPassphrase((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled=${busy}>${busy ? 'Unlocking…' : 'Log in'}</button>
        ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
      </form>
    </main>
  `
}
