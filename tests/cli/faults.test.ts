/**
 * Faults a new user meets at the command line: each is one clear line and the right exit
 * code, never a stack trace, and nothing is left behind.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { initDataDir } from '../../node/index.ts'
import { runCli, runMain } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-cli-faults-')
const PASS = 'a long enough passphrase'
const STACK = /^\s+at /m

describe('numeric and enum flags', () => {
  it('--hours abc is a usage error naming the flag, not a 72-hour invite', async () => {
    const dir = await dirs.make()
    const res = await runMain(['-d', dir, 'invite', 'create', '--rank', 'Member', '--hours', 'abc'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('--hours must be a number more than 0')
    expect(res.stderr).toContain('"abc"')
    expect(res.stdout).toBe('')
  })

  it('--hours 0 says --hours must be more than 0, not an internal name', async () => {
    const dir = await dirs.make()
    const res = await runMain(['-d', dir, 'invite', 'create', '--rank', 'Member', '--hours', '0'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('--hours must be a number more than 0')
    expect(res.stderr).not.toContain('expiresInHours')
  })

  it.each([
    [['invite', 'create', '--rank', 'Member', '--hours', '-1'], '--hours must be a number more than 0'],
    [['invite', 'create', '--rank', 'Member', '--hours', '1e9'], '--hours must be a number more than 0'],
    [['invite', 'create', '--rank', 'Member', '--hours', '9000'], 'at most 8760'],
    [
      ['ship', 'add', '--model', 'M', '--manufacturer', 'X', '--cost', 'abc'],
      '--cost must be a number at least 0',
    ],
    [
      ['ship', 'add', '--model', 'M', '--manufacturer', 'X', '--cost', '-5'],
      '--cost must be a number at least 0',
    ],
    [
      ['ship', 'add', '--model', 'M', '--manufacturer', 'X', '--insurance', 'gold'],
      '--insurance must be one of none, standard, lti',
    ],
    [['start', '--api-port', '70000'], '--api-port must be a whole number from 0 to 65535'],
    [['start', '--api-port', ''], '--api-port must be a whole number from 0 to 65535'],
    [['start', '--log-level', 'loud'], '--log-level must be one of trace, debug, info, warn, error, silent'],
    [['license', 'issue', '--key', 'k', '--org', 'o.f', '--tier', 'gold'], '--tier must be one of'],
    [
      ['license', 'issue', '--key', 'k', '--org', 'o.f', '--days', '0'],
      '--days must be a whole number more than 0',
    ],
    [['license', 'issue', '--key', 'k', '--org', 'o.f', '--days', '1.5'], '--days must be a whole number'],
    [['license', 'issue', '--key', 'k', '--org', 'o.f', '--seats', 'x'], '--seats must be a whole number'],
    [
      ['license', 'issue', '--key', 'k', '--org', 'o.f', '--grace-days', '-1'],
      '--grace-days must be a whole number from 0',
    ],
    [
      ['license', 'revoke', '--key', 'k', '--out', 'o', '--seq', '0'],
      '--seq must be a whole number more than 0',
    ],
  ])('%j: a usage error naming the flag', async (args, message) => {
    const dir = await dirs.make()
    const res = await runMain(['-d', dir, ...args])
    expect(res.code, res.stderr).toBe(2)
    expect(res.stderr).toContain(message)
    expect(res.stderr).not.toMatch(STACK)
    expect(await readdir(dir)).toEqual([])
  })
})

describe('a data directory that is a file', () => {
  it.each([
    ['status'],
    ['status', '--json'],
    ['init'],
    ['start'],
    ['org', 'list'],
    ['ship', 'list'],
    ['license', 'status'],
    ['peers'],
  ])('%j: one line naming the path, exit 1', async (...args) => {
    const root = await dirs.make()
    const file = join(root, 'not-a-dir')
    await writeFile(file, 'hello')
    const res = await runMain(['-d', file, ...args], { VERSEGUY_PASSPHRASE: PASS })
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`${file} is a file, not a directory`)
    expect(res.stderr).not.toMatch(STACK)
    expect(`${res.stdout}${res.stderr}`).not.toContain('init')
  })

  it('a file above the data directory is named too', async () => {
    const root = await dirs.make()
    const file = join(root, 'plain')
    await writeFile(file, 'hello')
    const res = await runMain(['-d', join(file, 'node'), 'init'], { VERSEGUY_PASSPHRASE: PASS })
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`${file} is a file, not a directory`)
    expect(res.stderr).not.toMatch(STACK)
  })
})

describe('a weak passphrase', () => {
  it.each([['init'], ['start']])(
    '%s with a weak VERSEGUY_PASSPHRASE creates nothing, not even the folder',
    async (command) => {
      const root = await dirs.make()
      const dir = join(root, 'a', 'node')
      const res = await runMain(['-d', dir, command], { VERSEGUY_PASSPHRASE: 'short' })
      expect(res.code).toBe(1)
      expect(res.stderr).toContain('at least 8 characters')
      expect(res.stderr).not.toMatch(STACK)
      expect(await readdir(root)).toEqual([])
    },
  )

  it('in a folder the user made, leaves the folder as it was (empty)', async () => {
    const dir = join(await dirs.make(), 'mine')
    await mkdir(dir)
    const res = await runMain(['-d', dir, 'init'], { VERSEGUY_PASSPHRASE: 'short' })
    expect(res.code).toBe(1)
    expect(await readdir(dir)).toEqual([])
  })
})

describe('a bad multiaddr in the environment or config.json', () => {
  it('stops start with one line naming the setting and the value', async () => {
    const [inEnv, inFile] = [join(await dirs.make(), 'node'), join(await dirs.make(), 'node')]
    await Promise.all([initDataDir(inEnv, PASS, FAST_KDF), initDataDir(inFile, PASS, FAST_KDF)])
    await writeFile(
      join(inFile, 'config.json'),
      JSON.stringify({ net: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: ['/ip4/127.0.0.1/tcp/4001'] } }),
    )
    // Two data directories, two real starts side by side.
    const [env, file] = await Promise.all([
      runCli(['-d', inEnv, 'start', '--api-port', '0'], {
        VERSEGUY_PASSPHRASE: PASS,
        VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/nope',
      }),
      runCli(['-d', inFile, 'start', '--api-port', '0'], { VERSEGUY_PASSPHRASE: PASS }),
    ])
    expect(env.code).toBe(1)
    expect(env.stderr).toContain('VERSEGUY_NET_LISTEN')
    expect(env.stderr).toContain('"/ip4/127.0.0.1/tcp/nope" is not a multiaddr')
    expect(env.stderr).not.toMatch(STACK)

    expect(file.code).toBe(1)
    expect(file.stderr).toContain('net.bootstrap.0')
    expect(file.stderr).toContain('"/ip4/127.0.0.1/tcp/4001" names no peer')
    expect(file.stderr).not.toMatch(STACK)
    expect(existsSync(join(inEnv, 'node.json'))).toBe(false)
    expect(existsSync(join(inFile, 'node.json'))).toBe(false)
  })
})
