/**
 * Errors of the crdt layer; match on `.name`, or on `code`/`kind` across layers.
 *
 * `VerseGuyError` is the one base of every error Verse Guy expects to report: each class
 * carries a stable `code` (kebab-case, one per class, never reworded) and a `kind` from a
 * small closed set. The node maps `kind` to an HTTP status and the CLI to an exit code,
 * each in one table; no layer below the node knows of either.
 */

/** What kind of failure an error is; the node and the CLI map it, never the error itself. */
export const ERROR_KINDS = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not-found',
  'conflict',
  'too-many',
  'unavailable',
  'failed',
] as const
export type ErrorKind = (typeof ERROR_KINDS)[number]

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value)
}

/**
 * The base of every expected error. Its message already says what happened and what to
 * do; it is printed and answered as is, without a stack.
 *
 * @example
 * class OrgNotFoundError extends VerseGuyError {
 *   override name = 'OrgNotFoundError'
 *   readonly code = 'org-not-found'
 *   readonly kind = 'not-found'
 * }
 */
export abstract class VerseGuyError extends Error {
  /** Stable, kebab-case, one per class: what a client matches on. */
  abstract readonly code: string
  abstract readonly kind: ErrorKind
  /** On bad input: the field that is wrong. */
  declare readonly field?: string
  /** More a client may act on (a permission-denied error's `permission` and `rank`), answered beside `code`. */
  declare readonly details?: Readonly<Record<string, string | number>>
}

/** The database files are damaged. The way out is a restore from a backup. */
/**
 * The database was written in another storage format. Verse Guy is pre-release and does
 * not migrate formats: the data is intact, but this version cannot read it.
 */
export class StorageFormatError extends VerseGuyError {
  override name = 'StorageFormatError'
  readonly code = 'storage-format'
  readonly kind = 'failed'
  readonly path: string
  readonly found: number
  readonly supported: number
  constructor(path: string, found: number, supported: number) {
    super(
      `The database at ${path} is in storage format ${found}; this version of Verse Guy reads format ` +
        `${supported} only and does not convert it. Keep the old folder with the version that wrote it, ` +
        "or move it aside and start this version with a new data directory (your org's data comes back " +
        'from the other members once you join again).',
    )
    this.path = path
    this.found = found
    this.supported = supported
  }
}

export class StorageCorruptError extends VerseGuyError {
  override name = 'StorageCorruptError'
  readonly code = 'storage-corrupt'
  readonly kind = 'failed'
  readonly path: string
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `The database at ${path} is damaged (${detail}). Move that folder aside and restore the data directory ` +
        "from a backup: `npx verseguy backup restore FILE`; or start again from the org's other members.",
      options,
    )
    this.path = path
  }
}

/** Another process holds the database. */
export class StorageLockedError extends VerseGuyError {
  override name = 'StorageLockedError'
  readonly code = 'storage-locked'
  readonly kind = 'conflict'
  constructor(path: string, options?: ErrorOptions) {
    super(
      `The database at ${path} is in use by another process (is a node already running on this data directory?)`,
      options,
    )
  }
}

/** The database folder is missing although the data directory is initialized. */
export class StorageMissingError extends VerseGuyError {
  override name = 'StorageMissingError'
  readonly code = 'storage-missing'
  readonly kind = 'failed'
  constructor(path: string, options?: ErrorOptions) {
    super(
      `The database at ${path} is missing. Restore the data directory from a backup: \`npx verseguy backup restore FILE\`.`,
      options,
    )
  }
}

/** The storage was read or written while closed. */
export class StorageClosedError extends VerseGuyError {
  override name = 'StorageClosedError'
  readonly code = 'storage-closed'
  readonly kind = 'unavailable'
  constructor(location: string) {
    super(`The storage at ${location} is closed`)
  }
}

/** A batch op no storage can write (a programming error, never data from a peer); nothing was written. */
export class InvalidStorageOpError extends TypeError {
  override name = 'InvalidStorageOpError'
}

export class DocumentNotFoundError extends VerseGuyError {
  override name = 'DocumentNotFoundError'
  readonly code = 'document-not-found'
  readonly kind = 'not-found'
  constructor(docId: string) {
    super(`No document ${docId}`)
  }
}

export class DocumentExistsError extends VerseGuyError {
  override name = 'DocumentExistsError'
  readonly code = 'document-exists'
  readonly kind = 'conflict'
  constructor(docId: string) {
    super(`Document ${docId} already exists`)
  }
}

/** The store was used before `start()` or after `stop()`. */
export class StoreClosedError extends VerseGuyError {
  override name = 'StoreClosedError'
  readonly code = 'store-closed'
  readonly kind = 'unavailable'
  constructor() {
    super('The document store is not open')
  }
}

/** A local change the rules do not allow; nothing was written. */
export class ChangeRefusedError extends VerseGuyError {
  override name = 'ChangeRefusedError'
  readonly code = 'change-refused'
  readonly kind = 'forbidden'
  readonly reason: string
  constructor(reason: string) {
    super(`Not allowed: ${reason}. Nothing was changed.`)
    this.reason = reason
  }
}

/** A change past the bounds on what a peer may send (`CHANGE_BOUNDS`), or not a change chunk at all. */
export class ChangeBoundsError extends VerseGuyError {
  override name = 'ChangeBoundsError'
  readonly code = 'change-bounds'
  readonly kind = 'invalid'
  /** `oversize`: declares more than a bound; `malformed`: its structure does not parse. */
  readonly problem: 'oversize' | 'malformed'
  constructor(problem: 'oversize' | 'malformed', reason: string) {
    super(reason)
    this.problem = problem
  }
}
