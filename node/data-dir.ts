/**
 * Where a node keeps its files. Default: the user's data directory
 * (`~/.local/share/verseguy` on Linux, `~/Library/Application Support/verseguy` on
 * macOS, `%LOCALAPPDATA%\verseguy\Data` on Windows); `--data-dir` or `VERSEGUY_HOME`
 * overrides it.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import envPaths from 'env-paths'

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

export function isInitialized(root: string): boolean {
  return existsSync(layout(root).identity)
}
