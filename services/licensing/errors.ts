/** Errors of licensing; match on `.name`. */
import { VerseGuyError } from '../../crdt/index.ts'

/** A license or revocation file that does not parse or verify. Nothing was changed. */
export class LicenseInvalidError extends VerseGuyError {
  override name = 'LicenseInvalidError'
  readonly code = 'license-invalid'
  readonly kind = 'invalid'
}

/** A gated feature without a license that allows it now. Nothing was changed. */
export class FeatureLockedError extends VerseGuyError {
  override name = 'FeatureLockedError'
  readonly code = 'feature-locked'
  readonly kind = 'forbidden'
  readonly feature: string
  override readonly details: Readonly<Record<string, string>>
  constructor(feature: string, why: string) {
    super(`${feature} is not available: ${why}. Existing data stays readable; nothing was changed.`)
    this.feature = feature
    this.details = { feature }
  }
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
