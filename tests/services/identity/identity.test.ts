import { hash } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { ed25519Verify, fromHex, signEntry, verifyChain } from '../../../crdt/index.ts'
import {
  IdentityFileCorruptError,
  IdentityMissingError,
  type KdfParams,
  MemberIdentity,
  MIN_PASSPHRASE_LENGTH,
  peerIdOf,
  WeakPassphraseError,
  WrongPassphraseError,
  writeKeyFile,
} from '../../../services/identity/index.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-identity-')

/** The cheapest parameters a key file may carry: fast tests. */
const FAST: KdfParams = { N: 2 ** 12, r: 8, p: 1 }
const PASS = 'correct horse battery'

interface KeyFileJson {
  format: string
  memberKey: string
  kdf: { name: string; N: number; r: number; p: number; salt: string }
  cipher: { name: string; nonce: string; ciphertext: string; tag: string }
  createdAt: string
  checksum: string
}

async function written(passphrase = PASS): Promise<{ identity: MemberIdentity; path: string; text: string }> {
  const { identity, file } = await MemberIdentity.generate(passphrase, FAST)
  const path = join(await dirs.make(), 'identity.json')
  await writeKeyFile(path, file)
  return { identity, path, text: file }
}

/** The checksum as key-file.ts computes it, for files tampered with "carefully". */
function checksumOf(f: KeyFileJson): string {
  return hash('sha256', JSON.stringify([f.format, f.memberKey, f.kdf, f.cipher, f.createdAt]))
}

/** Replaces the first character of a base64 or hex string with another of the same alphabet. */
function flipFirst(value: string): string {
  const c = value[0] ?? ''
  const other = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'A' ? 'B' : 'A'
  return other + value.slice(1)
}

async function edit(path: string, fn: (f: KeyFileJson) => void, options: { rechecksum?: boolean } = {}) {
  const f = JSON.parse(await readFile(path, 'utf8')) as KeyFileJson
  fn(f)
  if (options.rechecksum) f.checksum = checksumOf(f)
  await writeFile(path, JSON.stringify(f, null, 2))
}

async function unlockError(path: string, passphrase = PASS): Promise<unknown> {
  return MemberIdentity.unlock(path, passphrase).then(
    () => {
      throw new Error('unlocked')
    },
    (err: unknown) => err,
  )
}

describe('MemberIdentity: key file', () => {
  it('unlocks with the right passphrase to the same member key and peer id', async () => {
    const { identity, path, text } = await written()
    const file = JSON.parse(text) as KeyFileJson
    expect(file.format).toBe('verseguy-identity/v1')
    expect(file.memberKey).toBe(identity.memberKey)
    expect(file.kdf).toMatchObject({ name: 'scrypt', ...FAST })
    const unlocked = await MemberIdentity.unlock(path, PASS)
    expect(unlocked.memberKey).toBe(identity.memberKey)
    expect(unlocked.peerId).toBe(identity.peerId)
    expect(unlocked.libp2pSeed()).toEqual(identity.libp2pSeed())
    expect(await MemberIdentity.publicKeyOf(path)).toBe(identity.memberKey)
    expect(JSON.parse(JSON.stringify(unlocked))).toEqual({
      memberKey: identity.memberKey,
      peerId: identity.peerId,
    })
  })

  it('a wrong passphrase throws WrongPassphraseError and leaves the file byte for byte unchanged', async () => {
    const { path } = await written()
    const before = await readFile(path)
    const err = await unlockError(path, 'not the passphrase')
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect((err as Error).name).toBe('WrongPassphraseError')
    expect(await readFile(path)).toEqual(before)
  })

  it('accepts the passphrase in either Unicode normalization form', async () => {
    const nfc = 'pässwörd-ﬁne'.normalize('NFC')
    const { identity, path } = await written(nfc)
    const nfd = nfc.normalize('NFD')
    expect(nfd).not.toBe(nfc)
    expect((await MemberIdentity.unlock(path, nfd)).memberKey).toBe(identity.memberKey)
  })

  it.each([
    [
      'cipher.ciphertext',
      (f: KeyFileJson) => {
        f.cipher.ciphertext = flipFirst(f.cipher.ciphertext)
      },
    ],
    [
      'cipher.tag',
      (f: KeyFileJson) => {
        f.cipher.tag = flipFirst(f.cipher.tag)
      },
    ],
    [
      'cipher.nonce',
      (f: KeyFileJson) => {
        f.cipher.nonce = flipFirst(f.cipher.nonce)
      },
    ],
    [
      'memberKey',
      (f: KeyFileJson) => {
        f.memberKey = flipFirst(f.memberKey)
      },
    ],
    [
      'kdf.N',
      (f: KeyFileJson) => {
        f.kdf.N = 2 ** 13
      },
    ],
    [
      'kdf.salt',
      (f: KeyFileJson) => {
        f.kdf.salt = flipFirst(f.kdf.salt)
      },
    ],
    [
      'createdAt',
      (f: KeyFileJson) => {
        f.createdAt = '2000-01-01T00:00:00.000Z'
      },
    ],
  ])(
    'one changed character of %s: IdentityFileCorruptError (checksum), not WrongPassphraseError',
    async (_field, tamper) => {
      const { path } = await written()
      await edit(path, tamper)
      const err = await unlockError(path)
      expect(err).toBeInstanceOf(IdentityFileCorruptError)
      expect((err as IdentityFileCorruptError).path).toBe(path)
      expect((err as Error).message).toBe(
        `The identity file ${path} is damaged (checksum mismatch). Restore it from a backup made with --with-key into a new data directory: \`npx verseguy -d NEWDIR backup restore FILE\`.`,
      )
      // Reading the public key needs no passphrase but checks the file all the same.
      await expect(MemberIdentity.publicKeyOf(path)).rejects.toBeInstanceOf(IdentityFileCorruptError)
    },
  )

  it('malformed files: IdentityFileCorruptError naming what is wrong; a missing file: IdentityMissingError', async () => {
    const { path } = await written()
    await writeFile(path, '{ "format": "verseguy-identity/v1", ')
    expect(await unlockError(path)).toMatchObject({ name: 'IdentityFileCorruptError', message: /not JSON/ })

    const second = await written()
    await edit(second.path, (f) => {
      f.cipher.tag = '**not base64**'
    })
    expect(await unlockError(second.path)).toMatchObject({
      name: 'IdentityFileCorruptError',
      message: /field cipher\.tag is invalid/,
    })

    const third = await written()
    await edit(third.path, (f) => {
      f.kdf.N = 2 ** 10 // below the cheapest accepted cost
    })
    expect(await unlockError(third.path)).toMatchObject({ message: /field kdf\.N is invalid/ })

    const missing = join(await dirs.make(), 'nope.json')
    const err = await unlockError(missing)
    expect(err).toBeInstanceOf(IdentityMissingError)
    expect((err as Error).message).toContain(missing)
  })

  it('tampered ciphertext with a recomputed checksum: WrongPassphraseError (the AEAD tag, not the checksum, catches it)', async () => {
    const { path } = await written()
    await edit(
      path,
      (f) => {
        f.cipher.ciphertext = flipFirst(f.cipher.ciphertext)
      },
      { rechecksum: true },
    )
    expect(await unlockError(path)).toBeInstanceOf(WrongPassphraseError)
  })

  it('a swapped member key with a recomputed checksum: WrongPassphraseError (the key is associated data of the AEAD)', async () => {
    const { path } = await written()
    const other = await MemberIdentity.generate(PASS, FAST)
    await edit(
      path,
      (f) => {
        f.memberKey = other.identity.memberKey
      },
      { rechecksum: true },
    )
    expect(await unlockError(path)).toBeInstanceOf(WrongPassphraseError)
  })

  it.each([
    ['cut to 4 bytes', 4],
    ['cut to 12 bytes', 12],
    ['grown to 17 bytes', 17],
  ])('a GCM tag %s (checksum recomputed) is refused as damaged and changes nothing', async (_how, bytes) => {
    const { path } = await written()
    await edit(
      path,
      (f) => {
        const tag = Buffer.from(f.cipher.tag, 'base64')
        f.cipher.tag = Buffer.concat([tag, Buffer.alloc(1)])
          .subarray(0, bytes)
          .toString('base64')
      },
      { rechecksum: true },
    )
    const before = await readFile(path)
    // The first bytes of the right tag: the decipher accepts them unless told the length.
    const err = await unlockError(path)
    expect(err).toBeInstanceOf(IdentityFileCorruptError)
    expect((err as Error).message).toBe(
      `The identity file ${path} is damaged (field cipher.tag is invalid: must be 16 bytes). Restore it from a backup made with --with-key into a new data directory: \`npx verseguy -d NEWDIR backup restore FILE\`.`,
    )
    await expect(MemberIdentity.publicKeyOf(path)).rejects.toBeInstanceOf(IdentityFileCorruptError)
    expect(await readFile(path)).toEqual(before)
  })

  it('a nonce that is not 12 bytes (checksum recomputed) is refused as damaged', async () => {
    const { path } = await written()
    await edit(
      path,
      (f) => {
        f.cipher.nonce = Buffer.alloc(16).toString('base64')
      },
      { rechecksum: true },
    )
    expect(await unlockError(path)).toMatchObject({
      name: 'IdentityFileCorruptError',
      message: /field cipher\.nonce is invalid: must be 12 bytes/,
    })
  })

  it('kdf.N that is not a power of two (checksum recomputed) is reported as a damaged file, not a raw RangeError', async () => {
    const { path } = await written()
    await edit(
      path,
      (f) => {
        f.kdf.N = 2 ** 12 + 1
      },
      { rechecksum: true },
    )
    // key-file.ts keyFileSchema accepts any integer N in range; scrypt then throws ERR_CRYPTO_INVALID_SCRYPT_PARAMS.
    expect(await unlockError(path)).toBeInstanceOf(IdentityFileCorruptError)
  })

  it('a passphrase shorter than 8 characters: WeakPassphraseError, for generate and reseal', async () => {
    expect(MIN_PASSPHRASE_LENGTH).toBe(8)
    await expect(MemberIdentity.generate('1234567', FAST)).rejects.toBeInstanceOf(WeakPassphraseError)
    await expect(MemberIdentity.generate('', FAST)).rejects.toThrow(
      'The passphrase must be at least 8 characters.',
    )
    const { identity } = await MemberIdentity.generate('12345678', FAST)
    await expect(identity.reseal('short', FAST)).rejects.toBeInstanceOf(WeakPassphraseError)
  })

  it('reseal re-encrypts the same key under a new passphrase', async () => {
    const { identity, path } = await written()
    await writeKeyFile(path, await identity.reseal('a new passphrase', FAST))
    expect(await unlockError(path, PASS)).toBeInstanceOf(WrongPassphraseError)
    expect((await MemberIdentity.unlock(path, 'a new passphrase')).memberKey).toBe(identity.memberKey)
  })

  it('the key file never contains the seed, in hex, base64 or base64url', async () => {
    const { identity, path, text } = await written()
    const seed = Buffer.from(identity.libp2pSeed())
    expect(seed).toHaveLength(32)
    const onDisk = await readFile(path, 'utf8')
    expect(onDisk).toBe(text)
    for (const form of [
      seed.toString('hex'),
      seed.toString('hex').toUpperCase(),
      seed.toString('base64'),
      seed.toString('base64').replace(/=+$/, ''),
      seed.toString('base64url'),
    ]) {
      expect(onDisk).not.toContain(form)
    }
    // Nor a long piece of it.
    expect(onDisk).not.toContain(seed.toString('hex').slice(0, 16))
    expect(onDisk).not.toContain(seed.subarray(0, 12).toString('base64'))
    // libp2pSeed hands out a copy.
    const copy = identity.libp2pSeed()
    copy.fill(0)
    expect(Buffer.from(identity.libp2pSeed())).toEqual(seed)
  })

  it('writeKeyFile creates the file with mode 0600 and replaces an existing one keeping 0600', async () => {
    const { identity, path } = await written()
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    await writeFile(path, 'old', { mode: 0o644 })
    await writeKeyFile(path, await identity.reseal(PASS, FAST))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await MemberIdentity.unlock(path, PASS)).memberKey).toBe(identity.memberKey)
  })

  it('writeKeyFile succeeds although a stale temp file of an earlier write with the same pid exists', async () => {
    const { identity, path } = await written()
    // identity.ts writeKeyFile: `${path}.${process.pid}.tmp` opened with flag 'wx'; after a crash between
    // write and rename, every later write by a process with that pid (e.g. pid 1 in a container) fails EEXIST.
    await writeFile(`${path}.${process.pid}.tmp`, 'left over by a crash')
    await writeKeyFile(path, await identity.reseal('a new passphrase', FAST))
    expect((await MemberIdentity.unlock(path, 'a new passphrase')).memberKey).toBe(identity.memberKey)
  })
})

describe('MemberIdentity: keys', () => {
  it('the peer id is the one @libp2p/peer-id derives from the Ed25519 key of the same seed', async () => {
    const { identity } = await MemberIdentity.generate(PASS, FAST)
    const privateKey = await generateKeyPairFromSeed('Ed25519', identity.libp2pSeed())
    const peerId = peerIdFromPrivateKey(privateKey)
    expect(identity.peerId).toBe(peerId.toString())
    expect(Buffer.from(privateKey.publicKey.raw).toString('hex')).toBe(identity.memberKey)
    expect(peerIdOf(identity.memberKey)).toBe(peerId.toString())
  })

  it("signatures verify with crdt's ed25519Verify under the member key, and chain entries signed by it verify", async () => {
    const { identity } = await MemberIdentity.generate(PASS, FAST)
    const data = new TextEncoder().encode('verse guy')
    const signature = identity.sign(data)
    expect(signature).toHaveLength(64)
    expect(ed25519Verify(fromHex(identity.memberKey), data, signature)).toBe(true)
    expect(ed25519Verify(fromHex(identity.memberKey), new TextEncoder().encode('verse guY'), signature)).toBe(
      false,
    )
    const other = await MemberIdentity.generate(PASS, FAST)
    expect(ed25519Verify(fromHex(other.identity.memberKey), data, signature)).toBe(false)

    const entry = signEntry(
      {
        scope: null,
        author: identity.memberKey,
        seq: 1,
        prev: null,
        time: 1_700_000_000_000,
        action: 'org.create',
        resource: 'org:abc',
        details: null,
        doc: null,
        changes: [],
        authHeads: [],
      },
      identity,
    )
    expect(verifyChain(identity.memberKey, [entry]).status).toBe('ok')
  })
})
