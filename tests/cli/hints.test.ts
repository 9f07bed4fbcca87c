/**
 * Every command a message tells a person to run works as printed: `npx verseguy …`
 * (the bare `verseguy` is on no PATH after `npm ci`), with `-d DIR` when one was given.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliHint } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-cli-hints-')
const REPO = new URL('../../', import.meta.url).pathname
const PASS = 'a long enough passphrase'
const FAST_ENOUGH = 60_000

/** `verseguy <subcommand>` not preceded by `npx `: a hint that does not work as printed. */
const BARE_HINT = /(?<!npx )\bverseguy (?:init|start|status|org|invite|ship|peers|license|-d|--data-dir)\b/

async function filesUnder(dir: string, ext: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(join(REPO, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(ext)) out.push(join(entry.parentPath, entry.name))
  }
  return out
}

describe('hints', () => {
  it('no source line outside comments prints a bare `verseguy …` command', async () => {
    const offenders: string[] = []
    for (const dir of ['cli', 'node', 'services', 'net', 'crdt']) {
      for (const file of await filesUnder(dir, '.ts')) {
        const lines = (await readFile(file, 'utf8')).split('\n')
        lines.forEach((line, i) => {
          const code = line.trim()
          if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return
          if (BARE_HINT.test(code)) offenders.push(`${file.slice(REPO.length)}:${i + 1}: ${code}`)
        })
      }
    }
    expect(offenders).toEqual([])
  })

  it('nor does the README or any doc', async () => {
    const offenders: string[] = []
    for (const file of [join(REPO, 'README.md'), ...(await filesUnder('docs', '.md'))]) {
      const lines = (await readFile(file, 'utf8')).split('\n')
      lines.forEach((line, i) => {
        if (BARE_HINT.test(line)) offenders.push(`${file.slice(REPO.length)}:${i + 1}: ${line}`)
      })
    }
    expect(offenders).toEqual([])
  })

  it('cliHint: npx, and -d DIR (shell-quoted) when a data directory was given', () => {
    expect(cliHint('init')).toBe('npx verseguy init')
    expect(cliHint('init', '')).toBe('npx verseguy init')
    expect(cliHint('start', './alice')).toBe('npx verseguy -d ./alice start')
    expect(cliHint('init', "/tmp/bob's node")).toBe("npx verseguy -d '/tmp/bob'\\''s node' init")
  })

  it('status and commands on an empty data directory name init with the -d given', async () => {
    const dir = join(await dirs.make(), 'my node')
    const status = await runMain(['-d', dir, 'status'])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(`Create one with: npx verseguy -d '${dir}' init`)
    const list = await runMain(['org', 'list', '-d', dir])
    expect(list.code).toBe(1)
    expect(list.stderr).toContain(`Create one with: npx verseguy -d '${dir}' init`)
    // Through VERSEGUY_HOME no -d was given, and none is needed.
    const viaEnv = await runMain(['status'], { VERSEGUY_HOME: dir })
    expect(viaEnv.stdout).toContain('Create one with: npx verseguy init')
  })

  it(
    'init and a node with no org print the next command with -d',
    async () => {
      const dir = join(await dirs.make(), 'node')
      const init = await runMain(['-d', dir, 'init'], { VERSEGUY_PASSPHRASE: PASS })
      expect(init.code, init.stderr).toBe(0)
      expect(init.stdout).toContain(`Start it with: npx verseguy -d ${dir} start`)
      const list = await runMain(['-d', dir, 'org', 'list'], { VERSEGUY_PASSPHRASE: PASS })
      expect(list.code, list.stderr).toBe(0)
      expect(list.stdout).toContain(`No orgs yet: npx verseguy -d ${dir} org create --name N --tag T`)
      const ship = await runMain(['-d', dir, 'ship', 'list'], { VERSEGUY_PASSPHRASE: PASS })
      expect(ship.code).toBe(1)
      expect(ship.stderr).toContain(`npx verseguy -d ${dir} org create`)
      expect(ship.stderr).toContain(`npx verseguy -d ${dir} invite accept TOKEN`)
    },
    FAST_ENOUGH,
  )
})
