/**
 * `verseguy license clock-reset`: a license clock pushed a year ahead shows the license
 * expired and says what to run; without --yes nothing changes; with it the license is
 * valid again. The status and the unconfirmed reset run through the real entry point (a
 * child process each); the checks after them call the CLI's main in this process, against
 * the same running node.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Database } from '../../crdt/index.ts'
import { initDataDir, VerseGuyNode } from '../../node/index.ts'
import { readIssuerKey, signLicense, writeIssuerKeyFiles } from '../../services/licensing/index.ts'
import { runCli, runMain, startNode } from '../helpers/cli.ts'
import { DAY, licenseFields } from '../helpers/license.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

const PASS = 'clock reset passphrase'
let root: string
let passFile: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-clock-'))
  passFile = join(root, 'pass')
  await writeFile(passFile, `${PASS}\n`)
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('verseguy license clock-reset', () => {
  it('a clock pushed a year ahead: status says expired and what to run; no --yes changes nothing; --yes makes it valid', async () => {
    const dir = join(root, 'node')
    await initDataDir(dir, PASS, FAST_KDF)
    const key = join(root, 'issuer.key')
    await writeIssuerKeyFiles(key, 'Clock Issuer')
    await writeFile(join(dir, 'config.json'), JSON.stringify({ license: { trust: [`${key}.pub`] } }))
    const now = Date.now()
    const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
    await node.start()
    const org = await node.services.org.createOrg({ name: 'Clock Org', tag: 'CLK', handle: 'Lead_1' })
    const signer = await readIssuerKey(key)
    const fields = licenseFields(org, 'pro', { expires: now + 30 * DAY, grace: 0 }, now)
    await node.services.licenses.install(
      org.id,
      signLicense({ ...fields, keyId: signer.keyId, issuer: signer.issuer }, signer),
    )
    await node.stop()
    // What a clock a year ahead leaves behind: the watermark setting.
    const db = await Database.open(join(dir, 'db'))
    const bytes = new TextEncoder().encode(JSON.stringify(now + 365 * DAY))
    await db.write([{ type: 'put', section: db.settings, key: 'license.watermark', value: bytes }], true)
    await db.close()

    // The commands below reach the running node through its API.
    const running = await startNode(['-d', dir, '--api-port', '0', '--passphrase-file', passFile])
    try {
      await commands(dir, org.id)
    } finally {
      await running.stop()
    }
  }, 120_000)
})

async function commands(dir: string, orgId: string): Promise<void> {
  const hint = `npx verseguy -d ${dir} license clock-reset --yes`
  // Neither changes anything: the two processes run side by side.
  const [stuck, unconfirmed] = await Promise.all([
    runCli(['-d', dir, 'license', 'status']),
    runCli(['-d', dir, 'license', 'clock-reset']),
  ])
  expect(stuck.code, stuck.stderr).toBe(0)
  expect(stuck.stdout).toContain(`Org ${orgId}: expired pro license`)
  expect(stuck.stdout).toContain(`fix       if this computer's clock is right: ${hint}`)

  expect(unconfirmed.code).toBe(1)
  expect(unconfirmed.stderr).toContain(`reset it with: ${hint}`)
  expect(unconfirmed.stderr).toContain('Nothing was changed.')
  const still = await runMain(['-d', dir, 'license', 'status', '--json'])
  expect(JSON.parse(still.stdout).orgs[0]).toMatchObject({ state: 'expired', clock: { rolledBack: true } })

  const reset = await runMain(['-d', dir, 'license', 'clock-reset', '--yes'])
  expect(reset.code, reset.stderr).toBe(0)
  expect(reset.stdout).toMatch(
    /^Reset the license clock from .* to .*; recorded in your chain \(entry \d+\)\./,
  )
  const valid = await runMain(['-d', dir, 'license', 'status'])
  expect(valid.stdout).toContain(`Org ${orgId}: valid pro license`)
  expect(valid.stdout).not.toContain('clock-reset')

  const again = await runMain(['-d', dir, 'license', 'clock-reset', '--yes'])
  expect(again.code).toBe(0)
  expect(again.stdout).toContain('nothing to reset')
}
