/**
 * org / invite / ship commands against a stopped node (started in-process for each
 * command) and a running one (through its API). The real entry point, in a child
 * process, runs one command on each path; the other checks call the CLI's main in this
 * process, against the same nodes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initDataDir } from '../../node/index.ts'
import { runCli, runMain, startNode } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

const PASS = 'domain cli passphrase'
const env = { VERSEGUY_PASSPHRASE: PASS }
let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-domain-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('verseguy org / invite / ship', () => {
  it('creates an org, an invite and ships; lists them as JSON; bad input changes nothing', async () => {
    const dir = join(root, 'leader')
    await initDataDir(dir, PASS, FAST_KDF)
    const none = await runMain(['-d', dir, 'ship', 'list'], env)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no org yet/)

    const created = await runCli(
      ['-d', dir, 'org', 'create', '--name', 'Test Squadron', '--tag', 'TEST', '--json'],
      env,
    )
    expect(created.code, created.stderr).toBe(0)
    const org = JSON.parse(created.stdout)
    expect(org).toMatchObject({ name: 'Test Squadron', tag: 'TEST', memberCount: 1 })

    const running = await startNode(['-d', dir, '--api-port', '0', '--log-level', 'silent'], env)
    try {
      const badTag = await runMain(['-d', dir, 'org', 'create', '--name', 'Other Org', '--tag', 'low'])
      expect(badTag.code).toBe(1)
      expect(badTag.stderr).toMatch(/^error: tag: .*Nothing was changed/)
      const inv = await runCli(['-d', dir, 'invite', 'create', '--rank', 'Member', '--json'])
      expect(inv.code, inv.stderr).toBe(0)
      expect(JSON.parse(inv.stdout).token).toMatch(/^vginv1\./)
      const noRank = await runMain(['-d', dir, 'invite', 'create', '--rank', 'Admiral'])
      expect(noRank.stderr).toMatch(/No rank Admiral; ranks: Leader, Officer, Member, Recruit/)

      const add = await runMain([
        '-d',
        dir,
        'ship',
        'add',
        '--model',
        'Cutlass Black',
        '--manufacturer',
        'Drake',
        '--json',
      ])
      expect(add.code, add.stderr).toBe(0)
      const bad = await runMain([
        '-d',
        dir,
        'ship',
        'add',
        '--model',
        'Hull C',
        '--manufacturer',
        'MISC',
        '--cost',
        '-5',
      ])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('--cost must be a number at least 0')
      const list = await runMain(['-d', dir, 'ship', 'list', '--all', '--json'])
      const ships = JSON.parse(list.stdout).items
      expect(ships).toHaveLength(1)
      expect(ships[0]).toMatchObject({ model: 'Cutlass Black', manufacturer: 'Drake', owner: org.owner })
      const peers = await runMain(['-d', dir, 'peers', '--json'])
      expect(peers.code, peers.stderr).toBe(0)
      const view = JSON.parse(peers.stdout)
      expect(view.peers).toEqual([])
      expect(view.addresses.length).toBeGreaterThan(0)
      for (const a of view.addresses) expect(a).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    } finally {
      await running.stop()
    }
    // A token for an org this node has not received yet: a clear error.
    const other = join(root, 'other')
    await initDataDir(other, PASS, FAST_KDF)
    const accept = await runMain(['-d', other, 'invite', 'accept', 'vginv1.garbage'], env)
    expect(accept.code).toBe(1)
    expect(accept.stderr).toMatch(/^error: token/)
  }, 120_000)
})
