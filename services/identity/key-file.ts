/**
 * The member key at rest: the Ed25519 seed encrypted with AES-256-GCM under a key
 * derived from the passphrase with scrypt (memory-hard). The public key and the KDF
 * parameters are authenticated as associated data; a SHA-256 checksum over the file's
 * fields tells a damaged file from a wrong passphrase.
 */
import { createCipheriv, createDecipheriv, hash, randomBytes, scrypt } from 'node:crypto'
import { z } from 'zod'
import { IdentityFileCorruptError, WeakPassphraseError, WrongPassphraseError } from './errors.ts'

export const KEY_FILE_FORMAT = 'verseguy-identity/v1' as const
export const MIN_PASSPHRASE_LENGTH = 8

export interface KdfParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/** 128 MiB of memory per derivation; about 0.3 s on these machines. */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 17, r: 8, p: 1 }
/** The cheapest parameters accepted when reading a file. */
const MIN_N = 2 ** 12
const MAX_N = 2 ** 22

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)
/** GCM's tag is 16 bytes; a shorter one would be accepted by the decipher and forgeable. */
export const GCM_TAG_BYTES = 16
const GCM_NONCE_BYTES = 12
/** Base64 of exactly `n` bytes (canonical padding, so one value has one spelling). */
const b64Bytes = (n: number) =>
  b64.refine((s) => s.length === 4 * Math.ceil(n / 3) && Buffer.from(s, 'base64').length === n, {
    message: `must be ${n} bytes`,
  })
const keyFileSchema = z.strictObject({
  format: z.literal(KEY_FILE_FORMAT),
  memberKey: z.string().regex(/^[0-9a-f]{64}$/),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(MIN_N)
      .max(MAX_N)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: b64,
  }),
  cipher: z.strictObject({
    name: z.literal('aes-256-gcm'),
    nonce: b64Bytes(GCM_NONCE_BYTES),
    ciphertext: b64,
    tag: b64Bytes(GCM_TAG_BYTES),
  }),
  createdAt: z.string(),
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
})

export type KeyFile = z.infer<typeof keyFileSchema>

function normalize(passphrase: string): Buffer {
  return Buffer.from(passphrase.normalize('NFC'), 'utf8')
}

function deriveKey(passphrase: string, salt: Buffer, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      normalize(passphrase),
      salt,
      32,
      { ...kdf, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    )
  })
}

function checksumOf(file: Omit<KeyFile, 'checksum'>): string {
  const canonical = JSON.stringify([file.format, file.memberKey, file.kdf, file.cipher, file.createdAt])
  return hash('sha256', canonical)
}

function associatedData(file: Pick<KeyFile, 'format' | 'memberKey' | 'kdf'>): Buffer {
  return Buffer.from(JSON.stringify([file.format, file.memberKey, file.kdf]))
}

/** Encrypts a seed under a passphrase. */
export async function sealSeed(
  seed: Uint8Array,
  memberKey: string,
  passphrase: string,
  kdf: KdfParams = DEFAULT_KDF,
): Promise<KeyFile> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new WeakPassphraseError(MIN_PASSPHRASE_LENGTH)
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const key = await deriveKey(passphrase, salt, kdf)
  const head = {
    format: KEY_FILE_FORMAT as typeof KEY_FILE_FORMAT,
    memberKey,
    kdf: { name: 'scrypt' as const, N: kdf.N, r: kdf.r, p: kdf.p, salt: salt.toString('base64') },
  }
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(associatedData(head))
  const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()])
  key.fill(0)
  const body = {
    ...head,
    cipher: {
      name: 'aes-256-gcm' as const,
      nonce: nonce.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    },
    createdAt: new Date().toISOString(),
  }
  return { ...body, checksum: checksumOf(body) }
}

/** Parses a key file's text, telling a damaged file apart. */
export function parseKeyFile(text: string, path: string): KeyFile {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new IdentityFileCorruptError(path, 'not JSON', { cause })
  }
  const parsed = keyFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.join('.') || '(root)'
    // A refinement names what is wrong (e.g. a tag cut short); other issues just the field.
    const detail = issue?.code === 'custom' ? `: ${issue.message}` : ''
    throw new IdentityFileCorruptError(path, `field ${field} is invalid${detail}`)
  }
  const { checksum, ...body } = parsed.data
  if (checksumOf(body) !== checksum) throw new IdentityFileCorruptError(path, 'checksum mismatch')
  return parsed.data
}

/** Decrypts the seed. Throws `WrongPassphraseError` when the passphrase does not open it. */
export async function openSeed(file: KeyFile, passphrase: string): Promise<Uint8Array> {
  const key = await deriveKey(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf)
  // authTagLength: without it the decipher accepts a tag cut to 4 bytes (forgeable).
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.nonce, 'base64'), {
    authTagLength: GCM_TAG_BYTES,
  })
  decipher.setAAD(associatedData(file))
  decipher.setAuthTag(Buffer.from(file.cipher.tag, 'base64'))
  try {
    const seed = Buffer.concat([
      decipher.update(Buffer.from(file.cipher.ciphertext, 'base64')),
      decipher.final(),
    ])
    return new Uint8Array(seed)
  } catch {
    throw new WrongPassphraseError()
  } finally {
    key.fill(0)
  }
}
