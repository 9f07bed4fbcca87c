/// <reference lib="dom" />
/**
 * The node's web UI: a page the node serves itself (Preact + htm, bundled by esbuild when
 * first asked for). Every text a peer can set is rendered as text (htm escapes it; no
 * raw HTML anywhere).
 */
import { html } from 'htm/preact'
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { resumeSession } from './api.ts'
import { Home } from './home.ts'
import { Login } from './login.ts'

function App() {
  const [state, setState] = useState<'checking' | 'out' | 'in'>('checking')
  useEffect(() => {
    void resumeSession().then((ok) => setState(ok ? 'in' : 'out'))
  }, [])
  if (state === 'checking') return html`<p class="loading">Loading…</p>`
  if (state === 'out') return html`<${Login} onIn=${() => setState('in')} />`
  return html`<${Home} onOut=${() => setState('out')} />`
}

render(html`<${App} />`, document.getElementById('app') as HTMLElement)
