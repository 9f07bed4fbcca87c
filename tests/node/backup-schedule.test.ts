/**
 * Scheduled backups (node/backup-schedule.ts) on a ManualClock, with a writer that writes
 * a small real file: when a backup is taken, how it lands in the folder, retention after
 * it, failures, overlap and stop.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../crdt/clock.ts'
import { type Logger, silentLogger } from '../../crdt/index.ts'
import {
  BackupSchedule,
  MAX_CHECK_MS,
  startScheduledBackups,
  type WriteBackup,
} from '../../node/backup-schedule.ts'
import { defaultConfig } from '../../node/config.ts'
import { layout } from '../../node/data-dir.ts'
import { VerseGuyNode } from '../../node/verseguy-node.ts'
import { backupFileName } from '../../services/backup/index.ts'
import { initTestNodeDir, TEST_NODE_PASS } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const START = Date.parse('2026-12-03T03:00:00Z')
const temp = useTempDirs('vg-backup-schedule-')

interface Logged {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly data: Record<string, unknown>
}

function recordingLog(): Logger & { readonly lines: Logged[] } {
  const lines: Logged[] = []
  const at =
    (level: Logged['level']) =>
    (a: object | string, b?: string): void => {
      if (typeof a === 'string') lines.push({ level, message: a, data: {} })
      else lines.push({ level, message: b ?? '', data: a as Record<string, unknown> })
    }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** A writer that writes `backup at <time>` and counts its calls. */
function smallWriter(clock: ManualClock): WriteBackup & { calls: string[] } {
  const calls: string[] = []
  const write = async (file: string) => {
    calls.push(file)
    await writeFile(file, `backup at ${new Date(clock.now()).toISOString()}`)
  }
  return Object.assign(write, { calls })
}

async function setup(options: { everyMs?: number; write?: WriteBackup; keep?: Record<string, number> } = {}) {
  const clock = new ManualClock(START)
  const dir = join(await temp.make(), 'backups')
  const log = recordingLog()
  const writer = smallWriter(clock)
  const schedule = new BackupSchedule({
    dir,
    everyMs: options.everyMs ?? DAY,
    keep: options.keep ?? { daily: 7, weekly: 4, monthly: 12 },
    write: options.write ?? writer,
    clock,
    log,
  })
  temp.defer(() => schedule.stop())
  return { clock, dir, log, writer, schedule }
}

/**
 * Moves the clock `ms` forward one check at a time, letting each check's real file work
 * finish before the next falls due (a check joins the running one, or repeats the timer's
 * at the same time, which changes nothing).
 */
async function pass(clock: ManualClock, schedule: BackupSchedule, ms: number): Promise<void> {
  for (let done = 0; done < ms; ) {
    const step = Math.min(MAX_CHECK_MS, ms - done)
    await clock.advance(step)
    done += step
    await schedule.check()
  }
}

const backupsIn = async (dir: string) =>
  (await readdir(dir)).filter((n) => n.startsWith('verseguy-backup-')).sort()

describe('scheduled backups', () => {
  it('take a backup at start into a new owner-only folder, named by the time', async () => {
    const { dir, schedule } = await setup()
    schedule.start()
    await waitFor('the first backup', async () => (await readdir(dir).catch(() => [])).length > 0)
    expect(await readdir(dir)).toEqual([backupFileName(START)])
    if (process.platform !== 'win32') {
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
      expect((await stat(join(dir, backupFileName(START)))).mode & 0o777).toBe(0o600)
    }
  })

  it('take the next one when the newest in the folder is `every` old, checking on a timer', async () => {
    const { clock, dir, schedule, writer } = await setup()
    schedule.start()
    await schedule.check() // the check start() began
    await pass(clock, schedule, DAY - MAX_CHECK_MS)
    expect(writer.calls).toHaveLength(1)
    await clock.advance(MAX_CHECK_MS) // the timer's check at 24 h, with no help
    await waitFor('the second backup', async () => (await backupsIn(dir)).length === 2)
    expect(await backupsIn(dir)).toEqual([backupFileName(START), backupFileName(START + DAY)])
  })

  it('count from the newest backup already in the folder, not from the start of the node', async () => {
    const { clock, dir, schedule, writer } = await setup()
    await mkdir(dir)
    await writeFile(join(dir, backupFileName(START - 20 * HOUR)), 'old')
    schedule.start()
    await schedule.check() // the check start() began
    await pass(clock, schedule, 3 * HOUR + 45 * 60_000)
    expect(writer.calls).toHaveLength(0)
    await pass(clock, schedule, MAX_CHECK_MS)
    expect(writer.calls).toHaveLength(1)
    expect(await backupsIn(dir)).toContain(backupFileName(START + 4 * HOUR))
  })

  it('prune by the retention policy after each backup, leaving other files alone', async () => {
    const { clock, dir, schedule } = await setup({ keep: { daily: 3 } })
    await mkdir(dir)
    await writeFile(join(dir, 'notes.txt'), 'mine')
    schedule.start()
    await schedule.check() // the check start() began
    await pass(clock, schedule, 10 * DAY)
    expect(await backupsIn(dir)).toEqual(
      [
        backupFileName(START + 8 * DAY),
        backupFileName(START + 9 * DAY),
        backupFileName(START + 10 * DAY),
      ].sort(),
    )
    expect(await readdir(dir)).toContain('notes.txt')
  })

  it('log a failed backup, leave nothing half written, and try again at the next check', async () => {
    let fail = true
    const write: WriteBackup = async (file) => {
      await writeFile(file, 'half')
      if (fail) throw new Error('disk full')
    }
    const { clock, dir, log, schedule } = await setup({ write })
    schedule.start()
    await schedule.check() // the check start() began
    expect(await readdir(dir)).toEqual([])
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/scheduled backup failed/) }),
    ])
    expect(log.lines.find((l) => l.level === 'error')?.data.err).toMatchObject({ message: 'disk full' })
    fail = false
    await pass(clock, schedule, MAX_CHECK_MS)
    expect(await readdir(dir)).toEqual([backupFileName(START + MAX_CHECK_MS)])
  })

  it('never run two checks at once: a check while a backup is written waits for it', async () => {
    let release: () => void = () => {}
    let calls = 0
    const write: WriteBackup = async (file) => {
      calls++
      await new Promise<void>((resolve) => {
        release = resolve
      })
      await writeFile(file, 'slow')
    }
    const { clock, dir, schedule } = await setup({ write, everyMs: HOUR })
    schedule.start()
    await waitFor('the first backup to be under way', () => calls === 1)
    await clock.advance(3 * HOUR) // many checks fall due while the first backup is written
    const again = schedule.check()
    expect(calls).toBe(1)
    release()
    expect(await again).toMatchObject({ outcome: 'taken' })
    expect(await readdir(dir)).toEqual([backupFileName(START)])
  })

  it('stop: waits for the running backup, aborts its signal, leaves no timer and no partial file', async () => {
    let signalSeen: AbortSignal | undefined
    let release: () => void = () => {}
    const write: WriteBackup = async (file, signal) => {
      await writeFile(file, 'partial')
      signalSeen = signal
      await new Promise<void>((resolve) => {
        release = resolve
      })
    }
    const { clock, dir, schedule } = await setup({ write })
    schedule.start()
    await waitFor('the backup to be under way', () => signalSeen !== undefined)
    let stopped = false
    const stopping = schedule.stop().then(() => {
      stopped = true
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(stopped).toBe(false) // still writing
    expect(signalSeen?.aborted).toBe(true)
    release()
    await stopping
    expect(clock.pending).toBe(0)
    expect(await readdir(dir)).toEqual([])
    expect(await schedule.check()).toEqual({ outcome: 'stopped' })
  })

  it('remove a half-written backup a crash left, at the first check', async () => {
    const { dir, schedule } = await setup()
    await mkdir(dir)
    const crash = `.${backupFileName(START - DAY)}.0a1b2c3d4e5f.partial`
    await writeFile(join(dir, crash), 'half')
    schedule.start()
    await schedule.check() // the check start() began
    expect(await readdir(dir)).toEqual([backupFileName(START)])
  })

  it('take a backup when the only one in the folder is dated in the future (the clock was set back)', async () => {
    const { dir, schedule, writer } = await setup()
    await mkdir(dir)
    await writeFile(join(dir, backupFileName(START + 30 * DAY)), 'from the future')
    schedule.start()
    await schedule.check() // the check start() began
    expect(writer.calls).toHaveLength(1)
    expect(await backupsIn(dir)).toEqual([backupFileName(START), backupFileName(START + 30 * DAY)])
  })

  it('report a folder that cannot be made, and keep checking', async () => {
    const clock = new ManualClock(START)
    const parent = await temp.make()
    await writeFile(join(parent, 'file'), 'x')
    const log = recordingLog()
    const schedule = new BackupSchedule({
      dir: join(parent, 'file', 'backups'),
      everyMs: DAY,
      keep: { daily: 1 },
      write: smallWriter(clock),
      clock,
      log,
    })
    temp.defer(() => schedule.stop())
    schedule.start()
    await schedule.check() // the check start() began
    await pass(clock, schedule, 2 * MAX_CHECK_MS)
    const errors = log.lines.filter((l) => l.level === 'error')
    expect(errors.length).toBeGreaterThanOrEqual(3) // at start and at each check after it
    expect(errors[0]?.data).toMatchObject({ dir: join(parent, 'file', 'backups') })
  })
})

describe('startScheduledBackups (config.json)', () => {
  const config = (backup: object) => ({ ...defaultConfig().backup, ...backup })

  it('starts nothing without a folder', async () => {
    const dataDir = await temp.make()
    const started = await startScheduledBackups({
      dataDir,
      config: config({}),
      writer: () => smallWriter(new ManualClock()),
      clock: new ManualClock(START),
      log: recordingLog(),
    })
    expect(started).toBeNull()
  })

  it('reads a relative folder and passphrase file from the data directory, passing the passphrase to the writer', async () => {
    const dataDir = await temp.make()
    await writeFile(join(dataDir, 'backup-pass.txt'), 'correct horse battery\n')
    const clock = new ManualClock(START)
    let given: string | null = null
    const started = await startScheduledBackups({
      dataDir,
      config: config({ dir: 'backups', encrypt: true, passphraseFile: 'backup-pass.txt' }),
      writer: ({ passphrase }) => {
        given = passphrase
        return smallWriter(clock)
      },
      clock,
      log: recordingLog(),
    })
    temp.defer(() => started?.stop())
    if (started === null) throw new Error('no schedule started')
    await started.check() // the check start() began
    expect(given).toBe('correct horse battery')
    expect(await readdir(join(dataDir, 'backups'))).toEqual([backupFileName(START)])
  })

  it('refuses to start with a passphrase file it cannot read or that is too short, naming the key', async () => {
    const dataDir = await temp.make()
    const start = (passphraseFile: string) =>
      startScheduledBackups({
        dataDir,
        config: config({ dir: 'backups', encrypt: true, passphraseFile }),
        writer: () => smallWriter(new ManualClock()),
        clock: new ManualClock(START),
        log: recordingLog(),
      })
    await expect(start('missing.txt')).rejects.toThrow(
      /backup\.passphraseFile: cannot read .*missing\.txt \(ENOENT\)/,
    )
    await writeFile(join(dataDir, 'short.txt'), 'abc\n')
    await expect(start('short.txt')).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/backup\.passphraseFile: .*8 or more characters/),
    })
  })
})

describe('a running node with backup.dir', () => {
  /** A root logger that keeps every line of `node:backup`. */
  const recordingRoot = () => {
    const log = recordingLog()
    return { log, root: { forComponent: (name: string) => (name === 'node:backup' ? log : silentLogger) } }
  }

  async function nodeDir(backup: Record<string, unknown>): Promise<string> {
    const dir = await initTestNodeDir(await temp.make())
    const config = JSON.parse(await readFile(layout(dir).config, 'utf8'))
    await writeFile(layout(dir).config, JSON.stringify({ ...config, backup }))
    return dir
  }

  it('checks for a due backup at start, logs the outcome, never leaves a partial file, and stops cleanly', async () => {
    const dataDir = await nodeDir({ dir: 'backups' })
    const { log, root } = recordingRoot()
    const node = new VerseGuyNode({ dataDir, passphrase: TEST_NODE_PASS, apiPort: 0, logger: root })
    await node.start()
    temp.defer(() => node.stop())
    expect(log.lines[0]).toMatchObject({
      message: 'scheduled backups on',
      data: { dir: join(dataDir, 'backups'), everyHours: 24 },
    })
    await waitFor('the first check', () =>
      log.lines.some((l) => /scheduled backup (taken|failed)/.test(l.message)),
    )
    await node.stop()
    expect((await readdir(join(dataDir, 'backups'))).filter((n) => n.endsWith('.partial'))).toEqual([])
    expect((await node.status()).running).toBe(false)
  })

  it('refuses to start with an unreadable backup passphrase file, naming the key', async () => {
    const dataDir = await nodeDir({ dir: 'backups', encrypt: true, passphraseFile: 'nope.txt' })
    const node = new VerseGuyNode({ dataDir, passphrase: TEST_NODE_PASS, apiPort: 0, logLevel: 'silent' })
    temp.defer(() => node.stop())
    await expect(node.start()).rejects.toThrow(/backup\.passphraseFile: cannot read .*nope\.txt/)
    expect((await node.status()).running).toBe(false)
  })
})
