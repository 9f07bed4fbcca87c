/**
 * A node's start reports its steps (`startPhases`), the passphrase KDF as `unlock`, which
 * comes first: a wrong passphrase is refused before the database is opened.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { initDataDir, layout, readRuntimeFile, VerseGuyNode } from '../../node/index.ts'
import { WrongPassphraseError } from '../../services/identity/errors.ts'
import { shelfKeys } from '../../services/org/auth-snapshot.ts'
import { AuthState } from '../../services/org/auth-state.ts'

const PASS = 'start unlock passphrase'
const dirs: string[] = []
afterEach(async () => {
  vi.restoreAllMocks()
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

  it("a start reads each org's authorization state back as the last stop saved it, not from the roster", async () => {
    const dir = await dataDir()
    let node = await start(dir, PASS)
    const org = await node.services.org.createOrg({ name: 'Shelf Test', tag: 'SHLF', handle: 'founder' })
    await node.services.invites.createInvite(org.id, { rank: 'member' })
    await node.stop()

    const reads = vi.spyOn(AuthState, 'fromDoc')
    node = await start(dir, PASS)
    try {
      const heads = A.getHeads(await node.services.org.roster(org.id))
        .sort()
        .join()
      expect(reads.mock.calls.filter(([, , h]) => [...(h ?? [])].sort().join() === heads)).toEqual([])
      expect(await node.documents.getSetting(shelfKeys(org.id).heads)).toMatchObject({ heads })
      expect((await node.services.org.members(org.id)).map((m) => m.handle)).toEqual(['founder'])
      // A change after the start: saved again at the next stop.
      await node.services.org.setNotes(org.id, org.owner, 'after the start')
    } finally {
      await node.stop()
    }
    node = await start(dir, PASS)
    try {
      const heads = A.getHeads(await node.services.org.roster(org.id))
        .sort()
        .join()
      expect(await node.documents.getSetting(shelfKeys(org.id).heads)).toMatchObject({ heads })
    } finally {
      await node.stop()
    }
  })
})
