/**
 * Reads a backup whole and checks what it holds without restoring it: every checksum and
 * chunk (backup-reader.ts), every chain (crdt's `verifyChain`: encoding, hash links,
 * signatures, no gap), every fork proof (two validly signed entries of one author with
 * one seq), every document (it loads: Automerge checks its changes' hashes). With `keep`
 * it hands back the content for a restore.
 */
import * as A from '@automerge/automerge'
import {
  type DocId,
  decodeEntry,
  type Entry,
  type EntryScope,
  ed25519Verify,
  fromHex,
  isDocId,
  type MemberKey,
  unpackEntry,
  verifyChain,
} from '../../crdt/index.ts'
import { type BackupHeader, chainRecordSchema, RECORD, readNamedBytes } from './backup-format.ts'
import { type HeaderRead, parseJson, readBackupHeader, readBackupRecords } from './backup-reader.ts'
import { BackupCorruptError, BackupTamperedError } from './errors.ts'

export interface BackupContents {
  readonly files: Map<string, Buffer>
  readonly settings: Map<string, Buffer>
  readonly documents: Map<DocId, Buffer>
  /** Each chain's entries in seq order, verified. */
  readonly chains: { scope: EntryScope; author: MemberKey; entries: Entry[] }[]
  readonly forks: Entry[]
}

export interface BackupReport {
  readonly file: string
  readonly header: BackupHeader
  readonly documents: number
  readonly chains: number
  readonly entries: number
  readonly forks: number
  readonly files: readonly string[]
}

export interface InspectOptions {
  readonly passphrase?: string
  /** Keep the content (for a restore); otherwise only counts are kept. */
  readonly keep?: boolean
  readonly onProgress?: (p: { done: number; total: number }) => void
}

/** Checks a whole backup; throws `BackupCorruptError`, `BackupPassphraseError` or `BackupTamperedError`. */
export async function inspectBackup(
  file: string,
  options: InspectOptions = {},
): Promise<{ report: BackupReport; contents: BackupContents | null; read: HeaderRead }> {
  const read = await readBackupHeader(file)
  const { header } = read
  const keep = options.keep === true
  const contents: BackupContents = {
    files: new Map(),
    settings: new Map(),
    documents: new Map(),
    chains: [],
    forks: [],
  }
  const problems: string[] = []
  const fileNames: string[] = []
  let documents = 0
  let entries = 0
  let chains = 0
  let forks = 0
  const total = header.counts.documents + header.counts.entries
  let done = 0
  const step = (n: number): void => {
    done += n
    options.onProgress?.({ done, total })
  }
  let chain: { scope: EntryScope; author: MemberKey; count: number; signed: Entry[] } | null = null
  const forkList: Entry[] = []
  const closeChain = (): void => {
    if (chain === null) return
    const c = chain
    chain = null
    const name = `${c.scope ?? 'node-local'}/${c.author.slice(0, 12)}`
    if (c.signed.length !== c.count)
      problems.push(`chain ${name} holds ${c.signed.length} of ${c.count} entries`)
    const report = verifyChain(c.author, c.signed, { scope: c.scope, signatures: 'head' })
    if (report.status !== 'ok' || report.verified !== c.signed.length) {
      const issue = report.issues[0]
      problems.push(
        `chain ${name}: ${report.status}${issue?.kind === 'tampered' ? ` at seq ${issue.seq} (${issue.reason})` : ''}`,
      )
    } else if (keep) contents.chains.push({ scope: c.scope, author: c.author, entries: c.signed })
    step(c.signed.length)
  }

  for await (const rec of readBackupRecords(file, read, options.passphrase)) {
    switch (rec.type) {
      case RECORD.file: {
        const named = readNamedBytes(rec.payload)
        if (named === null || !/^(config\.json|identity\.key|trust\/[A-Za-z0-9._-]{1,128})$/.test(named.name))
          throw new BackupCorruptError(file, 'a file record is malformed')
        fileNames.push(named.name)
        if (keep) contents.files.set(named.name, Buffer.from(named.bytes))
        break
      }
      case RECORD.setting: {
        const named = readNamedBytes(rec.payload)
        if (named === null || named.name.length === 0)
          throw new BackupCorruptError(file, 'a setting record is malformed')
        if (keep) contents.settings.set(named.name, Buffer.from(named.bytes))
        break
      }
      case RECORD.document: {
        const named = readNamedBytes(rec.payload)
        if (named === null || !isDocId(named.name))
          throw new BackupCorruptError(file, 'a document record is malformed')
        try {
          A.load(named.bytes)
        } catch (err) {
          problems.push(`document ${named.name} does not load (${(err as Error).message})`)
        }
        documents++
        step(1)
        if (keep) contents.documents.set(named.name, Buffer.from(named.bytes))
        break
      }
      case RECORD.chain: {
        closeChain()
        const c = parseJson(file, rec.payload, chainRecordSchema, 'chain record')
        chains++
        chain = { scope: c.scope, author: c.author as MemberKey, count: c.count, signed: [] }
        break
      }
      case RECORD.entry: {
        if (chain === null) throw new BackupCorruptError(file, 'an entry outside any chain')
        const c = chain as { count: number; signed: Entry[]; author: MemberKey }
        if (c.signed.length >= c.count)
          throw new BackupCorruptError(file, 'a chain holds more entries than it says')
        const d = decodeEntry(unpackEntry(rec.payload))
        if (!d.ok) {
          problems.push(`an entry of ${c.author.slice(0, 12)} does not decode (${d.reason})`)
          break
        }
        c.signed.push(d.entry)
        entries++
        break
      }
      case RECORD.fork: {
        closeChain()
        const d = decodeEntry(unpackEntry(rec.payload))
        if (!d.ok) problems.push(`a fork proof does not decode (${d.reason})`)
        else if (!ed25519Verify(fromHex(d.entry.author), d.entry.bytes, d.entry.signature))
          problems.push(
            `a fork proof of ${d.entry.author.slice(0, 12)} at seq ${d.entry.seq} is not signed by its author`,
          )
        else forkList.push(d.entry)
        forks++
        break
      }
    }
  }
  closeChain()
  // Proofs come in pairs: two entries of one chain with one seq and different hashes.
  const bySeq = new Map<string, Entry[]>()
  for (const f of forkList) {
    const k = `${f.scope}!${f.author}!${f.seq}`
    bySeq.set(k, [...(bySeq.get(k) ?? []), f])
  }
  for (const [k, list] of bySeq)
    if (list.length < 2 || new Set(list.map((e) => e.hash)).size < 2)
      problems.push(`fork proof ${k} is not two different entries`)
  if (keep) contents.forks.push(...forkList)
  const c = header.counts
  if (documents !== c.documents || chains !== c.chains || entries !== c.entries || forks !== c.forks)
    throw new BackupCorruptError(file, 'its counts do not match its header')
  if (problems.length > 0) throw new BackupTamperedError(file, problems)
  return {
    report: { file, header, documents, chains, entries, forks, files: fileNames },
    contents: keep ? contents : null,
    read,
  }
}
