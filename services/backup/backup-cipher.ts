/**
 * A backup's encryption: a key derived from the passphrase with scrypt (memory-hard, as
 * the member key file), and the compressed body sealed in chunks with AES-256-GCM:
 *
 *   [final u8][length u32 BE][ciphertext][tag 16]
 *
 * Chunk i's nonce is i (a counter: a key is used for one file, its salt is fresh), and
 * its associated data is the SHA-256 of the file's header, i and the final flag: a chunk
 * moved, dropped, taken from another file or cut short does not open, and a file that
 * ends without its final chunk is truncated.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

export const GCM_TAG_BYTES = 16
/** Plaintext bytes per chunk. */
export const CHUNK_BYTES = 1024 * 1024
/** 128 MiB of memory per derivation, as the member key file. */
export const BACKUP_KDF = { N: 2 ** 17, r: 8, p: 1 } as const

export interface KdfParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

export function newSalt(): string {
  return randomBytes(16).toString('base64')
}

export function deriveBackupKey(passphrase: string, salt: string, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase.normalize('NFC'), 'utf8'),
      Buffer.from(salt, 'base64'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    )
  })
}

function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64BE(BigInt(index), 4)
  return nonce
}

function aadOf(headerHash: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(headerHash.length + 9)
  headerHash.copy(aad)
  aad.writeBigUInt64BE(BigInt(index), headerHash.length)
  aad.writeUInt8(final ? 1 : 0, headerHash.length + 8)
  return aad
}

/** What the header keeps to tell a wrong passphrase (no secret: the KDF still gates guesses). */
export function keyCheck(key: Buffer): string {
  return createHash('sha256').update(key).update('verseguy-backup/key-check').digest('hex')
}

export function headerHash(header: Uint8Array): Buffer {
  return createHash('sha256').update(header).digest()
}

/** Seals what flows through it into chunks (the last one flagged final, possibly empty). */
export class SealStream extends Transform {
  readonly #key: Buffer
  readonly #headerHash: Buffer
  #pending: Buffer[] = []
  #pendingBytes = 0
  #index = 0

  constructor(key: Buffer, header: Uint8Array) {
    super()
    this.#key = key
    this.#headerHash = headerHash(header)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    if (this.#pendingBytes > CHUNK_BYTES) {
      let all = Buffer.concat(this.#pending)
      // Keep at least one byte back so the final chunk is never empty unless the stream is.
      while (all.length > CHUNK_BYTES) {
        this.push(this.#seal(all.subarray(0, CHUNK_BYTES), false))
        all = all.subarray(CHUNK_BYTES)
      }
      this.#pending = [all]
      this.#pendingBytes = all.length
    }
    done()
  }

  override _flush(done: TransformCallback): void {
    this.push(this.#seal(Buffer.concat(this.#pending), true))
    this.#key.fill(0)
    done()
  }

  #seal(plain: Buffer, final: boolean): Buffer {
    const index = this.#index++
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonceOf(index), { authTagLength: GCM_TAG_BYTES })
    cipher.setAAD(aadOf(this.#headerHash, index, final))
    const ct = Buffer.concat([cipher.update(plain), cipher.final()])
    const head = Buffer.alloc(5)
    head.writeUInt8(final ? 1 : 0, 0)
    head.writeUInt32BE(ct.length, 1)
    return Buffer.concat([head, ct, cipher.getAuthTag()])
  }
}

/** Why a sealed body did not open. */
export class OpenFailure extends Error {
  override name = 'OpenFailure'
  readonly firstChunk: boolean
  constructor(message: string, firstChunk: boolean) {
    super(message)
    this.firstChunk = firstChunk
  }
}

/**
 * Opens sealed chunks in order. Fails (an `OpenFailure`) on a chunk that does not
 * authenticate, a length over the chunk size (checked before its bytes are gathered),
 * bytes after the final chunk, or an end without one.
 */
export class OpenStream extends Transform {
  readonly #key: Buffer
  readonly #headerHash: Buffer
  #buffer: Buffer = Buffer.alloc(0)
  #index = 0
  #ended = false

  constructor(key: Buffer, header: Uint8Array) {
    super()
    this.#key = key
    this.#headerHash = headerHash(header)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    try {
      while (this.#buffer.length >= 5) {
        if (this.#ended) throw new OpenFailure('bytes follow the final chunk', false)
        const final = this.#buffer.readUInt8(0)
        const len = this.#buffer.readUInt32BE(1)
        if (final > 1 || len > CHUNK_BYTES)
          throw new OpenFailure(`chunk ${this.#index} has a bad frame`, this.#index === 0)
        const need = 5 + len + GCM_TAG_BYTES
        if (this.#buffer.length < need) break
        const ct = this.#buffer.subarray(5, 5 + len)
        const tag = this.#buffer.subarray(5 + len, need)
        this.push(this.#open(ct, tag, final === 1))
        this.#buffer = this.#buffer.subarray(need)
        if (final === 1) this.#ended = true
      }
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    this.#key.fill(0)
    if (this.#buffer.length > 0 && this.#ended) done(new OpenFailure('bytes follow the final chunk', false))
    else if (!this.#ended) done(new OpenFailure('the file is truncated (no final chunk)', this.#index === 0))
    else done()
  }

  #open(ct: Buffer, tag: Buffer, final: boolean): Buffer {
    const index = this.#index++
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonceOf(index), {
      authTagLength: GCM_TAG_BYTES,
    })
    decipher.setAAD(aadOf(this.#headerHash, index, final))
    decipher.setAuthTag(tag)
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()])
    } catch {
      throw new OpenFailure(`chunk ${index} does not authenticate`, index === 0)
    }
  }
}
