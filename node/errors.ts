/** Errors of the node runtime; match on `.name`. */
import { VerseGuyError } from '../crdt/errors.ts'
import { cliHint } from './cli-hint.ts'

export class NotInitializedError extends VerseGuyError {
  override name = 'NotInitializedError'
  readonly code = 'not-initialized'
  readonly kind = 'not-found'
  constructor(dataDir: string) {
    super(`No Verse Guy node at ${dataDir}. Create one with: ${cliHint('init', dataDir)}`)
  }
}

export class AlreadyInitializedError extends VerseGuyError {
  override name = 'AlreadyInitializedError'
  readonly code = 'already-initialized'
  readonly kind = 'conflict'
  constructor(dataDir: string) {
    super(`${dataDir} already holds a Verse Guy node; nothing was changed.`)
  }
}

/** The data directory, or a path above it, is a file. */
export class DataDirNotDirectoryError extends VerseGuyError {
  override name = 'DataDirNotDirectoryError'
  readonly code = 'data-dir-not-directory'
  readonly kind = 'conflict'
  readonly path: string
  constructor(dataDir: string, path: string) {
    super(
      path === dataDir
        ? `${dataDir} is a file, not a directory: it cannot be a data directory. Choose another with -d DIR, or move the file away.`
        : `${path} is a file, not a directory, so ${dataDir} cannot be a data directory. Choose another with -d DIR.`,
    )
    this.path = path
  }
}

export class ConfigError extends VerseGuyError {
  override name = 'ConfigError'
  readonly code = 'config-invalid'
  readonly kind = 'invalid'
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(`Invalid configuration in ${path}: ${detail}`, options)
  }
}

export class NodeRunningError extends VerseGuyError {
  override name = 'NodeRunningError'
  readonly code = 'node-running'
  readonly kind = 'conflict'
  constructor(dataDir: string, pid: number) {
    super(`A node is already running on ${dataDir} (pid ${pid}).`)
  }
}

/** A file or folder of the data directory whose mode this user cannot make owner-only. */
export class DataDirPermissionError extends VerseGuyError {
  override name = 'DataDirPermissionError'
  readonly code = 'data-dir-permission'
  readonly kind = 'failed'
  constructor(dataDir: string, path: string, options?: ErrorOptions) {
    super(
      `Cannot make ${path} readable by its owner only (${(options?.cause as Error | undefined)?.message ?? 'chmod failed'}). ` +
        `The data directory ${dataDir} must belong to the user running the node: fix it with ` +
        `\`chown -R "$USER" ${dataDir} && chmod -R go-rwx ${dataDir}\`. Nothing was changed.`,
      options,
    )
  }
}

/**
 * What needs the network (peers, accepting an invite, an invite's addresses) asked of a
 * node that is not running: commands on a stopped node open its store only. The CLI
 * names the start command as it works there (with `-d DIR` when given).
 */
export class NodeNotRunningError extends VerseGuyError {
  override name = 'NodeNotRunningError'
  readonly code = 'node-not-running'
  readonly kind = 'unavailable'
  constructor(what = 'this') {
    super(`The node is not running, and ${what} needs its network: start it with ${cliHint('start')}.`)
  }
}

/**
 * A change asked of a node opened without its passphrase (read only): nothing is
 * signed, so nothing was changed.
 */
export class PassphraseNeededError extends VerseGuyError {
  override name = 'PassphraseNeededError'
  readonly code = 'passphrase-needed'
  readonly kind = 'unauthenticated'
  constructor() {
    super(
      'This node was opened read only (no passphrase given): a change needs the passphrase. Nothing was changed.',
    )
  }
}

/** A backup folder that is missing or cannot be read (`backup list`, `backup prune`). */
export class BackupFolderError extends VerseGuyError {
  override name = 'BackupFolderError'
  readonly code = 'backup-folder'
  readonly kind: 'not-found' | 'failed'
  readonly dir: string
  constructor(dir: string, detail: string, kind: 'not-found' | 'failed', options?: ErrorOptions) {
    super(`Backup folder ${dir}: ${detail}`, options)
    this.kind = kind
    this.dir = dir
  }
}

/** calendar.json (the calendar feed tokens) cannot be read as such. */
export class CalendarFileError extends VerseGuyError {
  override name = 'CalendarFileError'
  readonly code = 'calendar-file-invalid'
  readonly kind = 'failed'
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `${path} (the calendar feed tokens) is damaged: ${detail}. Delete it and run \`npx verseguy op feed\` for new feed URLs; the old ones stop working.`,
      options,
    )
  }
}
