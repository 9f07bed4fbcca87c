/**
 * Errors of the fleet service; match on `.name`. Bad input is `InvalidInputError` and a
 * missing permission `PermissionDeniedError` (org/errors.ts).
 */
import { VerseGuyError } from '../../crdt/index.ts'

/** No such ship in that hangar, or none this member may see there. */
export class ShipNotFoundError extends VerseGuyError {
  override name = 'ShipNotFoundError'
  readonly code = 'ship-not-found'
  readonly kind = 'not-found'
  override readonly details: Readonly<Record<string, string>>
  constructor(ship: string, owner: string) {
    super(`No ship ${ship} you may see in the hangar of ${owner.slice(0, 12)}… on this node.`)
    this.details = { ship, owner }
  }
}

/** No such loadout on the ship. */
export class LoadoutNotFoundError extends VerseGuyError {
  override name = 'LoadoutNotFoundError'
  readonly code = 'loadout-not-found'
  readonly kind = 'not-found'
  override readonly details: Readonly<Record<string, string>>
  constructor(ship: string, loadout: string) {
    super(`No loadout ${loadout} on ship ${ship}.`)
    this.details = { ship, loadout }
  }
}

/**
 * The hangar belongs to a member at or above the caller's level: even `fleet:manage`
 * reaches only the hangars of members below it (the hangar rules refuse it on every
 * node). Nothing was changed.
 */
export class HangarOutOfReachError extends VerseGuyError {
  override name = 'HangarOutOfReachError'
  readonly code = 'hangar-out-of-reach'
  readonly kind = 'forbidden'
  override readonly details: Readonly<Record<string, string>>
  constructor(rank: string | null) {
    super(
      'That hangar belongs to a member at or above your own level: only its owner or a more senior member with fleet:manage may change it. Nothing was changed.',
    )
    this.details = rank === null ? { permission: 'fleet:manage' } : { permission: 'fleet:manage', rank }
  }
}

/**
 * An import file that cannot be read as the format it is (or was detected as): not JSON,
 * the wrong shape, a CSV without the needed columns, a value that does not fit. Names the
 * format and, where it helps, the row and column. Nothing was changed.
 */
export class ImportFileError extends VerseGuyError {
  override name = 'ImportFileError'
  readonly code = 'import-file-invalid'
  readonly kind = 'invalid'
  override readonly field = 'file'
  override readonly details: Readonly<Record<string, string | number>>
  constructor(message: string, at: { format?: string; row?: number; column?: string } = {}) {
    const where = [at.row === undefined ? '' : `row ${at.row}`, at.column ?? ''].filter((s) => s !== '')
    super(
      `${at.format === undefined ? 'import file' : `${at.format} file`}${where.length > 0 ? `, ${where.join(', ')}` : ''}: ${message}. Nothing was changed.`,
    )
    this.details = Object.fromEntries(Object.entries(at).filter(([, v]) => v !== undefined)) as Record<
      string,
      string | number
    >
  }
}

/** An import file past the import's size bound: refused before it is read whole. */
export class ImportTooLargeError extends VerseGuyError {
  override name = 'ImportTooLargeError'
  readonly code = 'import-too-large'
  readonly kind = 'invalid'
  override readonly field = 'file'
  override readonly details: Readonly<Record<string, number>>
  constructor(bytes: number, limit: number) {
    super(
      `import file: ${bytes} bytes, more than the ${limit} bytes an import reads (a hangar export of 1,000 ships is well under it). Nothing was changed.`,
    )
    this.details = { bytes, limit }
  }
}
