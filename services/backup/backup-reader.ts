/**
 * Reads a backup file: its plaintext header (no passphrase needed), then its records as
 * a stream, each section's count and SHA-256 and the whole file's checked as they come.
 * Sizes are checked before bytes are gathered (a header or record claiming gigabytes
 * allocates nothing); every failure is a `BackupCorruptError` or `BackupPassphraseError`
 * naming what is wrong.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { deriveBackupKey, keyCheck, OpenFailure, OpenStream } from './backup-cipher.ts'
import {
  type BackupHeader,
  endSchema,
  headerSchema,
  MAGIC,
  MAX_HEADER_BYTES,
  MAX_RECORD_BYTES,
  RECORD,
  type RecordType,
  SECTIONS,
  type SectionName,
  sectionEndSchema,
} from './backup-format.ts'
import { BackupCorruptError, BackupPassphraseError } from './errors.ts'

export interface HeaderRead {
  readonly header: BackupHeader
  /** Magic, length and header: what the end record's hash and the cipher's chunks cover. */
  readonly headerBytes: Buffer
}

export async function readBackupHeader(file: string): Promise<HeaderRead> {
  let fh: Awaited<ReturnType<typeof open>>
  try {
    fh = await open(file, 'r')
  } catch (cause) {
    throw new BackupCorruptError(
      file,
      `cannot open it (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause,
      },
    )
  }
  try {
    const head = Buffer.alloc(MAGIC.length + 4)
    const { bytesRead } = await fh.read(head, 0, head.length, 0)
    if (bytesRead < head.length || !head.subarray(0, MAGIC.length).equals(MAGIC))
      throw new BackupCorruptError(file, 'it does not start with a Verse Guy backup header')
    const len = head.readUInt32BE(MAGIC.length)
    if (len > MAX_HEADER_BYTES) throw new BackupCorruptError(file, `its header claims ${len} bytes`)
    const json = Buffer.alloc(len)
    const got = await fh.read(json, 0, len, head.length)
    if (got.bytesRead < len) throw new BackupCorruptError(file, 'it is truncated inside its header')
    let value: unknown
    try {
      value = JSON.parse(json.toString('utf8'))
    } catch (cause) {
      throw new BackupCorruptError(file, 'its header is not JSON', { cause })
    }
    const parsed = headerSchema.safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.join('.') || '(root)'
      throw new BackupCorruptError(file, `its header's ${field} is invalid (${issue?.message ?? 'bad'})`)
    }
    return { header: parsed.data, headerBytes: Buffer.concat([head, json]) }
  } finally {
    await fh.close()
  }
}

export interface BackupRecord {
  readonly type: RecordType
  readonly payload: Buffer
  /** The section it belongs to (null: the manifest). */
  readonly section: SectionName | null
}

/**
 * The records of a backup, in order, checked: every section present in order with its
 * count and hash, the end record's hash over everything, nothing after it. The manifest
 * (the header, repeated inside the authenticated body) must equal the header.
 */
export async function* readBackupRecords(
  file: string,
  read: HeaderRead,
  passphrase?: string,
): AsyncGenerator<BackupRecord> {
  const { header, headerBytes } = read
  let body: Readable = createReadStream(file, { start: headerBytes.length, highWaterMark: 1024 * 1024 })
  const streams: Readable[] = [body]
  if (header.encryption !== null) {
    if (passphrase === undefined) throw new BackupPassphraseError(file, true)
    const key = await deriveBackupKey(passphrase, header.encryption.kdf.salt, header.encryption.kdf)
    if (keyCheck(key) !== header.encryption.check) throw new BackupPassphraseError(file)
    body = body.pipe(new OpenStream(key, headerBytes))
    streams.push(body)
  }
  const gunzip = createGunzip()
  body = body.pipe(gunzip)
  streams.push(body)
  // Errors of earlier stages reach the consumer through the last one.
  for (const s of streams.slice(0, -1)) s.on('error', (err) => gunzip.destroy(err))

  const whole = createHash('sha256').update(headerBytes)
  let sectionIndex = -1
  let section: { name: SectionName; hash: Hash; count: number } | null = null
  let ended = false
  let first = true
  let pending: Buffer[] = []
  let pendingBytes = 0

  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      pending.push(chunk)
      pendingBytes += chunk.length
      while (pendingBytes >= 5) {
        const headBuf =
          pending[0] !== undefined && pending[0].length >= 5 ? pending[0] : Buffer.concat(pending)
        if (headBuf !== pending[0]) pending = [headBuf]
        const type = headBuf.readUInt8(0) as RecordType
        const len = headBuf.readUInt32BE(1)
        if (type < RECORD.manifest || type > RECORD.end)
          throw new BackupCorruptError(file, `unknown record type ${type}`)
        if (len > MAX_RECORD_BYTES) throw new BackupCorruptError(file, `a record claims ${len} bytes`)
        if (pendingBytes < 5 + len) break
        const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending)
        const rec = all.subarray(0, 5 + len)
        const rest = all.subarray(5 + len)
        pending = rest.length > 0 ? [rest] : []
        pendingBytes = rest.length
        const payload = rec.subarray(5)
        if (ended) throw new BackupCorruptError(file, 'bytes follow its end record')
        if (first) {
          first = false
          if (type !== RECORD.manifest)
            throw new BackupCorruptError(file, 'its body does not start with a manifest')
          let manifest: unknown
          try {
            manifest = JSON.parse(payload.toString('utf8'))
          } catch {
            throw new BackupCorruptError(file, 'its manifest is not JSON')
          }
          if (JSON.stringify(manifest) !== JSON.stringify(header))
            throw new BackupCorruptError(
              file,
              'its header does not match the manifest inside (the header was altered)',
            )
          whole.update(rec)
          yield { type, payload, section: null }
          continue
        }
        if (type === RECORD.end) {
          if (section !== null || sectionIndex !== SECTIONS.length - 1)
            throw new BackupCorruptError(file, 'it ends before all its sections')
          const end = parseJson(file, payload, endSchema, 'end record')
          if (end.sha256 !== whole.digest('hex'))
            throw new BackupCorruptError(file, 'its checksum does not match (damaged)')
          ended = true
          continue
        }
        whole.update(rec)
        if (section === null) {
          sectionIndex++
          const name = SECTIONS[sectionIndex]
          if (name === undefined) throw new BackupCorruptError(file, 'it has more sections than its format')
          section = { name, hash: createHash('sha256'), count: 0 }
        }
        if (type === RECORD.sectionEnd) {
          const end = parseJson(file, payload, sectionEndSchema, 'section end')
          const s = section
          if (end.section !== s.name || end.count !== s.count || end.sha256 !== s.hash.digest('hex'))
            throw new BackupCorruptError(file, `its ${s.name} section does not match its checksum (damaged)`)
          section = null
          continue
        }
        if (!fits(type, section.name))
          throw new BackupCorruptError(file, `a record of type ${type} in its ${section.name} section`)
        section.hash.update(rec)
        section.count++
        yield { type, payload, section: section.name }
      }
    }
  } catch (err) {
    if (err instanceof BackupCorruptError || err instanceof BackupPassphraseError) throw err
    if (err instanceof OpenFailure) throw new BackupCorruptError(file, err.message, { cause: err })
    const code = (err as NodeJS.ErrnoException).code
    // zlib's Z_BUF_ERROR at the end of the input: the compressed stream stops early.
    if (code === 'Z_BUF_ERROR')
      throw new BackupCorruptError(file, 'it is truncated (its compressed body ends early)', { cause: err })
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new BackupCorruptError(file, `its compressed body is damaged (${code})`, { cause: err })
    throw new BackupCorruptError(file, (err as Error).message, { cause: err })
  } finally {
    for (const s of streams) s.destroy()
  }
  if (pendingBytes > 0) throw new BackupCorruptError(file, 'it is truncated inside a record')
  if (!ended) throw new BackupCorruptError(file, 'it is truncated (no end record)')
}

function fits(type: RecordType, section: SectionName): boolean {
  switch (section) {
    case 'files':
      return type === RECORD.file
    case 'settings':
      return type === RECORD.setting
    case 'documents':
      return type === RECORD.document
    case 'chains':
      return type === RECORD.chain || type === RECORD.entry
    case 'forks':
      return type === RECORD.fork
  }
}

export function parseJson<T>(
  file: string,
  payload: Buffer,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  what: string,
): T {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new BackupCorruptError(file, `a ${what} is not JSON`)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new BackupCorruptError(file, `a ${what} is malformed`)
  return parsed.data
}
