/**
 * The data directory is the owner's alone: init makes it so, and every start mends a
 * directory made or copied with looser modes (LevelDB's files included), so nobody
 * else on the machine can read the member key, the database or the API token.
 */
import { chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DIR_MODE, FILE_MODE, initDataDir, secureDataDir } from '../../node/index.ts'
import { startNode } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-data-dir-')
const PASS = 'data dir passphrase'

/** Every folder and file under `root` (root included) with its permission bits. */
async function modes(root: string): Promise<Map<string, { kind: 'dir' | 'file' | 'link'; mode: number }>> {
  const out = new Map<string, { kind: 'dir' | 'file' | 'link'; mode: number }>()
  const visit = async (path: string, rel: string) => {
    const s = await lstat(path)
    out.set(rel, {
      kind: s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'link' : 'file',
      mode: s.mode & 0o777,
    })
    if (s.isDirectory())
      for (const name of await readdir(path)) await visit(join(path, name), join(rel, name))
  }
  await visit(root, '.')
  return out
}

/** The paths whose mode is not owner-only. */
async function loose(root: string): Promise<string[]> {
  const out: string[] = []
  for (const [rel, { kind, mode }] of await modes(root)) {
    if (kind === 'dir' && mode !== DIR_MODE) out.push(`${rel} ${mode.toString(8)}`)
    if (kind === 'file' && mode !== FILE_MODE) out.push(`${rel} ${mode.toString(8)}`)
  }
  return out
}

/** Makes every folder 0755 and every file 0644, as a careless copy would. */
async function loosen(root: string): Promise<void> {
  for (const [rel, { kind }] of await modes(root)) {
    if (kind !== 'link') await chmod(join(root, rel), kind === 'dir' ? 0o755 : 0o644)
  }
}

describe.skipIf(process.platform === 'win32')('data directory permissions', () => {
  it('init into an existing world-readable folder leaves it and everything in it owner-only', async () => {
    const root = join(await dirs.make(), 'node')
    await mkdir(root)
    await chmod(root, 0o755)
    await initDataDir(root, PASS, FAST_KDF)
    const all = await modes(root)
    expect([...all.keys()]).toEqual(expect.arrayContaining(['.', 'identity.key', 'config.json', 'db']))
    // LevelDB's own files are there and were made with the process umask.
    expect([...all.keys()].some((k) => k.startsWith('db/MANIFEST-'))).toBe(true)
    expect(await loose(root)).toEqual([])
  })

  it('start mends an existing world-readable directory, LevelDB files included, and keeps new files owner-only', async () => {
    const root = join(await dirs.make(), 'node')
    const passFile = join(root, '..', 'pass')
    await writeFile(passFile, `${PASS}\n`)
    await initDataDir(root, PASS, FAST_KDF)
    await loosen(root)
    expect((await loose(root)).length).toBeGreaterThan(4)

    const node = await startNode(['-d', root, '--api-port', '0', '--passphrase-file', passFile])
    try {
      // Running: the database has made its log and lock files, and node.json holds the token.
      const names = [...(await modes(root)).keys()]
      expect(names).toEqual(expect.arrayContaining(['node.json', 'db/LOCK']))
      expect(await loose(root)).toEqual([])
      expect(node.output()).toContain('data directory made owner-only')
    } finally {
      expect(await node.stop()).toBe(0)
    }
    expect(await loose(root)).toEqual([])
  })

  it('secureDataDir reports what it changed, and leaves symbolic links and their targets alone', async () => {
    const outside = await dirs.make()
    const target = join(outside, 'shared.txt')
    await writeFile(target, 'not the node’s')
    await chmod(target, 0o644)
    const root = join(await dirs.make(), 'node')
    await mkdir(join(root, 'sub'), { recursive: true })
    await chmod(root, 0o755)
    await chmod(join(root, 'sub'), 0o700)
    await writeFile(join(root, 'sub', 'file'), 'x', { mode: 0o640 })
    await chmod(join(root, 'sub', 'file'), 0o640)
    await symlink(target, join(root, 'link'))

    expect((await secureDataDir(root)).sort()).toEqual([root, join(root, 'sub', 'file')].sort())
    expect(await loose(root)).toEqual([])
    expect((await lstat(target)).mode & 0o777).toBe(0o644)
    expect(await readFile(join(root, 'link'), 'utf8')).toBe('not the node’s')
    // A second pass finds nothing to do.
    expect(await secureDataDir(root)).toEqual([])
  })
})

describe('init leaves nothing behind when it fails', () => {
  it('a failure part-way (the key derivation refuses its parameters) removes every folder it made', async () => {
    const parent = await dirs.make()
    const root = join(parent, 'a', 'node')
    await expect(initDataDir(root, PASS, { N: 3, r: 8, p: 1 })).rejects.toThrow()
    expect(await readdir(parent)).toEqual([])
  })

  it('in a folder that was there, removes only what it made and keeps a config.json put there first', async () => {
    const root = join(await dirs.make(), 'node')
    await mkdir(root)
    await writeFile(join(root, 'config.json'), '{"log":{"level":"warn"}}\n')
    await writeFile(join(root, 'notes.txt'), 'mine')
    await expect(initDataDir(root, PASS, { N: 3, r: 8, p: 1 })).rejects.toThrow()
    expect((await readdir(root)).sort()).toEqual(['config.json', 'notes.txt'])
    await initDataDir(root, PASS, FAST_KDF)
    expect(await readFile(join(root, 'config.json'), 'utf8')).toBe('{"log":{"level":"warn"}}\n')
  })

  it('a weak passphrase is refused before anything is created', async () => {
    const parent = await dirs.make()
    await expect(initDataDir(join(parent, 'node'), 'short', FAST_KDF)).rejects.toThrow(
      /at least 8 characters/,
    )
    expect(await readdir(parent)).toEqual([])
  })
})
