/**
 * `verseguy backup create|verify|restore`: a backup file of the node (through its API, on
 * a running node or the store opened for the command: a backup only reads, so no node
 * passphrase), its check without a node, and its restore: merged into the node, or the
 * node given back in a data directory that holds none. A progress bar on a terminal.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { BackupJob, BackupReport } from '../../node/index.ts'
import { backupFileName, isInitialized, layout, resolveDataDir } from '../../node/light.ts'
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'
import { printJson, printLines } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'

interface BackupOptions extends Common {
  backupPassphraseFile?: string
}

interface CreateOptions extends BackupOptions {
  out?: string
  encrypt?: boolean
  withKey?: boolean
}

const MIN_BACKUP_PASSPHRASE = 8

/**
 * The backup passphrase: `--backup-passphrase-file`, else VERSEGUY_BACKUP_PASSPHRASE, else
 * asked on the terminal (twice for a new backup). Never the node passphrase.
 */
async function backupPassphrase(opts: BackupOptions, purpose: 'new' | 'open'): Promise<string> {
  let given: string | undefined
  if (opts.backupPassphraseFile !== undefined) {
    try {
      given = (await readFile(opts.backupPassphraseFile, 'utf8')).replace(/\r?\n$/, '')
    } catch (err) {
      throw new CliError(
        `Cannot read the backup passphrase file ${opts.backupPassphraseFile}: ${(err as Error).message}`,
      )
    }
  } else if ((process.env.VERSEGUY_BACKUP_PASSPHRASE ?? '') !== '')
    given = process.env.VERSEGUY_BACKUP_PASSPHRASE
  if (given === undefined) {
    if (!process.stdin.isTTY)
      throw new CliError(
        'No backup passphrase given: use --backup-passphrase-file FILE or set VERSEGUY_BACKUP_PASSPHRASE (no terminal to ask on).',
      )
    const { default: password } = await import('@inquirer/password')
    if (purpose === 'open') return password({ message: 'Backup passphrase:', mask: '*' })
    const first = await password({
      message: `Choose a passphrase for this backup (${MIN_BACKUP_PASSPHRASE}+ characters):`,
      mask: '*',
      validate: (v) => v.length >= MIN_BACKUP_PASSPHRASE || `At least ${MIN_BACKUP_PASSPHRASE} characters`,
    })
    const again = await password({ message: 'Repeat the backup passphrase:', mask: '*' })
    if (first !== again) throw new CliError('The backup passphrases differ; no backup was written.')
    return first
  }
  if (purpose === 'new' && given.length < MIN_BACKUP_PASSPHRASE)
    throw new CliError(`The backup passphrase must have ${MIN_BACKUP_PASSPHRASE} characters at least.`, {
      usage: true,
    })
  return given
}

/** A progress bar on stderr when it is a terminal (and not --json); else nothing. */
async function progressBar(
  json: boolean | undefined,
  label: string,
): Promise<{ update(done: number, total: number): void; stop(): void }> {
  if (json === true || !process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  const { SingleBar, Presets } = await import('cli-progress')
  const bar = new SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total}`, hideCursor: true },
    Presets.shades_classic,
  )
  let started = false
  return {
    update(done, total) {
      if (!started) {
        bar.start(Math.max(total, 1), 0)
        started = true
      }
      bar.setTotal(Math.max(total, 1))
      bar.update(done)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

/** Follows a job to its end, showing its progress. */
async function follow(
  api: ApiClient,
  job: string,
  json: boolean | undefined,
  label: string,
): Promise<BackupJob> {
  const bar = await progressBar(json, label)
  try {
    for (;;) {
      const j = await api.request<BackupJob>('GET', `/api/v1/backups/jobs/${job}`)
      if (j.total > 0) bar.update(j.done, j.total)
      if (j.state !== 'running') return j
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    bar.stop()
  }
}

function failed(j: BackupJob): never {
  throw new CliError(j.error?.message ?? 'the job failed')
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
}

/** Adds `backup create|verify|restore`; answers the `backup` group (list and prune join it). */
export function registerBackup(program: Command): Command {
  const ctx = commandContext(program)
  const backup = program
    .command('backup')
    .description('backup files of the node: create, verify, restore; list and prune a backup folder')

  examples(
    common(
      backup
        .command('create')
        .description('write a backup of the node (running or stopped; no node passphrase needed)')
        .option('--out <file>', 'where to write it (default: verseguy-backup-<UTC time>.vgbak here)')
        .option('--encrypt', 'encrypt it with a backup passphrase (asked twice, or see below)')
        .option('--with-key', 'include the member key file (still sealed by the node passphrase)')
        .option(
          '--backup-passphrase-file <file>',
          'read the backup passphrase from a file (else VERSEGUY_BACKUP_PASSPHRASE)',
        ),
      false,
    ),
    'backup create',
    'backup create --out ~/backups/node.vgbak --encrypt --with-key',
    'backup create --encrypt --backup-passphrase-file ~/.vg-backup-pass --json',
  ).action(async (opts: CreateOptions) => {
    const out = resolve(opts.out ?? backupFileName(Date.now()))
    const passphrase = opts.encrypt === true ? await backupPassphrase(opts, 'new') : undefined
    const j = await ctx.run(opts, async (api) => {
      const { job } = await api.request<{ job: string }>('POST', '/api/v1/backups', {
        out,
        withKey: opts.withKey === true,
        ...(passphrase === undefined ? {} : { passphrase }),
      })
      return follow(api, job, opts.json, 'backup')
    })
    if (j.state === 'failed') failed(j)
    if (opts.json) return printJson(j.result)
    const r = j.result as { file: string; bytes: number; encrypted: boolean; withKey: boolean }
    printLines([
      `Backup written: ${r.file} (${mib(r.bytes)}${r.encrypted ? ', encrypted' : ''}${r.withKey ? ', with the member key' : ''})`,
      `Check it with: ${ctx.hint(`backup verify ${r.file}`)}`,
    ])
  })

  examples(
    backup
      .command('verify <file>')
      .description(
        'check a backup is whole and every chain in it verifies, without restoring (no node needed)',
      )
      .option(
        '--backup-passphrase-file <file>',
        'read the backup passphrase from a file (else VERSEGUY_BACKUP_PASSPHRASE)',
      )
      .option('--json', 'print JSON'),
    'backup verify verseguy-backup-20261203T021500Z.vgbak',
    'backup verify node.vgbak --backup-passphrase-file ~/.vg-backup-pass --json',
  ).action(async (file: string, opts: BackupOptions) => {
    const { inspectBackup, readBackupHeader } = await import('../../node/index.ts')
    const path = resolve(file)
    const { header } = await readBackupHeader(path)
    const passphrase = header.encryption === null ? undefined : await backupPassphrase(opts, 'open')
    const bar = await progressBar(opts.json, 'verify')
    let report: BackupReport
    try {
      ;({ report } = await inspectBackup(path, {
        ...(passphrase === undefined ? {} : { passphrase }),
        onProgress: (p) => bar.update(p.done, p.total),
      }))
    } finally {
      bar.stop()
    }
    if (opts.json) return printJson({ ok: true, ...report })
    const h = report.header
    printLines([
      `Backup ${path} is whole and verifies.`,
      `  made ${h.createdAt} by Verse Guy ${h.app}, member ${h.memberKey}`,
      `  orgs: ${h.orgs.join(', ') || '(none)'}`,
      `  ${report.documents} documents, ${report.chains} chains (${report.entries} entries), ${report.forks} fork proofs`,
      `  ${h.encryption === null ? 'not encrypted' : 'encrypted'}; ${h.withKey ? 'holds the member key' : 'no member key'}`,
    ])
  })

  examples(
    backup
      .command('restore <file>')
      .description(
        'merge a backup into the node (nothing newer is overwritten), or give the node back into an empty data directory',
      )
      .option(
        '--backup-passphrase-file <file>',
        'read the backup passphrase from a file (else VERSEGUY_BACKUP_PASSPHRASE)',
      )
      .option(
        '--passphrase-file <file>',
        'when no node runs: read the node passphrase from a file (a merge writes)',
      )
      .option('--json', 'print JSON'),
    'backup restore verseguy-backup-20261203T021500Z.vgbak',
    '-d ~/verseguy-new backup restore node.vgbak --backup-passphrase-file ~/.vg-backup-pass',
  ).action(async (file: string, opts: BackupOptions) => {
    const { readBackupHeader, restoreNewNode } = await import('../../node/index.ts')
    const path = resolve(file)
    const { header } = await readBackupHeader(path)
    const passphrase = header.encryption === null ? undefined : await backupPassphrase(opts, 'open')
    const dataDirOption = ctx.dataDir()
    const dataDir = resolveDataDir(dataDirOption)
    if (!isInitialized(dataDir) || !existsSync(layout(dataDir).db)) {
      const bar = await progressBar(opts.json, 'restore')
      let r: Awaited<ReturnType<typeof restoreNewNode>>
      try {
        r = await restoreNewNode(dataDir, path, {
          ...(passphrase === undefined ? {} : { passphrase }),
          onProgress: (p) => bar.update(p.done, p.total),
        })
      } finally {
        bar.stop()
      }
      if (opts.json) return printJson({ restored: 'node', dataDir, ...r })
      return printLines([
        `Node restored into ${dataDir}: member ${r.memberKey} (peer ${r.peerId}), ${r.accepted} entries.`,
        `Start it with your node passphrase: ${ctx.hint('start')}`,
      ])
    }
    const j = await ctx.run(opts, async (api) => {
      const { job } = await api.request<{ job: string }>('POST', '/api/v1/backups/restore', {
        file: path,
        ...(passphrase === undefined ? {} : { passphrase }),
      })
      return follow(api, job, opts.json, 'restore')
    })
    if (j.state === 'failed') failed(j)
    const r = j.result as {
      accepted: number
      duplicates: number
      refused: { reason: string; seq: number | null }[]
    }
    if (opts.json) printJson({ restored: 'merged', ...r })
    else
      printLines([
        `Backup merged: ${r.accepted} entries new to this node, ${r.duplicates} it held already.`,
        ...r.refused.slice(0, 10).map((x) => `  refused: seq ${x.seq ?? '?'}: ${x.reason}`),
      ])
    if (r.refused.length > 0)
      throw new CliError(`${r.refused.length} entries of the backup were refused (see above).`)
  })
  return backup
}
