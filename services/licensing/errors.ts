/** Errors of licensing; match on `.name`. */
import { VerseGuyError } from '../../crdt/index.ts'

/** A license or revocation file that does not parse or verify. Nothing was changed. */
export class LicenseInvalidError extends VerseGuyError {
  override name = 'LicenseInvalidError'
  readonly code = 'license-invalid'
  readonly kind = 'invalid'
}

/** The org has as many members as its license has seats. Nothing was changed. */
export class SeatsExhaustedError extends VerseGuyError {
  override name = 'SeatsExhaustedError'
  readonly code = 'seats-exhausted'
  readonly kind = 'conflict'
  constructor(members: number, seats: number) {
    super(
      `the org has ${members} members and its license ${seats} seats: no new invites until it has more seats. ` +
        'Nobody is removed; nothing was changed.',
    )
  }
}

/** An issuer key file that cannot be read. */
export class IssuerKeyError extends VerseGuyError {
  override name = 'IssuerKeyError'
  readonly code = 'issuer-key'
  readonly kind = 'invalid'
}
