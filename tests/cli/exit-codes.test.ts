/**
 * The CLI's exit codes, through the real entry point: one code per kind of failure, as
 * docs/cli.md's table says, and one line without a stack for every expected error.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EXIT_CODES } from '../../cli/main.ts'
import { initDataDir } from '../../node/index.ts'
import { runCli } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-cli-exit-')
const PASS = 'exit codes passphrase'
const env = { VERSEGUY_PASSPHRASE: PASS }
const STACK = /^\s+at /m

describe('exit codes', () => {
  it('usage 2, bad input 1 naming the field, a locked feature 3, a wrong passphrase 3', async () => {
    const dir = await dirs.make()
    await initDataDir(dir, PASS, FAST_KDF)

    const usage = await runCli(['-d', dir, 'frobnicate'])
    expect(usage.code).toBe(2)

    const badTag = await runCli(['-d', dir, 'org', 'create', '--name', 'Exit Org', '--tag', 'x'], env)
    expect(badTag.code).toBe(1)
    expect(badTag.stderr).toMatch(/^error: tag: .*Nothing was changed\.\n$/)

    const first = await runCli(['-d', dir, 'org', 'create', '--name', 'Exit Org', '--tag', 'EXIT'], env)
    expect(first.code, first.stderr).toBe(0)
    // A second org on one node needs a Pro license: forbidden, code feature-locked.
    const second = await runCli(['-d', dir, 'org', 'create', '--name', 'Other Org', '--tag', 'OTH'], env)
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(/^error: multiple-orgs is not available: /)
    expect(second.stderr).not.toMatch(STACK)

    // A read on a stopped node asks no passphrase; a change does.
    const wrong = await runCli(['-d', dir, 'org', 'update', '--description', 'x'], {
      VERSEGUY_PASSPHRASE: 'not the passphrase',
    })
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toMatch(/^error: Wrong passphrase/)
    expect(wrong.stderr).not.toMatch(STACK)
  }, 120_000)

  it('docs/cli.md lists the exit codes EXIT_CODES gives', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../docs/cli.md'), 'utf8')
    const section = doc.slice(doc.indexOf('## Exit codes'))
    const documented = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]))
    expect(documented.sort((a, b) => a - b)).toEqual(
      [...new Set(Object.values(EXIT_CODES))].sort((a, b) => a - b),
    )
  })
})
