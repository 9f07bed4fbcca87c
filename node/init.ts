/**
 * Creating a node's data directory: encrypted member key, empty database, default
 * config, all owner-only (an existing folder's looser modes included). Refuses to touch a directory that already holds a node.
 */
import { mkdir, rm } from 'node:fs/promises'
import { Database } from '../crdt/index.ts'
import { type KdfParams, MemberIdentity, writeKeyFile } from '../services/identity/index.ts'
import { defaultConfig, writeConfig } from './config.ts'
import { DIR_MODE, isInitialized, layout, secureDataDir } from './data-dir.ts'
import { AlreadyInitializedError } from './errors.ts'

export interface InitResult {
  readonly dataDir: string
  readonly memberKey: string
  readonly peerId: string
}

export async function initDataDir(root: string, passphrase: string, kdf?: KdfParams): Promise<InitResult> {
  if (isInitialized(root)) throw new AlreadyInitializedError(root)
  const paths = layout(root)
  await mkdir(root, { recursive: true, mode: DIR_MODE })
  await secureDataDir(root)
  const { identity, file } = await MemberIdentity.generate(passphrase, kdf)
  // The database first: if anything fails, no identity.key claims an initialized node.
  await rm(paths.db, { recursive: true, force: true })
  const db = await Database.open(paths.db, { create: true })
  await db.close()
  await writeConfig(paths.config, defaultConfig())
  await writeKeyFile(paths.identity, file)
  // LevelDB makes its files with the process umask: tighten them too.
  await secureDataDir(root)
  return { dataDir: root, memberKey: identity.memberKey, peerId: identity.peerId }
}
