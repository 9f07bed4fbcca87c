/**
 * config.json's `backup` section: scheduled backups into a folder the member chooses, with
 * grandfather-father-son retention. No `dir`, no scheduled backups.
 *
 * ```json
 * "backup": {
 *   "dir": "/mnt/usb/verseguy", "everyHours": 24,
 *   "keep": { "daily": 7, "weekly": 4, "monthly": 12 }
 * }
 * ```
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { z } from 'zod'
import { ConfigError } from './errors.ts'

/** Periods of one retention level a folder keeps: 0 (none) to 10,000. */
const slots = (fallback: number) => z.number().int().min(0).max(10_000).default(fallback)

export const backupConfigSchema = z
  .strictObject({
    /** The folder scheduled backups go to; relative paths are read from the data directory. */
    dir: z.string().min(1).optional(),
    /** A backup is taken when the newest in `dir` is this many hours old (checked every 15 minutes). */
    everyHours: z
      .number()
      .min(1)
      .max(24 * 366)
      .default(24),
    /** How many hours, days, ISO weeks, months and years keep their newest backup. */
    keep: z
      .strictObject({
        hourly: slots(0),
        daily: slots(7),
        weekly: slots(4),
        monthly: slots(12),
        yearly: slots(0),
      })
      .prefault({}),
    /** Encrypt scheduled backups with the passphrase in `passphraseFile`. */
    encrypt: z.boolean().default(false),
    /**
     * The file holding the backup passphrase (its text, but one trailing newline); a
     * relative path is read from the data directory.
     */
    passphraseFile: z.string().min(1).optional(),
  })
  .superRefine((backup, ctx) => {
    if (backup.encrypt && backup.passphraseFile === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['passphraseFile'],
        message: 'is required when encrypt is true (a file holding the backup passphrase)',
      })
  })
  .prefault({})

export type BackupConfig = z.infer<typeof backupConfigSchema>

/** The backup folder `backup.dir` names, as an absolute path; null if none is set. */
export function backupDir(dataDir: string, backup: BackupConfig): string | null {
  return backup.dir === undefined ? null : resolve(dataDir, backup.dir)
}

/**
 * The passphrase scheduled backups are encrypted with (`backup.passphraseFile`'s text), or
 * null when `backup.encrypt` is off. Read at start, so a missing or short file is a
 * `ConfigError` naming the key before the node runs, not a failed backup a day later.
 */
export async function readBackupPassphrase(dataDir: string, backup: BackupConfig): Promise<string | null> {
  if (!backup.encrypt || backup.passphraseFile === undefined) return null
  const path = resolve(dataDir, backup.passphraseFile)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(
      resolve(dataDir, 'config.json'),
      `backup.passphraseFile: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? cause})`,
      { cause },
    )
  }
  const passphrase = text.replace(/\r?\n$/, '') // one trailing newline is the file's
  if (passphrase.length < 8)
    throw new ConfigError(
      resolve(dataDir, 'config.json'),
      `backup.passphraseFile: ${path} must hold a passphrase of 8 or more characters`,
    )
  return passphrase
}
