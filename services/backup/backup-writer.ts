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
  /**
   * The documents of `documents`, in that order, each in compact form (every change it
   * holds): read in one pass, not one read per document.
   */
  documentBytes(): AsyncIterable<readonly [DocId, Uint8Array]>
  /** The chains, in the order `chainRuns` gives them, with their lengths. */
  readonly chains: readonly {
    readonly scope: EntryScope
    readonly author: MemberKey
    readonly count: number
  }[]
  /**
   * The chains' entries in the order of `chains`, each chain from seq 1, packed
   * (`packEntry`), in runs of any length: entries past a chain's `count`, and chains not
   * in `chains` (written since it was read), are left out by the writer.
   */
  chainRuns(): AsyncIterable<{
    readonly scope: EntryScope
    readonly author: MemberKey
    readonly packed: readonly Uint8Array[]
  }>
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
    let d = 0
    for await (const [docId, bytes] of source.documentBytes()) {
      options.signal?.throwIfAborted()
      if (docId !== source.documents[d]) throw new Error(`document ${docId} out of order (${d})`)
      yield emit(RECORD.document, namedBytes(docId, bytes))
      d++
      progress(1)
    }
    if (d !== source.documents.length)
      throw new Error(`documents ended at ${d} of ${source.documents.length}`)
    yield end()
    begin('chains')
    const order = new Map(source.chains.map((c, i) => [chainId(c), i]))
    /** The chain being written (an index into `source.chains`) and its entries written. */
    let at = -1
    let n = 0
    const finish = (): void => {
      const c = source.chains[at]
      if (c !== undefined && n < c.count)
        throw new Error(`chain ${c.scope}/${c.author} ended at ${n} of ${c.count} entries`)
    }
    for await (const run of source.chainRuns()) {
      options.signal?.throwIfAborted()
      const i = order.get(chainId(run))
      if (i === undefined) continue
      const out: Buffer[] = []
      if (i !== at) {
        if (i !== at + 1) throw new Error(`chain ${run.scope}/${run.author} out of order`)
        finish()
        at = i
        n = 0
        const c = source.chains[at] as (typeof source.chains)[number]
        out.push(emit(RECORD.chain, jsonBytes({ scope: c.scope, author: c.author, count: c.count })))
      }
      const take = run.packed.slice(0, (source.chains[at]?.count ?? 0) - n)
      n += take.length
      for (const packed of take) out.push(emit(RECORD.entry, packed))
      yield Buffer.concat(out)
      progress(take.length)
    }
    finish()
    if (at !== source.chains.length - 1)
      throw new Error(`chains ended at ${at + 1} of ${source.chains.length}`)
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
    const stages: NodeJS.ReadWriteStream[] = [createGzip({ level: 1 })]
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

/** A chain's identity, to find its place in a source's `chains`. */
function chainId(c: { readonly scope: EntryScope; readonly author: MemberKey }): string {
  return `${c.scope ?? 'local'}!${c.author}`
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
