/** services/backup: backup files of a node (create, verify, restore) and their retention. */
export { BACKUP_EXTENSION, backupFileName, parseBackupFileName } from './backup-name.ts'
