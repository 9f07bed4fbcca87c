/**
 * The node's member identity: one Ed25519 key that signs chain entries and is also
 * the libp2p peer key, so the transport proves which member a peer is.
 */
import { randomBytes } from 'node:crypto'
import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
// The import-free leaves of crdt/, not its face (which loads Automerge and LevelDB): a
// stopped node's `verseguy status` reads the public key and nothing else.
import { ed25519PrivateKeyObject, ed25519RawPublicKey, ed25519Sign, toHex } from '../../crdt/crypto.ts'
import { type MemberKey, parseMemberKey } from '../../crdt/ids.ts'
import type { Signer } from '../../crdt/index.ts'
import { IdentityFileCorruptError, IdentityMissingError } from './errors.ts'
import { type KdfParams, openSeed, parseKeyFile, sealSeed } from './key-file.ts'
import { peerIdOf } from './peer-id.ts'

export class MemberIdentity implements Signer {
  readonly memberKey: MemberKey
  readonly peerId: string
  /** The private seed; kept for deriving the libp2p key, never logged or written in clear. */
  readonly #seed: Uint8Array
  readonly #key: ReturnType<typeof ed25519PrivateKeyObject>

  private constructor(seed: Uint8Array) {
    this.#seed = seed
    this.#key = ed25519PrivateKeyObject(seed)
    this.memberKey = parseMemberKey(toHex(ed25519RawPublicKey(this.#key)))
    this.peerId = peerIdOf(this.memberKey)
  }

  /** A new random identity, returned with its encrypted key file. */
  static async generate(
    passphrase: string,
    kdf?: KdfParams,
  ): Promise<{ identity: MemberIdentity; file: string }> {
    const identity = new MemberIdentity(new Uint8Array(randomBytes(32)))
    const sealed = await sealSeed(identity.#seed, identity.memberKey, passphrase, kdf)
    return { identity, file: `${JSON.stringify(sealed, null, 2)}\n` }
  }

  /** Unlocks the key file at `path`. */
  static async unlock(path: string, passphrase: string): Promise<MemberIdentity> {
    const file = parseKeyFile(await readKeyFileText(path), path)
    const identity = new MemberIdentity(await openSeed(file, passphrase))
    if (identity.memberKey !== file.memberKey) {
      throw new IdentityFileCorruptError(path, 'the key inside does not match the public key recorded')
    }
    return identity
  }

  /** The public member key recorded in a key file; needs no passphrase. */
  static async publicKeyOf(path: string): Promise<MemberKey> {
    return parseKeyFile(await readKeyFileText(path), path).memberKey as MemberKey
  }

  /** Re-encrypts the key under a new passphrase (the old one must unlock it first). */
  async reseal(passphrase: string, kdf?: KdfParams): Promise<string> {
    return `${JSON.stringify(await sealSeed(this.#seed, this.memberKey, passphrase, kdf), null, 2)}\n`
  }

  sign(data: Uint8Array): Uint8Array {
    return ed25519Sign(this.#key, data)
  }

  /** The 32-byte seed, for building the libp2p private key of the same member key. */
  libp2pSeed(): Uint8Array {
    return this.#seed.slice()
  }

  toJSON(): { memberKey: MemberKey; peerId: string } {
    return { memberKey: this.memberKey, peerId: this.peerId }
  }
}

async function readKeyFileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new IdentityMissingError(path)
    throw err
  }
}

/** Writes a key file atomically with owner-only permissions. */
export async function writeKeyFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
}
