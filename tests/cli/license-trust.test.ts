/**
 * Trusting an issuer key: `license trust FILE` adds it to config.json's license.trust,
 * and a running node trusts it at once, with no restart.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { VerseGuyNode } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-cli-trust-')
const PASS = 'license trust passphrase'
const env = { VERSEGUY_PASSPHRASE: PASS }

describe('verseguy license trust', () => {
  it('a running node trusts a newly listed issuer key at once; a stopped one from its next start', async () => {
    const root = await dirs.make()
    const dir = join(root, 'node')
    const key = join(root, 'issuer.key')
    expect((await runMain(['-d', dir, 'init'], env)).code).toBe(0)
    const keygen = await runMain(['-d', dir, 'license', 'keygen', '--out', key, '--issuer', 'Own Issuer'])
    expect(keygen.code, keygen.stderr).toBe(0)
    expect(keygen.stdout).toContain(`A node trusts it after: npx verseguy -d ${dir} license trust ${key}.pub`)

    const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
    await node.start()
    dirs.defer(() => node.stop())
    const org = await node.services.org.createOrg({ name: 'Trust Org', tag: 'TRST', handle: 'Lead_1' })
    const lic = join(root, 'org.license')
    const issue = await runMain([
      ...['license', 'issue', '--key', key, '--org', `${org.id}.${org.owner}`],
      ...['--tier', 'pro', '--days', '30', '--out', lic],
    ])
    expect(issue.code, issue.stderr).toBe(0)
    const before = await runMain(['-d', dir, 'license', 'install', lic])
    expect(before.code).toBe(1)
    expect(before.stderr).toMatch(/unknown issuer key/)

    const trust = await runMain(['-d', dir, 'license', 'trust', `${key}.pub`])
    expect(trust.code, trust.stderr).toBe(0)
    expect(trust.stdout).toContain('Trusting Own Issuer')
    expect(trust.stdout).toContain('The running node trusts it now (no restart needed).')
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).license.trust).toEqual([`${key}.pub`])

    const after = await runMain(['-d', dir, 'license', 'install', lic, '--json'])
    expect(after.code, after.stderr).toBe(0)
    expect(JSON.parse(after.stdout)).toMatchObject({ state: 'valid', tier: 'pro' })

    await node.stop()
    const again = await runMain(['-d', dir, 'license', 'trust', `${key}.pub`])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('Already trusted: Own Issuer')
    expect(again.stdout).toContain('from its next start (none is running now)')
  })

  it('a file that is not an issuer public key is refused and config.json is left as it was', async () => {
    const root = await dirs.make()
    const dir = join(root, 'node')
    expect((await runMain(['-d', dir, 'init'], env)).code).toBe(0)
    const config = await readFile(join(dir, 'config.json'), 'utf8')
    const bogus = join(root, 'bogus.pub')
    await writeFile(bogus, '{"not":"a key"}')
    const res = await runMain(['-d', dir, 'license', 'trust', bogus])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`${bogus} is not a Verse Guy issuer public key`)
    expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe(config)
  })
})
