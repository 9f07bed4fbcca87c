/**
 * `verseguy backup list|prune`: the backups in a backup folder (config.json's
 * `backup.dir`, or `--dir`) and their grandfather-father-son retention. These read the
 * folder itself: no node is needed, running or not, and no file is opened (a backup's time
 * is in its name). Only files named as backups are ever removed.
 */
import type { Command } from 'commander'
import { shellWord } from '../../node/cli-hint.ts'
import { CliError } from '../errors.ts'
import { wholeNumber } from '../options.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { commandContext, examples } from './context.ts'

/** The retention levels, in the order they are printed and given as flags. */
const LEVELS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const
type Level = (typeof LEVELS)[number]
type Keep = Record<Level, number>

interface FolderOpts {
  dir?: string
  json?: boolean
}

type PruneOpts = FolderOpts & Partial<Keep> & { dryRun?: boolean; yes?: boolean }

/** Adds `list` and `prune` to the `backup` command group. */
export function registerBackupFolder(backup: Command): void {
  const ctx = commandContext(backup.parent ?? backup)

  /** The folder (`--dir`, else config.json's) and the policy (config.json's, flags over it). */
  const folder = async (opts: FolderOpts & Partial<Keep>) => {
    const { configuredBackups } = await import('../../node/backup-folder.ts')
    const { resolveDataDir } = await import('../../node/light.ts')
    const { resolve } = await import('node:path')
    const dataDir = resolveDataDir(ctx.dataDir())
    const configured = await configuredBackups(dataDir)
    const dir = opts.dir !== undefined ? resolve(opts.dir) : configured.dir
    if (dir === null)
      throw new CliError(
        `No backup folder is set. Name one with --dir DIR, or set "backup": { "dir": "…" } in ` +
          `${resolve(dataDir, 'config.json')} (scheduled backups go there; see docs/backup-schedule.md).`,
      )
    const keep = { ...configured.config.keep } as Keep
    for (const level of LEVELS) if (opts[level] !== undefined) keep[level] = opts[level]
    return { dir, keep }
  }

  const list = backup
    .command('list')
    .description('the backups in the backup folder, newest first, with the retention slot that keeps each')
    .option('--dir <dir>', "the backup folder (default: config.json's backup.dir)")
    .option('--json', 'print JSON')
    .action(async (opts: FolderOpts) => {
      const { dir, keep } = await folder(opts)
      const { describeReason, planBackupFolder } = await import('../../node/backup-folder.ts')
      const plan = await planBackupFolder(dir, keep)
      const rows = [...plan.keep, ...plan.remove].sort((a, b) => b.at - a.at)
      const keptBy = new Map(plan.keep.map((b) => [b.name, b.reasons.map(describeReason)]))
      if (opts.json) {
        printJson({
          dir,
          keep,
          backups: rows.map((b) => ({
            file: b.name,
            path: b.path,
            takenAt: new Date(b.at).toISOString(),
            size: b.size,
            kept: keptBy.has(b.name),
            keptBy: keptBy.get(b.name) ?? [],
          })),
        })
        return
      }
      if (rows.length === 0) {
        printLines([`No backups in ${dir} yet.`])
        return
      }
      printLines([`Backups in ${dir} (keep ${policyText(keep)}):`])
      await printTable(
        ['Taken', 'Size', 'Kept as', 'File'],
        rows.map((b) => [
          when(b.at),
          bytes(b.size),
          keptBy.get(b.name)?.join(', ') ?? '— (prune removes it)',
          b.name,
        ]),
        '',
      )
      const total = rows.reduce((n, b) => n + b.size, 0)
      printLines([
        `${rows.length} backup${rows.length === 1 ? '' : 's'}, ${bytes(total)}.` +
          (plan.remove.length === 0
            ? ''
            : ` Prune would remove ${plan.remove.length}: ${ctx.hint(`backup prune${dirFlag(opts)} --dry-run`)}`),
      ])
    })
  examples(list, 'backup list', 'backup list --dir /mnt/usb/verseguy --json')

  const count = (flag: string) => wholeNumber(flag, { min: 0, max: 10_000 })
  const prune = backup
    .command('prune')
    .description('remove the backups the retention policy does not keep (the newest always stays)')
    .option('--dir <dir>', "the backup folder (default: config.json's backup.dir)")
    .option(
      '--hourly <n>',
      'keep the newest backup of each of the last N hours (default: config.json)',
      count('--hourly'),
    )
    .option(
      '--daily <n>',
      'keep the newest backup of each of the last N days (default: config.json, 7)',
      count('--daily'),
    )
    .option(
      '--weekly <n>',
      'keep the newest of each of the last N ISO weeks (default: config.json, 4)',
      count('--weekly'),
    )
    .option(
      '--monthly <n>',
      'keep the newest of each of the last N months (default: config.json, 12)',
      count('--monthly'),
    )
    .option(
      '--yearly <n>',
      'keep the newest of each of the last N years (default: config.json)',
      count('--yearly'),
    )
    .option('--dry-run', 'only print what would be removed')
    .option('--yes', 'remove without asking')
    .option('--json', 'print JSON')
    .action(async (opts: PruneOpts) => {
      const { dir, keep } = await folder(opts)
      const { planBackupFolder, pruneBackupFolder } = await import('../../node/backup-folder.ts')
      const plan = await planBackupFolder(dir, keep)
      const freed = bytes(plan.remove.reduce((n, b) => n + b.size, 0))
      const which = `${plan.remove.length} of ${plan.remove.length + plan.keep.length} backups in ${dir} (${freed})`
      const summary = (removed: readonly string[], dryRun: boolean) => ({
        dir,
        keep,
        dryRun,
        removed,
        kept: plan.keep.map((b) => b.name),
      })
      const names = plan.remove.map((b) => b.name)
      if (plan.remove.length === 0 || opts.dryRun) {
        if (opts.json) return printJson(summary(names, true))
        if (plan.remove.length === 0)
          return printLines([
            `Nothing to prune in ${dir}: the policy (${policyText(keep)}) keeps all ${plan.keep.length}.`,
          ])
        return printLines([
          `Would remove ${which}, keeping ${policyText(keep)}:`,
          ...plan.remove.map((b) => `  ${b.name}  ${when(b.at)}  ${bytes(b.size)}`),
          `Nothing was removed (--dry-run).`,
        ])
      }
      if (!opts.yes) {
        const question = `Remove ${which}?`
        if (!process.stdin.isTTY)
          throw new CliError(
            `${question} Add --yes to confirm, or --dry-run to see which. Nothing was removed.`,
            { usage: true },
          )
        if (!(await confirm(`${question} [y/N] `))) return printLines(['Nothing was removed.'])
      }
      const removed = await pruneBackupFolder(plan)
      if (opts.json) return printJson(summary(removed, false))
      printLines([
        `Removed ${removed.length} backup${removed.length === 1 ? '' : 's'} from ${dir} (${freed}); ` +
          `kept ${plan.keep.length}.`,
      ])
    })
  examples(
    prune,
    'backup prune --dry-run',
    'backup prune --yes',
    'backup prune --dir /mnt/usb/verseguy --daily 3 --weekly 2 --monthly 6 --yes',
  )
}

function dirFlag(opts: FolderOpts): string {
  return opts.dir === undefined ? '' : ` --dir ${shellWord(opts.dir)}`
}

/** `7 daily, 4 weekly, 12 monthly` (levels at 0 left out). */
function policyText(keep: Keep): string {
  const parts = LEVELS.filter((l) => keep[l] > 0).map((l) => `${keep[l]} ${l}`)
  return parts.length === 0 ? 'the newest only' : parts.join(', ')
}

/** A size as people read it: `812 B`, `3.4 MB`. */
function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** Asks a yes/no question on the terminal (on stderr, so stdout stays the command's). */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises')
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}
