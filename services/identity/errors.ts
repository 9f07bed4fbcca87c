/** Errors of the identity service; match on `.name`. */
import { VerseGuyError } from '../../crdt/errors.ts'

export class WrongPassphraseError extends VerseGuyError {
  override name = 'WrongPassphraseError'
  readonly code = 'wrong-passphrase'
  readonly kind = 'unauthenticated'
  constructor() {
    super('Wrong passphrase: the member key could not be unlocked. Nothing was changed.')
  }
}

export class IdentityFileCorruptError extends VerseGuyError {
  override name = 'IdentityFileCorruptError'
  readonly code = 'identity-corrupt'
  readonly kind = 'failed'
  readonly path: string
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `The identity file ${path} is damaged (${detail}). Restore it from a backup made with --with-key into a ` +
        'new data directory: `npx verseguy -d NEWDIR backup restore FILE`.',
      options,
    )
    this.path = path
  }
}

export class IdentityMissingError extends VerseGuyError {
  override name = 'IdentityMissingError'
  readonly code = 'identity-missing'
  readonly kind = 'not-found'
  constructor(path: string) {
    super(`No identity at ${path}: this data directory holds no member key.`)
  }
}

export class WeakPassphraseError extends VerseGuyError {
  override name = 'WeakPassphraseError'
  readonly code = 'weak-passphrase'
  readonly kind = 'invalid'
  constructor(minLength: number) {
    super(`The passphrase must be at least ${minLength} characters.`)
  }
}
