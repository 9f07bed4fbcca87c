/**
 * The passphrase KDF runs beside the store's start (node/unlocking-signer.ts): the node
 * still refuses a wrong passphrase, signs nothing before the key is unlocked, and reports
 * the KDF's time apart from its start steps.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initDataDir, layout, readRuntimeFile, VerseGuyNode } from '../../node/index.ts'
import { KeyNotUnlockedError, UnlockingSigner } from '../../node/unlocking-signer.ts'
import { WrongPassphraseError } from '../../services/identity/errors.ts'
import { makeSigner } from '../helpers/signer.ts'

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

describe('unlocking the key beside the start', () => {
  it('UnlockingSigner signs nothing before it is unlocked, and only with the same member key', () => {
    const key = makeSigner()
    const signer = new UnlockingSigner(key.memberKey)
    const data = new Uint8Array([1, 2, 3])
    expect(() => signer.sign(data)).toThrow(KeyNotUnlockedError)
    expect(() => signer.unlocked(makeSigner())).toThrow(/different member key/)
    expect(() => signer.sign(data)).toThrow(KeyNotUnlockedError)
    signer.unlocked(key)
    expect(signer.sign(data)).toEqual(key.sign(data))
  })

  it('a wrong passphrase is refused after the org was loaded beside it, and leaves the node stopped', async () => {
    const dir = await dataDir()
    const node = await start(dir, PASS)
    const org = await node.services.org.createOrg({ name: 'Unlock Test', tag: 'UNLK', handle: 'founder' })
    await node.stop()

    await expect(start(dir, 'not the passphrase')).rejects.toThrow(WrongPassphraseError)
    expect(await readRuntimeFile(layout(dir).runtime)).toBeNull()
    // The store opened beside the KDF was closed: the right passphrase starts it again.
    const again = await start(dir, PASS)
    try {
      expect((await again.services.org.members(org.id)).length).toBe(1)
      expect(again.startPhases.kdf).toBeGreaterThan(0)
      expect(Object.keys(again.startPhases)).toEqual(
        expect.arrayContaining(['store', 'orgs', 'unlock (rest)', 'net', 'api']),
      )
      // Signing works once ready: a local change is made and recorded.
      await again.services.fleet.addShip(org.id, { model: 'Cutlass Black', manufacturer: 'Drake' })
      expect((await again.services.fleet.composition(org.id)).ships).toBe(1)
    } finally {
      await again.stop()
    }
  })
})
