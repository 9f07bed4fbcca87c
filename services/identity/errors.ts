/** Errors of the identity service; match on `.name`. */

export class WrongPassphraseError extends Error {
  override name = 'WrongPassphraseError'
  constructor() {
    super('Wrong passphrase: the member key could not be unlocked. Nothing was changed.')
  }
}

export class IdentityFileCorruptError extends Error {
  override name = 'IdentityFileCorruptError'
  readonly path: string
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(`The identity file ${path} is damaged (${detail}). Restore it from a backup.`, options)
    this.path = path
  }
}

export class IdentityMissingError extends Error {
  override name = 'IdentityMissingError'
  constructor(path: string) {
    super(`No identity at ${path}: this data directory holds no member key.`)
  }
}

export class WeakPassphraseError extends Error {
  override name = 'WeakPassphraseError'
  constructor(minLength: number) {
    super(`The passphrase must be at least ${minLength} characters.`)
  }
}
