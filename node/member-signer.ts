/**
 * The member key a local node signs with. Opened for reading it holds the public key only
 * (from the key file, no passphrase, no KDF) and refuses to sign; `unlock` hands it the
 * unlocked identity of the same key, after which it signs.
 */
import type { MemberKey, Signer } from '../crdt/index.ts'
import type { MemberIdentity } from '../services/identity/index.ts'
import { PassphraseNeededError } from './errors.ts'

export class MemberSigner implements Signer {
  readonly memberKey: MemberKey
  #identity: MemberIdentity | null = null

  constructor(memberKey: MemberKey) {
    this.memberKey = memberKey
  }

  /** The unlocked identity; null while the node is read only. */
  get identity(): MemberIdentity | null {
    return this.#identity
  }

  unlock(identity: MemberIdentity): void {
    if (identity.memberKey !== this.memberKey)
      throw new Error('the unlocked key is not the node’s member key')
    this.#identity = identity
  }

  sign(data: Uint8Array): Uint8Array {
    if (this.#identity === null) throw new PassphraseNeededError()
    return this.#identity.sign(data)
  }
}
