/**
 * The ranks page in a real browser: a custom rank is refused without the license feature
 * (the node's reason shown), then created like Member under Pro and deleted; the flagged
 * list is there for those who may kick.
 */
import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { foundOrg, license, trustingTestIssuer } from '../helpers/roster-nodes.ts'
import { TEST_NODE_PASS, useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { browser } = useBrowser()

describe.skipIf(missing !== null)('web UI: ranks', () => {
  it('refuses a custom rank without the license, creates and deletes one with Pro', async () => {
    const o = await foundOrg(nodes, 'Ranks UI Org', await trustingTestIssuer())
    const page = await browser().newPage()
    await page.goto(o.leader.node.apiUrl)
    await page.getByLabel('Node passphrase').fill(TEST_NODE_PASS)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Ranks' }).click()
    await expect.poll(() => page.locator('tr[data-rank]').count()).toBe(4)
    await page.getByRole('heading', { name: 'Changes flagged after a kick or departure' }).waitFor()

    await page.getByLabel('Name').fill('Wing Lead')
    await page.getByLabel(/^Level/).fill('30')
    await page.getByLabel('Permissions like').selectOption('member')
    await page.getByRole('button', { name: 'Create rank' }).click()
    expect(await page.getByRole('alert').textContent()).toMatch(/custom-ranks is not available/)
    expect(await page.locator('tr[data-rank]').count()).toBe(4)

    await license(o, 'pro')
    await page.getByRole('button', { name: 'Create rank' }).click()
    await expect.poll(() => page.locator('tr[data-rank="wing-lead"]').count()).toBe(1)
    expect(await page.locator('tr[data-rank="wing-lead"] td').nth(1).textContent()).toBe('30')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({
      path: screenshot('ranks.png'),
      fullPage: true,
    })
    page.once('dialog', (d) => void d.accept())
    await page.getByRole('button', { name: 'Delete rank Wing Lead' }).click()
    await expect.poll(() => page.locator('tr[data-rank="wing-lead"]').count()).toBe(0)
  }, 90_000)
})
