/**
 * How backup files are named in a backup folder: `verseguy-backup-20261203T021500Z.vgbak`,
 * the time the backup was taken in UTC to the second. Names sort in time order; the
 * scheduled backups' retention reads the time from the name (no file is opened to list
 * a folder).
 */

const PREFIX = 'verseguy-backup-'
export const BACKUP_EXTENSION = '.vgbak'
const NAME = /^verseguy-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.vgbak$/

/** The file name of a backup taken at `at` (ms since the epoch). */
export function backupFileName(at: number): string {
  const iso = new Date(at).toISOString() // 2026-12-03T02:15:00.000Z
  return `${PREFIX}${iso.slice(0, 19).replaceAll('-', '').replaceAll(':', '')}Z${BACKUP_EXTENSION}`
}

/** The time (ms since the epoch) a backup file's name says it was taken, or null if it is not one. */
export function parseBackupFileName(name: string): number | null {
  const m = NAME.exec(name)
  if (m === null) return null
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number]
  const at = Date.UTC(y, mo - 1, d, h, mi, s)
  return backupFileName(at) === name ? at : null
}
