/**
 * A backup restored into a data directory that holds no node gives the node back: its
 * member key (the sealed key file, still locked by the node passphrase), config, trusted
 * issuer keys, settings and store. The store is rebuilt through the receive path (every
 * entry and change judged as a peer's), in a staging folder inside the directory; the
 * key file is written last, so until it is there the directory holds no node, and a
 * restore killed midway is simply run again. A node whose database folder is missing
 * (moved aside when damaged) gets its store back the same way, its key file and config
 * kept.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Database, type Entry } from '../crdt/index.ts'
import {
  type BackupProgress,
  BackupTamperedError,
  BackupWithoutKeyError,
  inspectBackup,
  mergeBackup,
  RestoreTargetError,
} from '../services/backup/index.ts'
import { domainStore } from '../services/domain.ts'
import { MemberIdentity, peerIdOf, writeKeyFile } from '../services/identity/index.ts'
import type { RestoreOutcome } from './backups.ts'
import { DIR_MODE, isInitialized, layout, secureDataDir } from './data-dir.ts'
import { MemberSigner } from './member-signer.ts'

const STAGE = '.restoring'
/**
 * Node settings taken from a backup: only those nothing trusts unchecked (the license
 * revocation lists are verified against the issuer keys whenever read; the license clock's
 * watermark can only move the clock forward). Derived state (each org's authorization
 * state kept to start faster) is never taken from a file: it is rebuilt from the verified
 * documents.
 */
const RESTORED_SETTINGS: ReadonlySet<string> = new Set(['license.revocations', 'license.watermark'])
/** Present from the moment the restored database is moved in until the key file is. */
const PENDING = '.restore-pending'

export async function restoreNewNode(
  dataDir: string,
  file: string,
  options: { passphrase?: string; onProgress?: (p: BackupProgress) => void } = {},
): Promise<RestoreOutcome & { memberKey: string; peerId: string }> {
  const paths = layout(dataDir)
  // A node whose database folder is gone (moved aside when damaged) gets it back from the
  // backup of the same member; its key file stays as it is.
  const keepKey = isInitialized(dataDir)
  if (keepKey && existsSync(paths.db))
    throw new RestoreTargetError(`${dataDir} already holds a node: restore merges into it`)
  if (!keepKey && existsSync(paths.db) && !existsSync(join(dataDir, PENDING)))
    throw new RestoreTargetError(
      `${dataDir} holds a database but no identity.key: move it aside before restoring a node into it`,
    )
  const { report, contents } = await inspectBackup(file, {
    keep: true,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  })
  if (contents === null) throw new Error('unreachable: contents kept')
  const keyFile = keepKey ? await readFile(paths.identity) : contents.files.get('identity.key')
  if (keyFile === undefined) throw new BackupWithoutKeyError(file)
  if (keepKey && (await MemberIdentity.publicKeyOf(paths.identity)) !== report.header.memberKey)
    throw new RestoreTargetError(`${dataDir} holds another member's key than the backup ${file}`)

  await mkdir(dataDir, { recursive: true, mode: DIR_MODE })
  const stage = join(dataDir, STAGE)
  await rm(stage, { recursive: true, force: true })
  await mkdir(stage, { mode: DIR_MODE })
  try {
    const stagedKey = join(stage, 'identity.key')
    await writeFile(stagedKey, keyFile, { mode: 0o600 })
    const memberKey = await MemberIdentity.publicKeyOf(stagedKey)
    if (memberKey !== report.header.memberKey)
      throw new BackupTamperedError(file, ['its key file is not the member key its header names'])
    if (keepKey) contents.files.delete('config.json')

    const db = await Database.open(join(stage, 'db'), { create: true })
    let outcome: Awaited<ReturnType<typeof mergeBackup>>
    try {
      const { store } = domainStore({ db, signer: new MemberSigner(memberKey) }, { sync: false })
      await store.start()
      outcome = await mergeBackup(store, contents, {
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      })
      if (outcome.refused.length > 0)
        throw new BackupTamperedError(
          file,
          outcome.refused.map((r) => `${r.author?.slice(0, 12) ?? '?'} seq ${r.seq ?? '?'}: ${r.reason}`),
        )
      // The node-local chain (verified with the others) and the node settings it may take.
      const local: Entry[] = contents.chains.filter((c) => c.scope === null).flatMap((c) => c.entries)
      const ops = [
        ...store.chains.putAllOps(local),
        ...[...contents.settings]
          .filter(([key]) => RESTORED_SETTINGS.has(key))
          .map(([key, value]) => ({
            type: 'put' as const,
            section: db.settings,
            key,
            value: new Uint8Array(value),
          })),
      ]
      await db.write(ops, true)
      for (let i = 0; i + 1 < contents.forks.length; i += 2)
        await store.chains.recordFork(contents.forks[i] as Entry, contents.forks[i + 1] as Entry)
      await store.stop()
    } finally {
      await db.close()
    }

    // config.json with trusted issuer keys pointing at their restored copies.
    const trust: string[] = []
    for (const [name, bytes] of contents.files) {
      if (!name.startsWith('trust/')) continue
      await mkdir(join(dataDir, 'trust'), { recursive: true, mode: DIR_MODE })
      await writeFile(join(dataDir, name), bytes, { mode: 0o600 })
      trust.push(name)
    }
    const configBytes = contents.files.get('config.json')
    if (configBytes !== undefined) {
      let config: { license?: { trust?: string[] } }
      try {
        config = JSON.parse(configBytes.toString('utf8')) as typeof config
      } catch {
        throw new BackupTamperedError(file, ['its config.json is not JSON'])
      }
      if (config.license !== undefined) config.license.trust = trust
      await writeFile(paths.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
    }
    await writeFile(join(dataDir, PENDING), '', { mode: 0o600 })
    await rm(paths.db, { recursive: true, force: true })
    await rename(join(stage, 'db'), paths.db)
    if (!keepKey) await writeKeyFile(paths.identity, await readFile(stagedKey, 'utf8'))
    await rm(join(dataDir, PENDING), { force: true })
    await secureDataDir(dataDir)
    return { ...outcome, file, orgs: report.header.orgs, memberKey, peerId: peerIdOf(memberKey) }
  } finally {
    await rm(stage, { recursive: true, force: true })
  }
}
