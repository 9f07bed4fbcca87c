/**
 * The audit and the peers-and-license pages in a real browser: the trail with a filter,
 * a verification verdict per chain; the member's node among the peers; a Pro license
 * pasted and installed.
 */
import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { issueLicense } from '../helpers/license.ts'
import { foundOrg, joinOrg, trustingTestIssuer } from '../helpers/roster-nodes.ts'
import { useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { open } = useBrowser()

describe.skipIf(missing !== null)('web UI: audit, peers and license', () => {
  it('filters and verifies the trail; shows peers; installs a pasted license', async () => {
    const o = await foundOrg(nodes, 'Audit UI Org', await trustingTestIssuer())
    await joinOrg(nodes, o, 'member', 'Mem_B')
    await o.leader.api('POST', `${o.path}/ships`, { model: 'Carrack', manufacturer: 'Anvil' })

    const audit = await open(o.leader, 'audit')
    await expect.poll(() => audit.locator('table.audit tbody tr').count()).toBeGreaterThanOrEqual(3)
    await audit.getByLabel('Action').fill('ship.add')
    await audit.getByLabel('Action').press('Enter')
    await expect.poll(() => audit.locator('table.audit tbody tr').count()).toBe(1)
    await audit.getByRole('button', { name: 'Verify every chain' }).click()
    await audit.getByRole('heading', { name: 'Every chain verifies' }).waitFor()
    expect(await audit.locator('[data-chain]').allTextContents()).toEqual([
      expect.stringMatching(/: ok, \d+\/\d+ verified$/),
    ])
    // A member by handle (any case); an unknown handle is named, not taken as "everyone".
    await audit.getByLabel('Member').fill('lead_a')
    await audit.getByLabel('Member').press('Enter')
    await expect.poll(() => audit.locator('table.audit tbody tr').count()).toBe(1)
    expect(await audit.locator('table.audit tbody tr td:nth-child(2)').allTextContents()).toEqual(['Lead_A'])
    await audit.getByLabel('Member').fill('Nobody_Here')
    await audit.getByLabel('Member').press('Enter')
    await audit.getByRole('alert').waitFor()
    expect(await audit.getByRole('alert').textContent()).toMatch(/No member has the handle Nobody_Here/)
    await audit.getByLabel('Member').fill('')
    expect(await axeViolations(audit)).toEqual([])
    await audit.screenshot({ path: screenshot('audit.png'), fullPage: true })

    const settings = await open(o.leader, 'settings')
    await expect
      .poll(() => settings.locator('section[aria-labelledby="peers-title"] tbody tr').count())
      .toBe(1)
    expect(await settings.locator('[data-license="tier"]').textContent()).toBe('free')
    await settings.getByLabel("Install a license (paste the file's text)").fill(issueLicense(o.org, 'pro'))
    await settings.getByRole('button', { name: 'Install' }).click()
    await expect.poll(() => settings.locator('[data-license="tier"]').textContent()).toBe('pro')
    await settings.getByLabel("Install a license (paste the file's text)").fill('not a license')
    await settings.getByRole('button', { name: 'Install' }).click()
    await settings.getByRole('alert').waitFor()
    expect(await settings.locator('[data-license="tier"]').textContent()).toBe('pro')
    expect(await axeViolations(settings)).toEqual([])
    await settings.screenshot({ path: screenshot('settings.png'), fullPage: true })
  }, 120_000)
})
