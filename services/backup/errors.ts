/** Errors of backups; match on `.name`. Every one of them means nothing was changed. */
import { VerseGuyError } from '../../crdt/index.ts'

/** The file is not a whole, intact Verse Guy backup: names what is wrong. */
export class BackupCorruptError extends VerseGuyError {
  override name = 'BackupCorruptError'
  readonly code = 'backup-corrupt'
  readonly kind = 'invalid'
  readonly file: string
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`The backup ${file} is damaged or not a Verse Guy backup: ${detail}. Nothing was changed.`, options)
    this.file = file
  }
}

/** The backup's chains or changes do not verify (a tampered or forged entry). */
export class BackupTamperedError extends VerseGuyError {
  override name = 'BackupTamperedError'
  readonly code = 'backup-tampered'
  readonly kind = 'invalid'
  readonly file: string
  readonly problems: readonly string[]
  constructor(file: string, problems: readonly string[]) {
    const shown = problems.slice(0, 5).join('; ')
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''
    super(`The backup ${file} holds content that does not verify: ${shown}${more}. Nothing was changed.`)
    this.file = file
    this.problems = problems
  }
}

/** The backup passphrase does not open the file (or none was given for an encrypted one). */
export class BackupPassphraseError extends VerseGuyError {
  override name = 'BackupPassphraseError'
  readonly code = 'backup-passphrase'
  readonly kind = 'unauthenticated'
  constructor(file: string, missing = false) {
    super(
      missing
        ? `The backup ${file} is encrypted: give its passphrase (--backup-passphrase-file FILE or VERSEGUY_BACKUP_PASSPHRASE). Nothing was changed.`
        : `Wrong backup passphrase for ${file} (or the file was altered). Nothing was changed.`,
    )
  }
}

/** A backup of orgs this node is not a member of, offered to a live node. */
export class ForeignBackupError extends VerseGuyError {
  override name = 'ForeignBackupError'
  readonly code = 'backup-foreign'
  readonly kind = 'conflict'
  readonly orgs: readonly string[]
  /** `restoreNew`: the command that restores `file` into a new data directory, as the caller's users run it. */
  constructor(file: string, orgs: readonly string[], restoreNew: string) {
    super(
      `The backup ${file} holds org(s) ${orgs.join(', ')} that this node is not a member of: it belongs to ` +
        `another node. Nothing was changed. Restore it into a new data directory instead: ${restoreNew}`,
    )
    this.orgs = orgs
  }
}

/** A backup without the member key cannot make a new node. */
export class BackupWithoutKeyError extends VerseGuyError {
  override name = 'BackupWithoutKeyError'
  readonly code = 'backup-without-key'
  readonly kind = 'invalid'
  constructor(file: string) {
    super(
      `The backup ${file} does not hold the member key, so it cannot make a node on its own: run ` +
        '`npx verseguy init` first (or restore a backup made with --with-key), then restore it to merge. Nothing was changed.',
    )
  }
}

/** The restore's target is neither this backup's node nor empty. */
export class RestoreTargetError extends VerseGuyError {
  override name = 'RestoreTargetError'
  readonly code = 'restore-target'
  readonly kind = 'conflict'
  constructor(message: string) {
    super(`${message}. Nothing was changed.`)
  }
}
