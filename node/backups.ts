/**
 * Backups of a node (services/backup holds the file format): what a backup reads from a
 * node's data directory and store (`backupSource`), writing one (`createBackup`), and a
 * restore that merges into this node's store through its receive path (`restoreInto`).
 * Restoring into an empty data directory is restore-new-node.ts.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import {
  type Database,
  type DocId,
  DocumentNotFoundError,
  type DocumentStore,
  type Section,
  unpackChanges,
} from '../crdt/index.ts'
import {
  type BackupProgress,
  type BackupSource,
  type BackupWritten,
  backupFileName,
  contentsSource,
  ForeignBackupError,
  inspectBackup,
  type MergeOutcome,
  mergeBackup,
  type RetentionPolicy,
  writeBackup,
} from '../services/backup/index.ts'
import { configuredBackups, planBackupFolder } from './backup-folder.ts'
import type { BackupJob, BackupJobs } from './backup-jobs.ts'
import { cliHint, shellWord } from './cli-hint.ts'
import { loadConfig } from './config.ts'
import { layout } from './data-dir.ts'
import { VERSION } from './version.ts'

/** What a backup reads from a node, streamed from its store. */
export async function backupSource(
  parts: { dataDir: string; db: Database; store: DocumentStore },
  withKey: boolean,
): Promise<BackupSource> {
  const { dataDir, db, store } = parts
  const paths = layout(dataDir)
  const files: { name: string; bytes: Uint8Array }[] = []
  const config = await readFile(paths.config).catch(() => null)
  if (config !== null) files.push({ name: 'config.json', bytes: config })
  for (const f of (await loadConfig(paths.config)).license.trust) {
    const bytes = await readFile(resolve(dataDir, f)).catch(() => null)
    if (bytes !== null) files.push({ name: `trust/${safeName(basename(f))}`, bytes })
  }
  if (withKey) files.push({ name: 'identity.key', bytes: await readFile(paths.identity) })
  const chains = await store.chains.lengths()
  const documents = await store.list()
  return {
    memberKey: store.memberKey,
    orgs: (await store.list('org')).map((id) => id.slice('org:'.length)),
    files,
    settings: async function* () {
      const it = db.settings.iterator()
      try {
        for (;;) {
          const row = await it.next()
          if (row === undefined) return
          yield row
        }
      } finally {
        await it.close()
      }
    },
    documents,
    documentBytes: () => storedDocuments(db, documents),
    chains,
    // As stored, in one read-ahead pass (nothing unpacked and packed again).
    chainRuns: () => store.chains.packedRuns(),
    forks: () => store.chains.forks(),
  }
}

/** Bytes LevelDB hands over per read step of a backup's passes (not the default 16 KiB). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024

/** The rows of a section in key order, read ahead in large steps. */
async function* sectionRows(db: Database, section: Section): AsyncGenerator<[string, Uint8Array]> {
  const it = section.iterator({ highWaterMarkBytes: READ_AHEAD_BYTES })
  try {
    for (;;) {
      const rows = await db.read(() => it.nextv(1024))
      if (rows.length === 0) return
      yield* rows
    }
  } finally {
    await it.close()
  }
}

/**
 * `docIds` (in key order) as the store holds them, without loading them: each snapshot
 * followed by the changes stored since (what `A.load` reads as one document), in one
 * pass over each section. The change rows' pass starts first: a compaction in between
 * only repeats changes the newer snapshot holds.
 */
async function* storedDocuments(db: Database, docIds: readonly DocId[]): AsyncGenerator<[DocId, Uint8Array]> {
  const changes = sectionRows(db, db.changes)
  let change = await changes.next()
  const snapshots = sectionRows(db, db.snapshots)
  let snapshot = await snapshots.next()
  try {
    for (const docId of docIds) {
      while (!snapshot.done && snapshot.value[0] < docId) snapshot = await snapshots.next()
      if (snapshot.done || snapshot.value[0] !== docId) throw new DocumentNotFoundError(docId)
      const parts: Uint8Array[] = [snapshot.value[1]]
      const prefix = `${docId}!`
      // Change keys are `docId!seq`: rows of documents before this one (none listed) are passed.
      while (!change.done && change.value[0] < prefix) change = await changes.next()
      while (!change.done && change.value[0].startsWith(prefix)) {
        parts.push(...unpackChanges(change.value[1]))
        change = await changes.next()
      }
      yield [docId, Buffer.concat(parts)]
    }
  } finally {
    await changes.return(undefined)
    await snapshots.return(undefined)
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128) || 'key'
}

export interface CreateBackupOptions {
  readonly file: string
  readonly withKey: boolean
  readonly passphrase?: string
  readonly onProgress?: (p: BackupProgress) => void
  /** Stops the backup under way (a node stopping): the temporary file is removed. */
  readonly signal?: AbortSignal
}

/** Writes a backup of the node to `file` (FILE.tmp, then renamed). */
export async function createBackup(
  parts: { dataDir: string; db: Database; store: DocumentStore },
  options: CreateBackupOptions,
): Promise<BackupWritten> {
  const source = await backupSource(parts, options.withKey)
  return writeBackup(source, {
    file: resolve(options.file),
    app: VERSION,
    withKey: options.withKey,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
}

export interface RestoreOutcome extends MergeOutcome {
  readonly file: string
  readonly orgs: readonly string[]
}

/** Where a restore into a live node stages the checked content (see `restoreInto`). */
export function pendingRestoreFile(dataDir: string): string {
  return join(dataDir, 'restore-pending.vgbak')
}

/**
 * Merges a backup into a live node's store, all or nothing: the file is checked whole
 * first (nothing is received from a file that does not verify) and refused if it holds an
 * org this node is not a member of; its checked content is then staged in the data
 * directory (written whole, then renamed: the commit point) and received like a peer's
 * content. Killed before the stage is in place, the node is as it was; after, the node
 * finishes the merge when it next opens (`finishPendingRestore`) before it serves
 * anything, so it is never left half restored.
 */
export async function restoreInto(
  parts: { dataDir: string; store: DocumentStore },
  file: string,
  options: { passphrase?: string; onProgress?: (p: BackupProgress) => void } = {},
): Promise<RestoreOutcome> {
  const { store } = parts
  const { report, contents } = await inspectBackup(file, {
    keep: true,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  })
  if (contents === null) throw new Error('unreachable: contents kept')
  const held = new Set((await store.list('org')).map((id) => id.slice('org:'.length)))
  const foreign = report.header.orgs.filter((o) => !held.has(o))
  if (foreign.length > 0)
    throw new ForeignBackupError(
      file,
      foreign,
      `${cliHint(`backup restore ${shellWord(resolve(file))}`, 'NEWDIR')} (NEWDIR: a new or empty folder)`,
    )
  const pending = pendingRestoreFile(parts.dataDir)
  // Settings and files stay this node's own: only documents and chains are merged.
  const staged = { ...contents, files: new Map(), settings: new Map() }
  await writeBackup(contentsSource(report.header, staged), { file: pending, app: VERSION, withKey: false })
  const outcome = await mergeBackup(store, contents, {
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  })
  await rm(pending, { force: true })
  return { ...outcome, file, orgs: report.header.orgs }
}

/**
 * Finishes a restore into this node that was cut short (the process killed after its
 * content was staged): merges the staged content, then removes it. Null when none waits.
 */
export async function finishPendingRestore(parts: {
  dataDir: string
  store: DocumentStore
}): Promise<MergeOutcome | null> {
  const pending = pendingRestoreFile(parts.dataDir)
  if (!existsSync(pending)) return null
  let contents: Awaited<ReturnType<typeof inspectBackup>>['contents']
  try {
    ;({ contents } = await inspectBackup(pending, { keep: true }))
  } catch (err) {
    // Written whole then renamed, so only damage on disk gets here: kept aside, never in the way.
    await rename(pending, `${pending}.damaged`)
    throw err
  }
  const outcome = await mergeBackup(parts.store, contents as NonNullable<typeof contents>)
  await rm(pending, { force: true })
  return outcome
}

/** A backup in the node's backup folder, as the API lists it. */
export interface FolderBackup {
  readonly file: string
  readonly path: string
  readonly takenAt: number
  readonly size: number
  /** Whether the folder's retention keeps it (false: the next prune removes it). */
  readonly kept: boolean
}

/**
 * The folder backups made through the API go to when no file is named: config.json's
 * `backup.dir` (where scheduled backups go), else `backups/` in the data directory.
 */
export async function nodeBackupFolder(
  dataDir: string,
): Promise<{ readonly dir: string; readonly configured: boolean; readonly keep: RetentionPolicy }> {
  const { dir, config } = await configuredBackups(dataDir)
  return { dir: dir ?? join(dataDir, 'backups'), configured: dir !== null, keep: config.keep }
}

/** The backups in the node's backup folder, newest first (none while the folder does not exist). */
export async function listNodeBackups(
  dataDir: string,
): Promise<{ readonly dir: string; readonly configured: boolean; readonly backups: FolderBackup[] }> {
  const { dir, configured, keep } = await nodeBackupFolder(dataDir)
  if (!existsSync(dir)) return { dir, configured, backups: [] }
  const plan = await planBackupFolder(dir, keep)
  const kept = new Set(plan.keep.map((b) => b.name))
  const backups = [...plan.keep, ...plan.remove]
    .map((b) => ({ file: b.name, path: b.path, takenAt: b.at, size: b.size, kept: kept.has(b.name) }))
    .sort((a, b) => b.takenAt - a.takenAt)
  return { dir, configured, backups }
}

/** What the API's backup routes do (one job at a time, see backup-jobs.ts). */
export interface BackupControl {
  /** `file` absent: a new file named for the time in the node's backup folder (`nodeBackupFolder`). */
  create(input: { file?: string; withKey: boolean; passphrase?: string }): BackupJob
  restore(input: { file: string; passphrase?: string }): BackupJob
  job(id: string): BackupJob
  list(): ReturnType<typeof listNodeBackups>
}

/** The backup routes' part of a node: `store` is read at each call (open by then). */
export function backupControl(
  node: { dataDir: string; db: Database; store: DocumentStore },
  jobs: BackupJobs,
): BackupControl {
  return {
    create: (input) =>
      jobs.start('create', async (onProgress) => {
        const file = input.file ?? (await newFolderFile(node.dataDir))
        const written = await createBackup(node, { ...input, file, onProgress })
        return {
          file: written.file,
          bytes: written.bytes,
          encrypted: written.header.encryption !== null,
          withKey: input.withKey,
        }
      }),
    restore: (input) =>
      jobs.start('restore', async (onProgress) => {
        const outcome = await restoreInto(node, resolve(input.file), {
          onProgress,
          ...(input.passphrase === undefined ? {} : { passphrase: input.passphrase }),
        })
        return { ...outcome, refused: outcome.refused.map((r) => ({ ...r })) }
      }),
    job: (id) => jobs.get(id),
    list: () => listNodeBackups(node.dataDir),
  }
}

/** A new backup's path in the node's backup folder (made, owner only, if missing). */
async function newFolderFile(dataDir: string): Promise<string> {
  const { dir } = await nodeBackupFolder(dataDir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return join(dir, backupFileName(Date.now()))
}
