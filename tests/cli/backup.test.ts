/**
 * `verseguy backup create|verify|restore` on a stopped node, as a member runs them: a
 * backup needs no node passphrase; verify needs no node at all; restore into an empty
 * data directory gives the node back (same member key and peer id), and into the node
 * itself merges.
 */
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runMain } from '../helpers/cli.ts'
import { initTestNodeDir, TEST_NODE_PASS } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const temp = useTempDirs('vg-cli-backup-')
const BACKUP_PASS = 'a backup passphrase'

describe('backup commands', () => {
  it('create (no node passphrase), verify (no node), restore into a new directory and merge into the node', async () => {
    const work = await temp.make()
    const dir = await initTestNodeDir(join(work, 'node'))
    const env = { VERSEGUY_PASSPHRASE: TEST_NODE_PASS }
    expect(
      (
        await runMain(
          ['-d', dir, 'org', 'create', '--name', 'Cli Backup', '--tag', 'CLB', '--handle', 'Lead_C'],
          env,
        )
      ).code,
    ).toBe(0)
    expect(
      (await runMain(['-d', dir, 'ship', 'add', '--model', 'Avenger', '--manufacturer', 'Aegis'], env)).code,
    ).toBe(0)

    const file = join(work, 'node.vgbak')
    // No VERSEGUY_PASSPHRASE: a backup only reads the store.
    const created = await runMain(
      ['-d', dir, 'backup', 'create', '--out', file, '--encrypt', '--with-key', '--json'],
      {
        VERSEGUY_BACKUP_PASSPHRASE: BACKUP_PASS,
      },
    )
    expect(created.code, created.stderr).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ file, encrypted: true, withKey: true })
    expect(created.stderr).toBe('')

    const passFile = join(work, 'pass')
    await writeFile(passFile, `${BACKUP_PASS}\n`)
    const verified = await runMain(['backup', 'verify', file, '--backup-passphrase-file', passFile, '--json'])
    expect(verified.code, verified.stderr).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      files: expect.arrayContaining(['identity.key']),
    })

    const wrong = await runMain(['backup', 'verify', file], {
      VERSEGUY_BACKUP_PASSPHRASE: 'not the right one',
    })
    expect(wrong.code).toBe(3) // unauthenticated, as a wrong node passphrase
    expect(wrong.stderr).toMatch(/Wrong backup passphrase/)

    const status = JSON.parse((await runMain(['-d', dir, 'status', '--json'])).stdout) as {
      memberKey: string
      peerId: string
    }
    const fresh = join(work, 'new')
    const restored = await runMain([
      '-d',
      fresh,
      'backup',
      'restore',
      file,
      '--backup-passphrase-file',
      passFile,
    ])
    expect(restored.code, restored.stderr).toBe(0)
    expect(restored.stdout).toContain(status.memberKey)
    const again = JSON.parse((await runMain(['-d', fresh, 'status', '--json'])).stdout) as typeof status
    expect(again).toMatchObject({ memberKey: status.memberKey, peerId: status.peerId })
    const ships = JSON.parse((await runMain(['-d', fresh, 'ship', 'list', '--json'])).stdout) as {
      items: { model: string }[]
    }
    expect(ships.items.map((s) => s.model)).toEqual(['Avenger'])

    // Into the node itself: a merge (it writes, so the node passphrase is asked for).
    const merged = await runMain(
      ['-d', dir, 'backup', 'restore', file, '--backup-passphrase-file', passFile, '--json'],
      env,
    )
    expect(merged.code, merged.stderr).toBe(0)
    expect(JSON.parse(merged.stdout)).toMatchObject({ restored: 'merged', accepted: 0, refused: [] })
  }, 90_000)

  it('a node whose damaged database was moved aside gets its store back from a backup without the key', async () => {
    const work = await temp.make()
    const dir = await initTestNodeDir(join(work, 'node'))
    const env = { VERSEGUY_PASSPHRASE: TEST_NODE_PASS }
    await runMain(
      ['-d', dir, 'org', 'create', '--name', 'Db Lost', '--tag', 'DBL', '--handle', 'Lead_D'],
      env,
    )
    await runMain(['-d', dir, 'ship', 'add', '--model', 'Aurora', '--manufacturer', 'RSI'], env)
    const file = join(work, 'b.vgbak')
    expect((await runMain(['-d', dir, 'backup', 'create', '--out', file])).code).toBe(0)
    await rename(join(dir, 'db'), join(work, 'db.damaged'))
    const missing = await runMain(['-d', dir, 'ship', 'list'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('npx verseguy backup restore FILE')
    const restored = await runMain(['-d', dir, 'backup', 'restore', file])
    expect(restored.code, restored.stderr).toBe(0)
    const ships = JSON.parse((await runMain(['-d', dir, 'ship', 'list', '--json'])).stdout) as {
      items: { model: string }[]
    }
    expect(ships.items.map((s) => s.model)).toEqual(['Aurora'])
  }, 60_000)

  it('a file that is not a backup gets a clear error and exit 1', async () => {
    const work = await temp.make()
    const file = join(work, 'x.vgbak')
    await writeFile(file, 'hello, not a backup')
    const res = await runMain(['backup', 'verify', file])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/not a Verse Guy backup/)
  })
})
