/**
 * The node's signer while its key file is being unlocked. The passphrase KDF (scrypt,
 * memory-hard on purpose) runs on libuv's thread pool for about a second; the key's public
 * half is in the key file in clear, so the store can open and load each org's documents
 * (which need only the member key) on the main thread meanwhile. Nothing is signed before
 * the key is unlocked: `sign` refuses until `unlocked` gives it the identity, and the node
 * answers nothing (no API, no network) before then.
 */
import type { MemberKey, Signer } from '../crdt/index.ts'

export class KeyNotUnlockedError extends Error {
  constructor() {
    super('the member key is not unlocked yet: nothing can be signed before the node is ready')
    this.name = 'KeyNotUnlockedError'
  }
}

export class UnlockingSigner implements Signer {
  readonly memberKey: MemberKey
  #signer: Signer | null = null

  constructor(memberKey: MemberKey) {
    this.memberKey = memberKey
  }

  /** From now on signs with `signer`, which must hold the same member key. */
  unlocked(signer: Signer): void {
    if (signer.memberKey !== this.memberKey) throw new Error('unlocked a different member key')
    this.#signer = signer
  }

  sign(data: Uint8Array): Uint8Array {
    if (this.#signer === null) throw new KeyNotUnlockedError()
    return this.#signer.sign(data)
  }
}
