/**
 * A restore into a node killed (SIGKILL) midway never leaves it half restored: killed
 * once the checked content is staged, the node finishes the merge when it next opens;
 * killed before, it is as it was.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pendingRestoreFile } from '../../node/backups.ts'
import { BIN, runMain } from '../helpers/cli.ts'
import { initTestNodeDir, TEST_NODE_PASS } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const temp = useTempDirs('vg-restore-kill-')
const env = { VERSEGUY_PASSPHRASE: TEST_NODE_PASS }

async function ships(dir: string): Promise<string[]> {
  const res = await runMain(['-d', dir, 'ship', 'list', '--limit', '500', '--json'])
  expect(res.code, res.stderr).toBe(0)
  return (JSON.parse(res.stdout) as { items: { model: string }[] }).items.map((s) => s.model).sort()
}

/** `verseguy -d dir backup restore file` in a child, SIGKILLed once `killWhen` holds (checked every 2 ms). */
function restoreKilled(dir: string, file: string, killWhen: () => boolean): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '-d', dir, 'backup', 'restore', file], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    })
    let killed = false
    const timer = setInterval(() => {
      if (!killed && killWhen()) {
        killed = child.kill('SIGKILL')
        clearInterval(timer)
      }
    }, 2)
    child.on('exit', () => {
      clearInterval(timer)
      resolve({ killed })
    })
  })
}

describe('restore killed midway', () => {
  it('is finished at the next open when killed after staging, never half', async () => {
    const work = await temp.make()
    const origin = await initTestNodeDir(join(work, 'origin'))
    await runMain(
      ['-d', origin, 'org', 'create', '--name', 'Kill Org', '--tag', 'KIL', '--handle', 'Lead_K'],
      env,
    )
    await runMain(['-d', origin, 'ship', 'add', '--model', 'Ship 000', '--manufacturer', 'RSI'], env)
    const old = join(work, 'old.vgbak')
    expect((await runMain(['-d', origin, 'backup', 'create', '--out', old, '--with-key'])).code).toBe(0)
    for (let i = 1; i <= 60; i++)
      await runMain(
        [
          '-d',
          origin,
          'ship',
          'add',
          '--model',
          `Ship ${String(i).padStart(3, '0')}`,
          '--manufacturer',
          'RSI',
        ],
        env,
      )
    const full = join(work, 'full.vgbak')
    expect((await runMain(['-d', origin, 'backup', 'create', '--out', full])).code).toBe(0)
    const everything = await ships(origin)
    expect(everything).toHaveLength(61)

    // The same member's node from the old backup: one ship.
    const node = join(work, 'node')
    expect((await runMain(['-d', node, 'backup', 'restore', old])).code).toBe(0)
    expect(await ships(node)).toEqual(['Ship 000'])

    const pending = pendingRestoreFile(node)
    const { killed } = await restoreKilled(node, full, () => existsSync(pending))
    expect(killed).toBe(true)
    // Whatever the kill cut, the node opens fully restored.
    expect(await ships(node)).toEqual(everything)
    expect(existsSync(pending)).toBe(false)
  }, 120_000)

  it('is as it was when killed before the content is staged', async () => {
    const work = await temp.make()
    const origin = await initTestNodeDir(join(work, 'origin'))
    await runMain(
      ['-d', origin, 'org', 'create', '--name', 'Kill Org B', '--tag', 'KIB', '--handle', 'Lead_B'],
      env,
    )
    const old = join(work, 'old.vgbak')
    expect((await runMain(['-d', origin, 'backup', 'create', '--out', old, '--with-key'])).code).toBe(0)
    await runMain(['-d', origin, 'ship', 'add', '--model', 'Later', '--manufacturer', 'RSI'], env)
    const full = join(work, 'full.vgbak')
    expect((await runMain(['-d', origin, 'backup', 'create', '--out', full])).code).toBe(0)
    const node = join(work, 'node')
    expect((await runMain(['-d', node, 'backup', 'restore', old])).code).toBe(0)
    // Killed as soon as it runs: the stage is never whole under its name.
    const { killed } = await restoreKilled(node, full, () => true)
    expect(killed).toBe(true)
    expect(await ships(node)).toEqual([])
  }, 120_000)
})
