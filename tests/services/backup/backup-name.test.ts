import { describe, expect, it } from 'vitest'
import { backupFileName, parseBackupFileName } from '../../../services/backup/index.ts'

describe('backup file names', () => {
  it('carry the UTC time to the second and read back', () => {
    const at = Date.UTC(2026, 11, 3, 2, 15, 9)
    expect(backupFileName(at)).toBe('verseguy-backup-20261203T021509Z.vgbak')
    expect(parseBackupFileName(backupFileName(at))).toBe(at)
    expect(parseBackupFileName(backupFileName(at + 999))).toBe(at) // milliseconds are dropped
  })

  it('are not confused with other files or impossible dates', () => {
    for (const name of [
      'verseguy-backup-20261203T021509Z.vgbak.tmp',
      'verseguy-backup-20261303T021509Z.vgbak',
      'verseguy-backup-20260230T000000Z.vgbak',
      'notes.txt',
      'verseguy-backup-2026-12-03.vgbak',
    ])
      expect(parseBackupFileName(name), name).toBeNull()
  })
})
