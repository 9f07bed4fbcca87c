/**
 * `verseguy ship import FILE` against a running node (the CLI's main in this process):
 * a dry run changes nothing, the import prints what was added and skipped, and the exit
 * codes: 0 done, 1 a bad or too-large file (nothing changed), 2 a usage error; and the
 * same import on a stopped node (its store opened in the command's process).
 */
import { copyFile, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { initDataDir } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { foundOrg } from '../helpers/roster-nodes.ts'
import { FAST_KDF, type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const FIXTURES = join(import.meta.dirname, '../fixtures/import')

let leader: TestNode
const cli = (...args: string[]) => runMain(['-d', leader.dir, ...args])
const temp = useTempDirs('vg-cli-import-')

interface ImportResult {
  dryRun: boolean
  added: { id: string | null; model: string }[]
  skipped: { reason: string }[]
}
const shipCount = async () => {
  const r = await cli('ship', 'list', '--json')
  return (JSON.parse(r.stdout) as { items: unknown[] }).items.length
}

const nodes = useNodes('file')
beforeAll(async () => {
  leader = (await foundOrg(nodes, 'Cli Import')).leader
}, 60_000)

describe('verseguy ship import', () => {
  it('--dry-run prints what would change and changes nothing; then the import adds the ships (exit 0)', async () => {
    const file = join(FIXTURES, 'fleetyards.json')
    const dry = await cli('ship', 'import', file, '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/would add/)
    expect(dry.stdout).toMatch(/Dry run \(fleetyards\): would add 4 ships, skip 1\. Nothing was changed\./)
    expect(await shipCount()).toBe(0)

    const done = await cli('ship', 'import', file, '--json')
    expect(done.code, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as ImportResult
    expect(result.dryRun).toBe(false)
    expect(result.added.map((s) => s.model)).toEqual([
      'Cutlass Black',
      'Prospector',
      'Zeus Mk XII Concept',
      '600i Touring',
    ])
    expect(result.skipped.map((s) => s.reason)).toEqual(['duplicate-in-file'])
    expect(await shipCount()).toBe(4)

    const again = await cli('ship', 'import', file)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/Nothing to import \(fleetyards\): skipped 5\. Nothing was changed\./)
    expect(again.stdout).toMatch(/in your hangar already/)
    expect(await shipCount()).toBe(4)
  })

  it('--format reads the file as that format', async () => {
    const dir = await temp.make()
    const file = join(dir, 'export.txt')
    await copyFile(join(FIXTURES, 'hangarxplor.csv'), file)
    const r = await cli('ship', 'import', file, '--format', 'hangarxplor-csv', '--dry-run', '--json')
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as ImportResult).added).toHaveLength(5)
  })

  it('a bad file, a missing one, a 100 MB one: exit 1 with a clear error, nothing changed', async () => {
    const before = await shipCount()
    const dir = await temp.make()
    await writeFile(join(dir, 'broken.json'), '[{"name": "Cutlass"')
    await writeFile(join(dir, 'no-ship.csv'), 'Manufacturer,Model\nDRAK,Vulture\n')
    const huge = await open(join(dir, 'huge.json'), 'w')
    await huge.truncate(100 * 1024 * 1024)
    await huge.close()
    const cases: [string, RegExp][] = [
      ['broken.json', /import file: not JSON/],
      ['no-ship.csv', /not a hangar export this import knows/],
      ['missing.json', /no file .*missing\.json/],
      ['huge.json', /104857600 bytes, more than the 1048576 bytes an import reads/],
    ]
    for (const [name, message] of cases) {
      const r = await cli('ship', 'import', join(dir, name))
      expect(r.code, name).toBe(1)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toMatch(/Nothing was changed/)
    }
    expect(await shipCount()).toBe(before)
  })

  it('an unknown --format or no file: a usage error, exit 2', async () => {
    const r = await cli('ship', 'import', join(FIXTURES, 'fleetyards.json'), '--format', 'xml')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--format.*hangarxplor-json, hangarxplor-csv, fleetyards/)
    expect((await cli('ship', 'import')).code).toBe(2)
  })
})

describe('verseguy ship import on a stopped node', () => {
  it('imports with the passphrase; a dry run too changes nothing', async () => {
    const dir = join(await temp.make(), 'node')
    const env = { VERSEGUY_PASSPHRASE: 'stopped import pass' }
    await initDataDir(dir, env.VERSEGUY_PASSPHRASE, FAST_KDF)
    const run = (...args: string[]) => runMain(['-d', dir, ...args], env)
    expect((await run('org', 'create', '--name', 'Stopped Wing', '--tag', 'STW')).code).toBe(0)
    const file = join(FIXTURES, 'hangarxplor.csv')
    const count = async () =>
      (JSON.parse((await run('ship', 'list', '--json')).stdout) as { items: unknown[] }).items.length
    expect((await run('ship', 'import', file, '--dry-run')).code).toBe(0)
    expect(await count()).toBe(0)
    const r = await run('ship', 'import', file)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Imported 5 ships \(hangarxplor-csv\) in one change; skipped 1\./)
    expect(await count()).toBe(5)
  })
})
