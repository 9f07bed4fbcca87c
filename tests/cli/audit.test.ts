/**
 * `verseguy audit list|verify|export` on a node started in this process for each command:
 * lists (table and JSON, filters, bad flags are usage errors), verify exits 0 on honest
 * chains and 1 with the evidence on a planted forged entry, export is refused (exit 3)
 * without the license feature and writes JSON Lines and CSV with it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChainStore, Database, type Entry, signEntry } from '../../crdt/index.ts'
import { initDataDir, layout, VerseGuyNode } from '../../node/index.ts'
import { publicKeyOf } from '../../services/licensing/index.ts'
import { hintedCommand, runMain } from '../helpers/cli.ts'
import { parse as parseCsv } from '../helpers/csv-parse.ts'
import { issueLicense, testIssuer } from '../helpers/license.ts'
import { buildChain, makeSigner } from '../helpers/signer.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

const PASS = 'audit cli passphrase'
const env = { VERSEGUY_PASSPHRASE: PASS }
let root: string
let dir: string
let org: { id: string; owner: string }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-audit-'))
  const pub = join(root, 'issuer.pub')
  await writeFile(pub, JSON.stringify(publicKeyOf(testIssuer)))
  dir = join(root, 'lead')
  await initDataDir(dir, PASS, FAST_KDF)
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ license: { trust: [pub] }, log: { level: 'silent' } }),
  )
  const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
  await node.start()
  try {
    org = await node.services.org.createOrg({ name: 'Audit CLI Org', tag: 'ACLI', handle: 'Lead_1' })
    for (const model of ['Cutlass Black', 'Hull C', 'Prospector'])
      await node.services.fleet.addShip(org.id, { model, manufacturer: 'Drake' })
  } finally {
    await node.stop()
  }
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('verseguy audit', () => {
  it('lists newest first with filters; bad flags are usage errors', async () => {
    const list = await runMain(['-d', dir, 'audit', 'list', '--json'], env)
    expect(list.code, list.stderr).toBe(0)
    const page = JSON.parse(list.stdout)
    expect(page.items.map((e: { action: string }) => e.action)).toEqual([
      'ship.add',
      'ship.add',
      'ship.add',
      'org.create',
    ])
    expect(page.total).toBe(4)

    const table = await runMain(['-d', dir, 'audit', 'list', '--action', 'org.create'], env)
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toContain('org.create')
    expect(table.stdout).not.toContain('ship.add')

    const paged = await runMain(['-d', dir, 'audit', 'list', '--limit', '1'], env)
    const again = hintedCommand(paged.stdout, 'More: ')
    expect(again.slice(0, -1)).toEqual(['-d', dir, 'audit', 'list', '--limit', '1', '--cursor'])
    const second = await runMain(again, env)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('More: ')
    expect(hintedCommand(second.stdout, 'More: ').at(-1)).not.toBe(again.at(-1))
    const none = await runMain(['-d', dir, 'audit', 'list', '--until', '2001-01-01'], env)
    expect(none.stdout).toContain('No audit entries match.')

    for (const [flag, value] of [
      ['--limit', '0'],
      ['--since', 'yesterday-ish'],
    ] as const) {
      const bad = await runMain(['-d', dir, 'audit', 'list', flag, value], env)
      expect(bad.code, `${flag} ${value}`).toBe(2)
      expect(bad.stderr).toContain(flag)
    }
    const badMember = await runMain(['-d', dir, 'audit', 'list', '--member', 'zz'], env)
    expect(badMember.code).toBe(1)
    expect(badMember.stderr).toMatch(/member/)
    const help = await runMain(['audit', 'list', '--help'])
    expect(help.stdout).toContain('$ npx verseguy audit list')
  })

  it('export is refused without audit-export and writes JSON Lines and CSV with an Enterprise license', async () => {
    const locked = await runMain(['-d', dir, 'audit', 'export', '--format', 'csv'], env)
    expect(locked.code).toBe(3)
    expect(locked.stderr).toMatch(/audit-export/)
    expect((await runMain(['-d', dir, 'audit', 'export', '--format', 'xml'], env)).code).toBe(2)

    const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
    await node.start()
    try {
      await node.services.licenses.install(org.id, issueLicense(org, 'enterprise'))
    } finally {
      await node.stop()
    }
    const out = join(root, 'audit.csv')
    const csv = await runMain(['-d', dir, 'audit', 'export', '--format', 'csv', '--out', out], env)
    expect(csv.code, csv.stderr).toBe(0)
    const rows = parseCsv(await readFile(out, 'utf8'))
    expect(rows.map((r) => r[3])).toEqual([
      'action',
      'license.install',
      'ship.add',
      'ship.add',
      'ship.add',
      'org.create',
    ])
    const jsonl = await runMain(
      ['-d', dir, 'audit', 'export', '--format', 'jsonl', '--action', 'org.create'],
      env,
    )
    expect(jsonl.code, jsonl.stderr).toBe(0)
    const lines = jsonl.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toMatchObject([{ action: 'org.create', author: org.owner, seq: 1 }])
  })

  it('verify exits 0 on honest chains and 1 with the evidence on a forged entry', async () => {
    const ok = await runMain(['-d', dir, 'audit', 'verify'], env)
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/all ok/)

    const mallory = makeSigner()
    const chain = buildChain(mallory, 3, { body: () => ({ scope: org.id }) })
    const forged = signEntry(
      { ...(chain[1] as Entry), action: 'ship.delete', scope: org.id },
      { memberKey: mallory.memberKey, sign: makeSigner().sign },
    )
    const db = await Database.open(layout(dir).db)
    try {
      const chains = new ChainStore({ db })
      await db.write(
        [chain[0], forged, chain[2]].flatMap((e) => chains.putOps(e as Entry)),
        true,
      )
    } finally {
      await db.close()
    }
    const bad = await runMain(['-d', dir, 'audit', 'verify'], env)
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain('NOT OK')
    expect(bad.stdout).toMatch(/tampered at seq 2: bad signature \(ship\.delete test:resource-2/)
    expect(bad.stderr).toMatch(/does not verify/)
    const json = await runMain(['-d', dir, 'audit', 'verify', '--json'], env)
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout).ok).toBe(false)
  })
})
