/**
 * A backup folder as the scheduler and `backup list|prune` see it: its backups (regular
 * files named as backups are, `services/backup/backup-name.ts`) with their sizes, the
 * retention plan for them, and pruning by that plan. Only the names are read, never the
 * files; what is not a backup (another file, a folder, a symbolic link, a backup still
 * being written) is never touched.
 */
import type { Dirent } from 'node:fs'
import { readdir, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { planRetention, type RetentionPlan, type RetentionPolicy } from '../services/backup/index.ts'
import { type BackupConfig, backupDir } from './backup-config.ts'
import { defaultConfig, loadConfig, withEnv } from './config.ts'
import { isInitialized, layout } from './data-dir.ts'
import { BackupFolderError } from './errors.ts'

export { describeReason, type KeepReason, type RetentionPlan } from '../services/backup/index.ts'

export interface FolderEntry {
  readonly name: string
  readonly path: string
  /** Bytes; 0 if the file went away while the folder was read. */
  readonly size: number
}

/** A backup being written: a hidden name that is not a backup's, so nothing lists it. */
export const PARTIAL = /^\.verseguy-backup-.*\.partial$/

/** The regular files of `dir` (`BackupFolderError` if it is missing or not a folder). */
export async function readBackupFolder(dir: string): Promise<FolderEntry[]> {
  let names: Dirent[]
  try {
    names = await readdir(dir, { withFileTypes: true })
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new BackupFolderError(dir, 'no such folder', 'not-found', { cause })
    if (code === 'ENOTDIR') throw new BackupFolderError(dir, 'is a file, not a folder', 'failed', { cause })
    throw new BackupFolderError(dir, `cannot be read (${code ?? cause})`, 'failed', { cause })
  }
  const entries: FolderEntry[] = []
  for (const entry of names) {
    if (!entry.isFile()) continue
    const path = join(dir, entry.name)
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    )
    entries.push({ name: entry.name, path, size })
  }
  return entries
}

/** The retention plan for the backups in `dir`. */
export async function planBackupFolder(
  dir: string,
  keep: RetentionPolicy,
): Promise<RetentionPlan<FolderEntry>> {
  return planRetention(await readBackupFolder(dir), keep)
}

/**
 * Removes the backups `plan` removes; a file already gone is not an error (another prune
 * got there first). Returns the names removed. Safe against a backup added since the plan
 * was made: a newer backup only ever moves slots to newer backups, never back to one the
 * plan removes.
 */
export async function pruneBackupFolder(plan: RetentionPlan<FolderEntry>): Promise<string[]> {
  const removed: string[] = []
  for (const backup of plan.remove) {
    try {
      await unlink(backup.path)
      removed.push(backup.name)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return removed
}

/** Removes the backups a crash left half written (`PARTIAL` names); returns their names. */
export async function removePartials(dir: string): Promise<string[]> {
  const partials = (await readBackupFolder(dir)).filter((e) => PARTIAL.test(e.name))
  for (const p of partials) await rm(p.path, { force: true })
  return partials.map((p) => p.name)
}

/**
 * The `backup` section of a data directory's config.json (with `VERSEGUY_BACKUP_DIR`), and
 * its folder as an absolute path (null if none is set). A directory with no node reads as
 * the defaults: no folder.
 */
export async function configuredBackups(
  dataDir: string,
): Promise<{ readonly dir: string | null; readonly config: BackupConfig }> {
  const paths = layout(dataDir)
  const config = withEnv(isInitialized(dataDir) ? await loadConfig(paths.config) : defaultConfig()).backup
  return { dir: backupDir(dataDir, config), config }
}
