/** Errors of licensing; match on `.name`. */

/** A license or revocation file that does not parse or verify. Nothing was changed. */
export class LicenseInvalidError extends Error {
  override name = 'LicenseInvalidError'
}

/** The org has as many members as its license has seats. Nothing was changed. */
export class SeatsExhaustedError extends Error {
  override name = 'SeatsExhaustedError'
  constructor(members: number, seats: number) {
    super(
      `the org has ${members} members and its license ${seats} seats: no new invites until it has more seats. ` +
        'Nobody is removed; nothing was changed.',
    )
  }
}

/** An issuer key file that cannot be read. */
export class IssuerKeyError extends Error {
  override name = 'IssuerKeyError'
}
