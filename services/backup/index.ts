/** services/backup: backup files of a node (create, verify, restore) and their retention. */

export type { BackupHeader } from './backup-format.ts'
export { type BackupContents, type BackupReport, inspectBackup } from './backup-inspect.ts'
export { type MergeOutcome, mergeBackup } from './backup-merge.ts'
export { BACKUP_EXTENSION, backupFileName, parseBackupFileName } from './backup-name.ts'
export { readBackupHeader } from './backup-reader.ts'
export {
  type BackupProgress,
  type BackupSource,
  type BackupWritten,
  writeBackup,
} from './backup-writer.ts'
export { contentsSource } from './contents-source.ts'
export * from './errors.ts'
export {
  checkRetentionPolicy,
  describeReason,
  type KeepReason,
  type Kept,
  MAX_KEEP,
  periodOf,
  planRetention,
  RETENTION_LEVELS,
  type RetentionLevel,
  type RetentionPlan,
  type RetentionPolicy,
} from './retention.ts'
