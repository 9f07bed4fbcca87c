/**
 * The backup file format (`verseguy-backup/v1`). One file:
 *
 *   MAGIC (8 bytes) · header length (u32 BE, ≤ 64 KiB) · header (JSON, plaintext) · body
 *
 * The header says, without a passphrase: when and by which version it was made, the
 * node's member key, its orgs, whether it is encrypted (and the KDF's parameters and
 * salt), whether it holds the member key file, and counts. The body is a gzip stream of
 * records `[type u8][length u32 BE][payload]`, in sections (files, settings, documents,
 * chains, forks), each closed by a record with its count and SHA-256, the whole closed by
 * an end record with the SHA-256 of the header and every record before it. Encrypted, the
 * gzip stream is cut into chunks sealed with AES-256-GCM (see backup-cipher.ts).
 */
import { z } from 'zod'

export const BACKUP_FORMAT = 'verseguy-backup/v1' as const
export const MAGIC = Buffer.from('VGBACKUP', 'latin1')
/** A header larger than this is refused before it is read. */
export const MAX_HEADER_BYTES = 64 * 1024
/** A record larger than this is refused before its bytes are gathered. */
export const MAX_RECORD_BYTES = 128 * 1024 * 1024

export const RECORD = {
  manifest: 1,
  file: 2,
  setting: 3,
  document: 4,
  chain: 5,
  entry: 6,
  fork: 7,
  sectionEnd: 8,
  end: 9,
} as const
export type RecordType = (typeof RECORD)[keyof typeof RECORD]

export const SECTIONS = ['files', 'settings', 'documents', 'chains', 'forks'] as const
export type SectionName = (typeof SECTIONS)[number]

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const hex64 = z.string().regex(/^[0-9a-f]{64}$/)

export const kdfSchema = z.strictObject({
  name: z.literal('scrypt'),
  N: z
    .number()
    .int()
    .min(2 ** 12)
    .max(2 ** 22)
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: z.string().regex(/^[A-Za-z0-9+/]{22}==$/),
})

export const headerSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.iso.datetime(),
  app: z.string().max(64),
  memberKey: hex64,
  orgs: z.array(z.string().max(128)).max(1000),
  withKey: z.boolean(),
  compression: z.literal('gzip'),
  encryption: z.union([
    z.null(),
    z.strictObject({
      cipher: z.literal('aes-256-gcm'),
      kdf: kdfSchema,
      /** SHA-256 of the derived key and a label: tells a wrong passphrase from a damaged body. */
      check: hex64,
    }),
  ]),
  counts: z.strictObject({ documents: count, chains: count, entries: count, forks: count }),
})

export type BackupHeader = z.infer<typeof headerSchema>

export const chainRecordSchema = z.strictObject({
  scope: z.string().max(128).nullable(),
  author: hex64,
  count,
})

export const sectionEndSchema = z.strictObject({
  section: z.enum(SECTIONS),
  count,
  sha256: hex64,
})

export const endSchema = z.strictObject({ sha256: hex64 })

/** The file's first bytes: magic, header length, header. */
export function encodeHeader(header: BackupHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  if (json.length > MAX_HEADER_BYTES) throw new RangeError('backup header too large')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(json.length)
  return Buffer.concat([MAGIC, len, json])
}

/** A record's bytes. */
export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt8(type, 0)
  head.writeUInt32BE(payload.byteLength, 1)
  return Buffer.concat([head, payload])
}

/** A payload of a name (u16 length, UTF-8) and bytes. */
export function namedBytes(name: string, bytes: Uint8Array): Buffer {
  const n = Buffer.from(name, 'utf8')
  const len = Buffer.alloc(2)
  len.writeUInt16BE(n.length)
  return Buffer.concat([len, n, bytes])
}

/** Reads `namedBytes` back; null if it does not fit. */
export function readNamedBytes(payload: Buffer): { name: string; bytes: Buffer } | null {
  if (payload.length < 2) return null
  const n = payload.readUInt16BE(0)
  if (payload.length < 2 + n) return null
  return { name: payload.subarray(2, 2 + n).toString('utf8'), bytes: payload.subarray(2 + n) }
}

export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}
