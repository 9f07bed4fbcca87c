/// <reference lib="dom" />
/**
 * Backups on the settings page: the node's backup folder and the backups in it, "back up
 * now" (optionally encrypted, optionally with the member key) and merging a listed backup
 * back into the node, each with the job's progress as the node reports it
 * (`/api/v1/backups/jobs/{job}`).
 */
import { html } from 'htm/preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import { useAction, useSubmit, when } from './live.ts'

interface Folder {
  readonly dir: string
  readonly configured: boolean
  readonly backups: readonly { file: string; path: string; takenAt: number; size: number; kept: boolean }[]
}
interface Job {
  readonly id: string
  readonly kind: 'create' | 'restore'
  readonly state: 'running' | 'done' | 'failed'
  readonly done: number
  readonly total: number
  readonly file: string | null
  readonly result: Record<string, unknown> | null
  readonly error: { code: string; message: string } | null
}

const POLL_MS = 250

const size = (bytes: number) =>
  bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} KB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** Follows a job until it ends; `onJob` sees each state read. Throws the job's error. */
async function follow(id: string, onJob: (job: Job) => void): Promise<Job> {
  for (;;) {
    const job = await api.get<Job>(`/backups/jobs/${id}`)
    onJob(job)
    if (job.state === 'failed') throw new Error(job.error?.message ?? 'The job failed.')
    if (job.state === 'done') return job
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

function outcome(job: Job): string {
  const r = job.result ?? {}
  if (job.kind === 'create')
    return `Written: ${job.file} (${size(Number(r.bytes ?? 0))}${r.encrypted === true ? ', encrypted' : ''}${r.withKey === true ? ', with the member key' : ''}).`
  const refused = Array.isArray(r.refused) ? r.refused.length : 0
  return `Merged ${job.file}: ${Number(r.accepted ?? 0)} new entries taken in, ${Number(r.duplicates ?? 0)} already here${refused > 0 ? `, ${refused} refused` : ''}.`
}

export function Backups() {
  const [folder, setFolder] = useState<Folder | null>(null)
  const [withKey, setWithKey] = useState(false)
  const [passphrase, setPassphrase] = useState('')
  const [job, setJob] = useState<Job | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const load = useCallback(() => {
    void api.get<Folder>('/backups').then(setFolder, () => setFolder(null))
  }, [])
  useEffect(load, [load])
  const run = async (start: () => Promise<{ job: string }>) => {
    setDone(null)
    const { job: id } = await start()
    try {
      setDone(outcome(await follow(id, setJob)))
    } finally {
      setJob(null)
      load()
    }
  }
  const secret = passphrase === '' ? {} : { passphrase }
  const create = useSubmit(() => run(() => api.post<{ job: string }>('/backups', { withKey, ...secret })))
  const restore = useAction()
  const merge = (file: string) =>
    void restore.run(() => run(() => api.post<{ job: string }>('/backups/restore', { file, ...secret })))
  const busy = create.busy || restore.busy
  const error = create.error ?? restore.error
  return html`
    <section aria-labelledby="backups-title">
      <h2 id="backups-title">Backups</h2>
      ${
        folder === null
          ? html`<p>Loading…</p>`
          : html`<p>Folder: <code>${folder.dir}</code>${folder.configured ? ' (scheduled backups go here too)' : ' (no scheduled backups: set backup.dir in config.json)'}</p>`
      }
      <form class="grid" onSubmit=${create.submit}>
        <label for="backup-passphrase">Backup passphrase</label>
        <input id="backup-passphrase" type="password" autocomplete="new-password" minlength="8" aria-describedby="backup-passphrase-hint" value=${passphrase} onInput=${(e: Event) => setPassphrase((e.target as HTMLInputElement).value)} />
        <small id="backup-passphrase-hint" class="wide">Optional: encrypts a new backup; opens an encrypted one to merge it.</small>
        <label class="check"><input type="checkbox" checked=${withKey} onChange=${(e: Event) => setWithKey((e.target as HTMLInputElement).checked)} /> Include my member key (still sealed by the node passphrase), to restore my identity on a new PC</label>
        <button type="submit" disabled=${busy}>Back up now</button>
      </form>
      ${
        job === null
          ? null
          : html`<p role="status">${job.kind === 'create' ? 'Backing up' : 'Merging'}… <progress aria-label="progress" max=${Math.max(1, job.total)} value=${job.done}></progress> ${job.done} of ${job.total}</p>`
      }
      ${done === null ? null : html`<p role="status" data-backup="done">${done}</p>`}
      ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
      ${
        folder === null || folder.backups.length === 0
          ? html`<p>No backups in the folder yet.</p>`
          : html`
        <table>
          <thead><tr><th scope="col">Taken</th><th scope="col">Size</th><th scope="col">Retention</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${folder.backups.map(
            (b) =>
              html`<tr key=${b.file}><td>${when(b.takenAt)}</td><td>${size(b.size)}</td><td>${b.kept ? 'kept' : 'removed at the next prune'}</td><td><button type="button" disabled=${busy} onClick=${() => merge(b.path)}>Merge into this node<span class="sr-only"> ${b.file}</span></button></td></tr>`,
          )}</tbody>
        </table>
        <p>Merging never overwrites newer data: what the backup holds is checked like a peer's changes. To rebuild a lost node, use <code>npx verseguy backup restore FILE</code> on a new data directory.</p>
      `
      }
    </section>
  `
}
