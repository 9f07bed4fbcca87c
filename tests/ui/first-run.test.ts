/**
 * The web UI in a real browser (Debian chromium, playwright-core) against a real node:
 * log in with the node passphrase, create the first org, see the dashboard, and see a
 * ship added elsewhere appear without a reload. Every request stays on the node's own
 * origin, the page logs no error (a CSP violation would be one), and axe finds no serious
 * or critical accessibility violation.
 */

import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { TEST_NODE_PASS, useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { browser } = useBrowser()

describe.skipIf(missing !== null)('web UI: first run', () => {
  it('logs in, creates an org, shows the dashboard and a change from elsewhere live', async () => {
    const t = await nodes.start('ui-first-run')
    const page = await browser().newPage()
    const origin = new URL(t.node.apiUrl).origin
    const elsewhere: string[] = []
    const errors: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith(origin)) elsewhere.push(r.url())
    })
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(e.message))

    await page.goto(t.node.apiUrl)
    await page.getByLabel('Node passphrase').waitFor()
    await page.screenshot({ path: screenshot('login.png') })
    await page.getByLabel('Node passphrase').fill('not the passphrase')
    await page.getByRole('button', { name: 'Log in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong passphrase.')
    errors.length = 0 // the browser logs the 401 it was answered

    await page.getByLabel('Node passphrase').fill(TEST_NODE_PASS)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'Welcome' }).waitFor()
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: screenshot('first-run.png') })

    await page.getByLabel('Name').fill('Web Wing')
    await page.getByLabel('Tag').fill('WEBW')
    await page.getByLabel('Your handle').first().fill('Cmdr_Web')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.getByRole('heading', { name: 'Web Wing' }).waitFor()
    expect(await page.locator('[data-stat="members"]').textContent()).toBe('1')
    expect(await page.locator('[data-stat="ships"]').textContent()).toBe('0')

    // A ship added through the API (as the CLI or a peer would) shows without a reload.
    const [org] = await t.api<{ id: string }[]>('GET', '/api/v1/orgs')
    await t.api('POST', `/api/v1/orgs/${org?.id}/ships`, {
      model: 'Carrack',
      manufacturer: 'Anvil',
      cost: 600,
    })
    await expect.poll(() => page.locator('[data-stat="ships"]').textContent(), { timeout: 10_000 }).toBe('1')
    expect(await page.locator('[data-stat="value"]').textContent()).toBe('600 USD')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: screenshot('dashboard.png') })

    expect(elsewhere).toEqual([])
    expect(errors).toEqual([])
  }, 90_000)
})
