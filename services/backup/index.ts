/** services/backup: backup files of a node (create, verify, restore) and their retention. */
export { BACKUP_EXTENSION, backupFileName, parseBackupFileName } from './backup-name.ts'
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
