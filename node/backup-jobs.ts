/**
 * Backup and restore runs of a node as jobs the API reports on (`/backups/jobs/{job}`):
 * state, progress (done of total) and, at the end, the file and outcome or the error.
 * One job runs at a time (a second is refused while one runs); the last few finished
 * jobs are kept for their callers to read, no more.
 */
import { randomBytes } from 'node:crypto'
import { VerseGuyError } from '../crdt/index.ts'
import type { BackupProgress } from '../services/backup/index.ts'

const KEEP = 16

export interface BackupJob {
  readonly id: string
  readonly kind: 'create' | 'restore'
  state: 'running' | 'done' | 'failed'
  done: number
  total: number
  file: string | null
  result: Record<string, unknown> | null
  error: { code: string; message: string } | null
}

export class BackupBusyError extends VerseGuyError {
  override name = 'BackupBusyError'
  readonly code = 'backup-busy'
  readonly kind = 'conflict'
  constructor(job: string) {
    super(`A backup or restore is running (job ${job}); wait for it to end.`)
  }
}

export class BackupJobNotFoundError extends VerseGuyError {
  override name = 'BackupJobNotFoundError'
  readonly code = 'backup-job-not-found'
  readonly kind = 'not-found'
  constructor(job: string) {
    super(`No backup job ${job} (jobs are kept until the node stops, the last ${KEEP} only).`)
  }
}

export class BackupJobs {
  readonly #jobs = new Map<string, BackupJob>()
  #running: BackupJob | null = null

  /** Starts `run` as a job; it reports progress through the function it is given. */
  start(
    kind: BackupJob['kind'],
    run: (progress: (p: BackupProgress) => void) => Promise<{ file: string } & Record<string, unknown>>,
  ): BackupJob {
    if (this.#running !== null) throw new BackupBusyError(this.#running.id)
    const job: BackupJob = {
      id: randomBytes(8).toString('hex'),
      kind,
      state: 'running',
      done: 0,
      total: 0,
      file: null,
      result: null,
      error: null,
    }
    this.#jobs.set(job.id, job)
    this.#running = job
    for (const id of [...this.#jobs.keys()].slice(0, Math.max(0, this.#jobs.size - KEEP)))
      this.#jobs.delete(id)
    void run((p) => {
      job.done = p.done
      job.total = p.total
    }).then(
      (result) => {
        job.state = 'done'
        job.file = result.file
        job.result = result
        this.#running = null
      },
      (err: unknown) => {
        job.state = 'failed'
        job.error =
          err instanceof VerseGuyError
            ? { code: err.code, message: err.message }
            : { code: 'internal', message: (err as Error).message }
        this.#running = null
      },
    )
    return job
  }

  get(id: string): BackupJob {
    const job = this.#jobs.get(id)
    if (job === undefined) throw new BackupJobNotFoundError(id)
    return job
  }

  /** Resolves once no job runs (a node stopping waits for its backup). */
  async idle(): Promise<void> {
    while (this.#running !== null) await new Promise((r) => setTimeout(r, 20))
  }
}
