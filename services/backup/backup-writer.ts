/**
 * Writes a backup file from a `BackupSource` (a node's store and files), streamed: a
 * record at a time through gzip (and the cipher) to `FILE.tmp`, renamed to `FILE` once
 * whole and flushed, so a crash never leaves a half file under the final name.
 */
import { createHash, type Hash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { DocId, EntryScope, MemberKey, SignedEntry } from '../../crdt/index.ts'
import { packEntry } from '../../crdt/index.ts'
import {
  BACKUP_KDF,
  deriveBackupKey,
  type KdfParams,
  keyCheck,
  newSalt,
  SealStream,
} from './backup-cipher.ts'
import {
  BACKUP_FORMAT,
  type BackupHeader,
  encodeHeader,
  encodeRecord,
  jsonBytes,
  namedBytes,
  RECORD,
  type RecordType,
  type SectionName,
} from './backup-format.ts'

/** What a backup reads from a node. */
export interface BackupSource {
  readonly memberKey: MemberKey
  readonly orgs: readonly string[]
  /** Data directory files a restored node needs (config.json, trusted issuer keys, identity.key). */
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[]
  settings(): AsyncIterable<[string, Uint8Array]>
  readonly documents: readonly DocId[]
  /** A document in compact form (every change it holds). */
  snapshot(docId: DocId): Promise<Uint8Array>
  readonly chains: readonly {
    readonly scope: EntryScope
    readonly author: MemberKey
    readonly count: number
  }[]
  /** A chain's entries from seq 1 in order, packed (`packEntry`), in runs of any length. */
  entries(scope: EntryScope, author: MemberKey): AsyncIterable<readonly Uint8Array[]>
  forks(): Promise<SignedEntry[]>
}

export interface BackupProgress {
  readonly done: number
  readonly total: number
}

export interface WriteBackupOptions {
  readonly file: string
  readonly app: string
  readonly withKey: boolean
  /** Encrypts the body with a key derived from it. */
  readonly passphrase?: string
  readonly kdf?: KdfParams
  readonly now?: number
  readonly onProgress?: (p: BackupProgress) => void
  readonly signal?: AbortSignal
}

export interface BackupWritten {
  readonly file: string
  readonly bytes: number
  readonly header: BackupHeader
}

export async function writeBackup(source: BackupSource, options: WriteBackupOptions): Promise<BackupWritten> {
  const kdf = options.kdf ?? BACKUP_KDF
  let key: Buffer | null = null
  let encryption: BackupHeader['encryption'] = null
  if (options.passphrase !== undefined) {
    const salt = newSalt()
    key = await deriveBackupKey(options.passphrase, salt, kdf)
    encryption = {
      cipher: 'aes-256-gcm',
      kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt },
      check: keyCheck(key),
    }
  }
  const entries = source.chains.reduce((n, c) => n + c.count, 0)
  const forks = await source.forks()
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    createdAt: new Date(options.now ?? Date.now()).toISOString(),
    app: options.app,
    memberKey: source.memberKey,
    orgs: [...source.orgs],
    withKey: options.withKey,
    compression: 'gzip',
    encryption,
    counts: {
      documents: source.documents.length,
      chains: source.chains.length,
      entries,
      forks: forks.length,
    },
  }
  const headerBytes = encodeHeader(header)
  const total = source.documents.length + entries
  let done = 0
  let lastReport = 0
  const progress = (n: number): void => {
    done += n
    const now = Date.now()
    if (options.onProgress !== undefined && (now - lastReport > 100 || done === total)) {
      lastReport = now
      options.onProgress({ done, total })
    }
  }

  const records = async function* (): AsyncGenerator<Buffer> {
    const whole = createHash('sha256').update(headerBytes)
    let section: { name: SectionName; hash: Hash; count: number } | null = null
    const emit = (type: RecordType, payload: Uint8Array): Buffer => {
      const rec = encodeRecord(type, payload)
      whole.update(rec)
      if (section !== null) {
        section.hash.update(rec)
        section.count++
      }
      return rec
    }
    const begin = (name: SectionName): void => {
      section = { name, hash: createHash('sha256'), count: 0 }
    }
    const end = (): Buffer => {
      const s = section as unknown as { name: SectionName; hash: Hash; count: number }
      section = null
      return emit(
        RECORD.sectionEnd,
        jsonBytes({ section: s.name, count: s.count, sha256: s.hash.digest('hex') }),
      )
    }
    yield emit(RECORD.manifest, jsonBytes(header))
    begin('files')
    for (const f of source.files) yield emit(RECORD.file, namedBytes(f.name, f.bytes))
    yield end()
    begin('settings')
    for await (const [k, v] of source.settings()) yield emit(RECORD.setting, namedBytes(k, v))
    yield end()
    begin('documents')
    for (const docId of source.documents) {
      options.signal?.throwIfAborted()
      yield emit(RECORD.document, namedBytes(docId, await source.snapshot(docId)))
      progress(1)
    }
    yield end()
    begin('chains')
    for (const c of source.chains) {
      options.signal?.throwIfAborted()
      yield emit(RECORD.chain, jsonBytes({ scope: c.scope, author: c.author, count: c.count }))
      let n = 0
      for await (const run of source.entries(c.scope, c.author)) {
        const take = run.slice(0, c.count - n)
        if (take.length === 0) break
        n += take.length
        yield Buffer.concat(take.map((packed) => emit(RECORD.entry, packed)))
        progress(take.length)
        if (n >= c.count) break
      }
      if (n < c.count) throw new Error(`chain ${c.scope}/${c.author} ended at ${n} of ${c.count} entries`)
    }
    yield end()
    begin('forks')
    for (const f of forks) yield emit(RECORD.fork, packEntry(f))
    yield end()
    yield encodeRecord(RECORD.end, jsonBytes({ sha256: whole.digest('hex') }))
  }

  const tmp = `${options.file}.tmp`
  try {
    const fh = await open(tmp, 'w', 0o600)
    await fh.write(headerBytes)
    const out = createWriteStream('', { fd: fh.fd, autoClose: false })
    const stages: NodeJS.ReadWriteStream[] = [createGzip({ level: 6 })]
    if (key !== null) stages.push(new SealStream(key, headerBytes))
    await pipeline(Readable.from(coalesced(records())), ...(stages as [NodeJS.ReadWriteStream]), out, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    await fh.sync()
    const { size } = await fh.stat()
    await fh.close()
    await rename(tmp, options.file)
    return { file: options.file, bytes: size, header }
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Records gathered into writes of 256 KiB: thousands of small writes cost zlib and the stream more than the bytes. */
async function* coalesced(records: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let held: Buffer[] = []
  let bytes = 0
  for await (const r of records) {
    held.push(r)
    bytes += r.length
    if (bytes >= 256 * 1024) {
      yield Buffer.concat(held)
      held = []
      bytes = 0
    }
  }
  if (held.length > 0) yield Buffer.concat(held)
}
