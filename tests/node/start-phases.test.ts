/**
 * A node's start reports its steps (`startPhases`), the passphrase KDF as `unlock`, which
 * comes first: a wrong passphrase is refused before the database is opened.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initDataDir, layout, readRuntimeFile, VerseGuyNode } from '../../node/index.ts'
import { WrongPassphraseError } from '../../services/identity/errors.ts'

const PASS = 'start unlock passphrase'
const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vg-unlock-'))
  dirs.push(dir)
  await initDataDir(dir, PASS, { N: 2 ** 14, r: 8, p: 1 })
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ net: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }, log: { level: 'silent' } }),
  )
  return dir
}

const start = async (dir: string, passphrase: string) => {
  const node = new VerseGuyNode({ dataDir: dir, passphrase, apiPort: 0, logLevel: 'silent' })
  await node.start()
  return node
}

describe('start steps', () => {
  it('a wrong passphrase is refused and leaves the node stopped; a start reports each step, unlock first', async () => {
    const dir = await dataDir()
    const node = await start(dir, PASS)
    const org = await node.services.org.createOrg({ name: 'Unlock Test', tag: 'UNLK', handle: 'founder' })
    await node.stop()

    await expect(start(dir, 'not the passphrase')).rejects.toThrow(WrongPassphraseError)
    expect(await readRuntimeFile(layout(dir).runtime)).toBeNull()
    const again = await start(dir, PASS)
    try {
      expect((await again.services.org.members(org.id)).length).toBe(1)
      expect(Object.keys(again.startPhases)).toEqual([
        'config',
        'unlock',
        'store',
        'orgs',
        'licenses',
        'net',
        'api',
      ])
      expect(again.startPhases.unlock).toBeGreaterThan(0)
      // A local change after the start is made and recorded.
      await again.services.fleet.addShip(org.id, { model: 'Cutlass Black', manufacturer: 'Drake' })
      expect((await again.services.fleet.composition(org.id)).ships).toBe(1)
    } finally {
      await again.stop()
    }
  })
})
