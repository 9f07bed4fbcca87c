/**
 * The license commands end to end: the issuer's keygen, issue, verify and revoke (the
 * CLI's main, in this process: they run no node); the node's install, status and
 * revocations against a stopped node (started in-process for the command) and a running
 * one (through its API). The real entry point, in a child process, runs one command on
 * each path; the other checks call the CLI's main in this process, against the same node.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../crdt/index.ts'
import { initDataDir, VerseGuyNode } from '../../node/index.ts'
import { runCli, runMain, startNode } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'

const PASS = 'license test passphrase'
const DAY = 86_400_000
let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-license-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

interface Org {
  readonly id: string
  readonly ref: string
}

/** A node holding one org, trusting the issuer key at `pub`. */
async function nodeWithOrg(name: string, pub: string): Promise<{ dir: string; org: Org }> {
  const dir = join(root, name)
  await initDataDir(dir, PASS, FAST_KDF)
  await writeFile(join(dir, 'config.json'), JSON.stringify({ license: { trust: [pub] } }))
  const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
  await node.start()
  try {
    const org = await node.services.org.createOrg({ name: `${name} Org`, tag: 'CLI', handle: 'Lead_1' })
    return { dir, org: { id: org.id, ref: `${org.id}.${org.owner}` } }
  } finally {
    await node.stop()
  }
}

describe('verseguy license', () => {
  it('keygen, issue, verify; install and status on a stopped and a running node; tampering and wrong orgs refused', async () => {
    const key = join(root, 'issuer.key')
    const keygen = await runMain(['license', 'keygen', '--out', key, '--issuer', 'CLI Issuer'])
    expect(keygen.code, keygen.stderr).toBe(0)
    expect(JSON.parse(await readFile(`${key}.pub`, 'utf8'))).toMatchObject({ issuer: 'CLI Issuer' })
    // Never overwrites a key.
    expect((await runMain(['license', 'keygen', '--out', key])).stderr).toMatch(/exists/)

    const { dir, org: alpha } = await nodeWithOrg('alpha', `${key}.pub`)
    const lic = join(root, 'alpha.license')
    const issue = await runMain([
      'license',
      'issue',
      '--key',
      key,
      '--org',
      alpha.ref,
      '--tier',
      'pro',
      '--days',
      '30',
      '--seats',
      '10',
      '--out',
      lic,
    ])
    expect(issue.code, issue.stderr).toBe(0)

    const verify = await runMain(['license', 'verify', lic, '--trust', `${key}.pub`, '--json'])
    expect(verify.code, verify.stderr).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({
      valid: true,
      when: 'in force',
      license: { tier: 'pro', seats: 10 },
    })
    // The shipped trust store does not know a self-made issuer.
    const untrusted = await runMain(['license', 'verify', lic])
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toMatch(/unknown issuer key/)

    // A tampered copy: one base64 character changed.
    const text = await readFile(lic, 'utf8')
    const lines = text.split('\n')
    const at = lines.findIndex((l) => l.startsWith('-----BEGIN')) + 3
    lines[at] = `${(lines[at] as string)[0] === 'A' ? 'B' : 'A'}${(lines[at] as string).slice(1)}`
    const forged = join(root, 'forged.license')
    await writeFile(forged, lines.join('\n'))
    const bad = await runMain(['license', 'verify', forged, '--trust', `${key}.pub`])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^error: /)

    // Node side, no node running: the command starts one in-process.
    const env = { VERSEGUY_PASSPHRASE: PASS }
    const installed = await runCli(['-d', dir, 'license', 'install', lic, '--json'], env)
    expect(installed.code, installed.stderr).toBe(0)
    expect(JSON.parse(installed.stdout)).toMatchObject({ state: 'valid', tier: 'pro', seats: 10, members: 1 })

    // A license for alpha pasted into another org is refused.
    const beta = await nodeWithOrg('beta', `${key}.pub`)
    const pasted = await runMain(['-d', beta.dir, 'license', 'install', lic, '--org', beta.org.id], env)
    expect(pasted.code).toBe(1)
    expect(pasted.stderr).toMatch(/issued for org/)

    // Running node: status and revocations go through its API.
    const running = await startNode(['-d', dir, '--api-port', '0', '--log-level', 'silent'], env)
    try {
      const status = await runCli(['-d', dir, 'license', 'status', '--json'])
      expect(status.code, status.stderr).toBe(0)
      const orgState = (json: string, org: Org) =>
        (JSON.parse(json) as { orgs: { org: string }[] }).orgs.find((o) => o.org === org.id)
      expect(orgState(status.stdout, alpha)).toMatchObject({
        org: alpha.id,
        state: 'valid',
        orgRef: alpha.ref,
      })

      // The tampered copy is refused, and the license in force stays.
      const refused = await runMain(['-d', dir, 'license', 'install', forged])
      expect(refused.code).toBe(1)
      const unchanged = (await runMain(['-d', dir, 'license', 'status', '--json'])).stdout
      expect(orgState(unchanged, alpha)).toMatchObject({ state: 'valid', tier: 'pro' })

      const licenseId = JSON.parse(verify.stdout).license.id as string
      const list = join(root, 'revocations-1')
      expect(
        (await runMain(['license', 'revoke', '--key', key, '--seq', '1', '--out', list, licenseId])).code,
      ).toBe(0)
      const rev = await runMain(['-d', dir, 'license', 'revocations', list])
      expect(rev.code, rev.stderr).toBe(0)
      const after = (await runMain(['-d', dir, 'license', 'status', '--json'])).stdout
      expect(orgState(after, alpha)).toMatchObject({
        state: 'revoked',
        effectiveTier: 'free',
      })
      expect(JSON.parse(after).revocations).toEqual([{ issuer: 'CLI Issuer', seq: 1, revoked: 1 }])
      const again = await runMain(['-d', dir, 'license', 'revocations', list])
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/not newer/)
    } finally {
      await running.stop()
    }
  }, 120_000)

  it('issue and verify read the clock: a license is in force, then in its grace period, then expired', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'))
    const key = join(root, 'clock-issuer.key')
    expect((await runMain(['license', 'keygen', '--out', key], {}, { clock })).code).toBe(0)
    const lic = join(root, 'clock.license')
    const org = `${'ab'.repeat(16)}.${'cd'.repeat(32)}`
    const args = ['--key', key, '--org', org, '--tier', 'pro', '--days', '30', '--grace-days', '7']
    const issued = await runMain(['license', 'issue', ...args, '--out', lic], {}, { clock })
    expect(issued.code, issued.stderr).toBe(0)
    const when = async () => {
      const v = await runMain(['license', 'verify', lic, '--trust', `${key}.pub`, '--json'], {}, { clock })
      expect(v.code, v.stderr).toBe(0)
      return JSON.parse(v.stdout) as { when: string; license: { issuedAt: number; expires: number } }
    }
    const first = await when()
    expect(first).toMatchObject({ when: 'in force', license: { issuedAt: clock.now() } })
    expect(first.license.expires).toBe(clock.now() + 30 * DAY)
    clock.set(clock.now() + 33 * DAY)
    expect((await when()).when).toBe('in its grace period')
    clock.set(clock.now() + 5 * DAY)
    expect((await when()).when).toBe('expired')
  })

  it('bad arguments get a usage error and write nothing', async () => {
    const r = await runMain([
      'license',
      'issue',
      '--key',
      'x',
      '--org',
      'y',
      '--tier',
      'gold',
      '--days',
      '3',
      '--out',
      join(root, 'no'),
    ])
    expect(r.code).toBe(2)
    const days = await runMain([
      'license',
      'issue',
      '--key',
      'x',
      '--org',
      'y',
      '--tier',
      'pro',
      '--days',
      '-1',
      '--out',
      join(root, 'no'),
    ])
    expect(days.code).toBe(2)
    await expect(readFile(join(root, 'no'))).rejects.toThrow()
  })
})
