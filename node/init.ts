/**
 * Creating a node's data directory: folder (owner-only), encrypted member key, empty
 * database, default config. Refuses to touch a directory that already holds a node.
 */
import { mkdir, rm } from 'node:fs/promises'
import { Database } from '../crdt/index.ts'
import { type KdfParams, MemberIdentity, writeKeyFile } from '../services/identity/index.ts'
import { defaultConfig, writeConfig } from './config.ts'
import { isInitialized, layout } from './data-dir.ts'
import { AlreadyInitializedError } from './errors.ts'

export interface InitResult {
  readonly dataDir: string
  readonly memberKey: string
  readonly peerId: string
}

export async function initDataDir(root: string, passphrase: string, kdf?: KdfParams): Promise<InitResult> {
  if (isInitialized(root)) throw new AlreadyInitializedError(root)
  const paths = layout(root)
  await mkdir(root, { recursive: true, mode: 0o700 })
  const { identity, file } = await MemberIdentity.generate(passphrase, kdf)
  // The database first: if anything fails, no identity.key claims an initialized node.
  await rm(paths.db, { recursive: true, force: true })
  const db = await Database.open(paths.db, { create: true })
  await db.close()
  await writeConfig(paths.config, defaultConfig())
  await writeKeyFile(paths.identity, file)
  return { dataDir: root, memberKey: identity.memberKey, peerId: identity.peerId }
}
