/**
 * Creating a node's data directory: encrypted member key, empty database, default
 * config, all owner-only (an existing folder's looser modes included). Refuses to touch
 * a directory that already holds a node. Everything is checked before anything is
 * created, and a failure part-way removes what this call made: no half-made node and
 * no empty folder is left behind.
 */
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { Database } from '../crdt/index.ts'
import {
  type KdfParams,
  MemberIdentity,
  MIN_PASSPHRASE_LENGTH,
  WeakPassphraseError,
  writeKeyFile,
} from '../services/identity/index.ts'
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
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new WeakPassphraseError(MIN_PASSPHRASE_LENGTH)
  const paths = layout(root)
  const made: string[] = []
  try {
    // The first folder mkdir made (root or a parent of it), if it made any.
    const first = await mkdir(root, { recursive: true, mode: DIR_MODE })
    if (first !== undefined) made.push(first)
    await secureDataDir(root)
    const { identity, file } = await MemberIdentity.generate(passphrase, kdf)
    // The database first: if anything fails, no identity.key claims an initialized node.
    await rm(paths.db, { recursive: true, force: true })
    made.push(paths.db)
    const db = await Database.open(paths.db, { create: true })
    await db.close()
    // A config.json the user put there first is kept.
    if (!existsSync(paths.config)) {
      made.push(paths.config)
      await writeConfig(paths.config, defaultConfig())
    }
    made.push(paths.identity)
    await writeKeyFile(paths.identity, file)
    // LevelDB makes its files with the process umask: tighten them too.
    await secureDataDir(root)
    return { dataDir: root, memberKey: identity.memberKey, peerId: identity.peerId }
  } catch (err) {
    for (const path of made.reverse()) await rm(path, { recursive: true, force: true }).catch(() => {})
    throw err
  }
}
