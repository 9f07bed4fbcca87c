/** Errors of the crdt layer; match on `.name`. */

/** The database files are damaged. The way out is a restore from a backup. */
/**
 * The database was written in another storage format. Verse Guy is pre-release and does
 * not migrate formats: the data is intact, but this version cannot read it.
 */
export class StorageFormatError extends Error {
  override name = 'StorageFormatError'
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

export class StorageCorruptError extends Error {
  override name = 'StorageCorruptError'
  readonly path: string
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `The database at ${path} is damaged (${detail}). Restore the data directory from a backup copy, ` +
        "or move the folder aside and start again from the org's other members.",
      options,
    )
    this.path = path
  }
}

/** Another process holds the database. */
export class StorageLockedError extends Error {
  override name = 'StorageLockedError'
  constructor(path: string, options?: ErrorOptions) {
    super(
      `The database at ${path} is in use by another process (is a node already running on this data directory?)`,
      options,
    )
  }
}

/** The database folder is missing although the data directory is initialized. */
export class StorageMissingError extends Error {
  override name = 'StorageMissingError'
  constructor(path: string, options?: ErrorOptions) {
    super(`The database at ${path} is missing. Restore the data directory from a backup copy.`, options)
  }
}

/** The storage was read or written while closed. */
export class StorageClosedError extends Error {
  override name = 'StorageClosedError'
  constructor(location: string) {
    super(`The storage at ${location} is closed`)
  }
}

/** A batch op no storage can write (a programming error, never data from a peer); nothing was written. */
export class InvalidStorageOpError extends TypeError {
  override name = 'InvalidStorageOpError'
}

export class DocumentNotFoundError extends Error {
  override name = 'DocumentNotFoundError'
  constructor(docId: string) {
    super(`No document ${docId}`)
  }
}

export class DocumentExistsError extends Error {
  override name = 'DocumentExistsError'
  constructor(docId: string) {
    super(`Document ${docId} already exists`)
  }
}

/** The store was used before `start()` or after `stop()`. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError'
  constructor() {
    super('The document store is not open')
  }
}

/** A local change the rules do not allow; nothing was written. */
export class ChangeRefusedError extends Error {
  override name = 'ChangeRefusedError'
  readonly reason: string
  constructor(reason: string) {
    super(`Not allowed: ${reason}. Nothing was changed.`)
    this.reason = reason
  }
}

/** A change past the bounds on what a peer may send (`CHANGE_BOUNDS`), or not a change chunk at all. */
export class ChangeBoundsError extends Error {
  override name = 'ChangeBoundsError'
  /** `oversize`: declares more than a bound; `malformed`: its structure does not parse. */
  readonly kind: 'oversize' | 'malformed'
  constructor(kind: 'oversize' | 'malformed', reason: string) {
    super(reason)
    this.kind = kind
  }
}
