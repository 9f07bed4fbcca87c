/**
 * Where a node keeps its files. Default: the user's data directory
 * (`~/.local/share/verseguy` on Linux, `~/Library/Application Support/verseguy` on
 * macOS, `%LOCALAPPDATA%\verseguy\Data` on Windows); `--data-dir` or `VERSEGUY_HOME`
 * overrides it. Everything in it is owner-only (see `secureDataDir`).
 */
import { existsSync, statSync } from 'node:fs'
import { chmod, lstat, readdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import envPaths from 'env-paths'
import { DataDirNotDirectoryError, DataDirPermissionError } from './errors.ts'

/** Folders of a data directory: only the owner may list or enter them. */
export const DIR_MODE = 0o700
/** Files of a data directory (member key, database, token): only the owner may read them. */
export const FILE_MODE = 0o600

export interface DataDirLayout {
  readonly root: string
  /** The encrypted member key. */
  readonly identity: string
  /** LevelDB. */
  readonly db: string
  /** User-editable settings. */
  readonly config: string
  /** Written while the node runs: pid, API address, CLI token (owner-only). */
  readonly runtime: string
}

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.VERSEGUY_HOME
  if (chosen !== undefined && chosen !== '') return resolve(chosen)
  return envPaths('verseguy', { suffix: '' }).data
}

export function layout(root: string): DataDirLayout {
  return {
    root,
    identity: resolve(root, 'identity.key'),
    db: resolve(root, 'db'),
    config: resolve(root, 'config.json'),
    runtime: resolve(root, 'node.json'),
  }
}

/**
 * Whether `root` holds a node. Throws `DataDirNotDirectoryError` if `root`, or the
 * nearest existing path above it, is a file: such a directory can be neither read nor
 * created, and every command says so rather than "run init".
 */
export function isInitialized(root: string): boolean {
  assertDataDirPath(root)
  return existsSync(layout(root).identity)
}

/** `root` is a folder, or could be made one (the nearest existing path above it is a folder). */
export function assertDataDirPath(root: string): void {
  let path = resolve(root)
  for (;;) {
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats?.isDirectory()) return
    if (stats !== undefined) throw new DataDirNotDirectoryError(resolve(root), path)
    const parent = dirname(path)
    if (parent === path) return
    path = parent
  }
}

/**
 * Makes a data directory and everything in it owner-only: folders 0700, files 0600,
 * LevelDB's files included. Run on init and on every start, so a directory made or
 * copied with looser modes is mended before anything is read from it. Symbolic links
 * are left as they are and never followed. Returns the paths whose mode it changed.
 * Nothing to do on Windows, where these modes do not apply.
 */
export async function secureDataDir(root: string): Promise<string[]> {
  if (process.platform === 'win32') return []
  const changed: string[] = []
  const visit = async (path: string): Promise<void> => {
    const s = await lstat(path)
    const mode = s.isDirectory() ? DIR_MODE : s.isFile() ? FILE_MODE : null
    if (mode === null) return
    if ((s.mode & 0o777) !== mode) {
      try {
        await chmod(path, mode)
      } catch (cause) {
        throw new DataDirPermissionError(root, path, { cause })
      }
      changed.push(path)
    }
    if (s.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name))
  }
  await visit(root)
  return changed
}
