/**
 * Scheduled backups of a running node: at start and then every check (15 minutes, or
 * `every` if shorter) a backup is taken into the folder when the newest one there is
 * `every` old or more, then the folder is pruned by its retention policy.
 *
 * A backup is written under a hidden `.partial` name and renamed when whole, so the folder
 * never shows a half-written backup. A failure is logged and tried again at the next check;
 * it never stops the node. Checks never overlap: one that falls due while a backup is
 * being written is skipped. `stop()` cancels the timer, aborts the running backup's signal
 * and waits for it to end.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock, Logger, Timer } from '../crdt/index.ts'
import { backupFileName, type RetentionPolicy } from '../services/backup/index.ts'
import { type BackupConfig, backupDir, readBackupPassphrase } from './backup-config.ts'
import { planBackupFolder, pruneBackupFolder, removePartials } from './backup-folder.ts'
import { DIR_MODE, FILE_MODE } from './data-dir.ts'

/**
 * Writes one whole backup to `file` (the scheduler renames it into place when this
 * resolves). `signal` aborts when the node stops.
 */
export type WriteBackup = (file: string, signal: AbortSignal) => Promise<void>

/** The longest wait between two checks: a node waking from sleep takes an overdue backup soon. */
export const MAX_CHECK_MS = 15 * 60_000

export interface BackupScheduleInit {
  readonly dir: string
  /** A backup is due when the newest in `dir` is this old. */
  readonly everyMs: number
  readonly keep: RetentionPolicy
  readonly write: WriteBackup
  readonly clock: Clock
  readonly log: Logger
}

/** What one check did. */
export type BackupCheck =
  | { readonly outcome: 'taken'; readonly file: string; readonly removed: readonly string[] }
  | { readonly outcome: 'not-due'; readonly dueAt: number }
  | { readonly outcome: 'failed'; readonly error: Error }
  | { readonly outcome: 'stopped' }

export class BackupSchedule {
  readonly #init: BackupScheduleInit
  #timer: Timer | null = null
  #running: Promise<BackupCheck> | null = null
  #abort = new AbortController()
  #stopped = true
  #cleaned = false

  constructor(init: BackupScheduleInit) {
    if (!(init.everyMs > 0)) throw new RangeError(`everyMs must be more than 0 (got ${init.everyMs})`)
    this.#init = init
  }

  /** Checks now and then on a timer. */
  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#abort = new AbortController()
    const checkMs = Math.min(MAX_CHECK_MS, this.#init.everyMs)
    this.#timer = this.#init.clock.setInterval(() => void this.check(), checkMs)
    void this.check()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#timer?.cancel()
    this.#timer = null
    this.#abort.abort(new Error('the node is stopping'))
    await this.#running
  }

  /** Takes a backup if one is due, then prunes; the running check's outcome if one runs. */
  check(): Promise<BackupCheck> {
    if (this.#running !== null) return this.#running
    if (this.#stopped) return Promise.resolve({ outcome: 'stopped' })
    const running = this.#run().finally(() => {
      this.#running = null
    })
    this.#running = running
    return running
  }

  async #run(): Promise<BackupCheck> {
    const { dir, everyMs, keep, write, clock, log } = this.#init
    const signal = this.#abort.signal
    let file: string
    try {
      await mkdir(dir, { recursive: true, mode: DIR_MODE })
      if (!this.#cleaned) {
        // Only this node writes here, one backup at a time: a partial file is a crash's.
        const left = await removePartials(dir)
        if (left.length > 0) log.info({ dir, files: left }, 'removed backups a crash left half written')
        this.#cleaned = true
      }
      const now = clock.now()
      const plan = await planBackupFolder(dir, keep)
      // A backup dated after now (the clock was set back) says nothing of when the last one was.
      const newest = [...plan.keep, ...plan.remove].reduce(
        (n, b) => (b.at <= now && b.at > n ? b.at : n),
        -Infinity,
      )
      if (now - newest < everyMs) return { outcome: 'not-due', dueAt: newest + everyMs }
      file = join(dir, backupFileName(now))
      if (await exists(file)) return { outcome: 'not-due', dueAt: now + 1000 }
      const partial = join(dir, `.${backupFileName(now)}.${randomBytes(6).toString('hex')}.partial`)
      try {
        await write(partial, signal)
        signal.throwIfAborted()
        await chmod(partial, FILE_MODE)
        await rename(partial, file)
      } finally {
        await rm(partial, { force: true })
      }
      await syncFolder(dir)
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      if (signal.aborted) return { outcome: 'stopped' }
      log.error({ err: error, dir }, 'scheduled backup failed; trying again at the next check')
      return { outcome: 'failed', error }
    }
    let removed: string[] = []
    try {
      removed = await pruneBackupFolder(await planBackupFolder(dir, keep))
    } catch (err) {
      log.warn(
        { err, dir },
        'the backup was taken, but pruning the folder failed; trying again after the next backup',
      )
    }
    log.info({ file, removed }, 'scheduled backup taken')
    return { outcome: 'taken', file, removed }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** Makes the rename durable (the folder's entry on disk); not possible on Windows, and skipped there. */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export interface ScheduledBackupsInit {
  readonly dataDir: string
  readonly config: BackupConfig
  /** The writer of scheduled backups, encrypted with `passphrase` when it is not null. */
  readonly writer: (options: { readonly passphrase: string | null }) => WriteBackup
  readonly clock: Clock
  readonly log: Logger
}

/**
 * Starts the scheduled backups config.json's `backup` section asks for; null if it names no
 * folder. A `backup.passphraseFile` that cannot be read is a `ConfigError` here, at start.
 */
export async function startScheduledBackups(init: ScheduledBackupsInit): Promise<BackupSchedule | null> {
  const { dataDir, config, writer, clock, log } = init
  const dir = backupDir(dataDir, config)
  if (dir === null) return null
  const passphrase = await readBackupPassphrase(dataDir, config)
  const schedule = new BackupSchedule({
    dir,
    everyMs: config.everyHours * 3_600_000,
    keep: config.keep,
    write: writer({ passphrase }),
    clock,
    log,
  })
  schedule.start()
  log.info(
    { dir, everyHours: config.everyHours, keep: config.keep, encrypt: config.encrypt },
    'scheduled backups on',
  )
  return schedule
}
