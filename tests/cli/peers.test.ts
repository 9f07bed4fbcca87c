/**
 * `verseguy peers dial|ban|unban`: arguments checked before anything runs (usage errors,
 * exit 2), bad addresses and peer ids refused by the node naming them (exit 1), examples in
 * --help. Dialing and banning themselves are proven through the API in
 * tests/node/routes/peers.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initDataDir } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

const PASS = 'peers cli passphrase'
const env = { VERSEGUY_PASSPHRASE: PASS }
const SOME_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
let root: string
let dir: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-peers-'))
  dir = join(root, 'node')
  await initDataDir(dir, PASS, FAST_KDF)
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('verseguy peers dial|ban|unban', () => {
  it('refuses bad arguments: usage errors before running, bad addresses and peer ids named by the node', async () => {
    const minutes = await runMain(['-d', dir, 'peers', 'ban', SOME_PEER, '--minutes', '0'], env)
    expect(minutes.code).toBe(2)
    expect(minutes.stderr).toContain('--minutes must be a whole number')
    expect((await runMain(['-d', dir, 'peers', 'dial'], env)).code).toBe(2)

    const dial = await runMain(['-d', dir, 'peers', 'dial', '/ip4/127.0.0.1/tcp/4001'], env)
    expect(dial.code).toBe(1)
    expect(dial.stderr).toMatch(/address: .*names no peer/)
    const ban = await runMain(['-d', dir, 'peers', 'ban', 'QmNotAPeer'], env)
    expect(ban.code).toBe(1)
    expect(ban.stderr).toMatch(/peer: must be a peer id/)
    const unban = await runMain(['-d', dir, 'peers', 'unban', 'nope'], env)
    expect(unban.code).toBe(1)
    expect(unban.stderr).toMatch(/peer: must be a peer id/)
  })

  it('every new leaf command has an example in --help', async () => {
    for (const cmd of ['dial', 'ban', 'unban']) {
      const help = await runMain(['peers', cmd, '--help'])
      expect(help.stdout, cmd).toContain(`$ npx verseguy peers ${cmd}`)
    }
  })
})
