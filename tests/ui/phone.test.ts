/**
 * Every page at a phone's width (390 px) in a real browser: nothing wider than the
 * screen, axe finds no serious or critical violation, and the keyboard reaches the
 * navigation with a visible focus.
 */
import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { foundOrg, joinOrg } from '../helpers/roster-nodes.ts'
import { TEST_NODE_PASS, useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { browser } = useBrowser()

describe.skipIf(missing !== null)('web UI on a phone', () => {
  it('fits a 390 px screen on every page, with a visible keyboard focus', async () => {
    const o = await foundOrg(nodes, 'Phone Org')
    await joinOrg(nodes, o, 'member', 'Mem_B')
    await o.leader.api('POST', `${o.path}/ships`, {
      model: 'Cutlass Black',
      manufacturer: 'Drake Interplanetary',
    })
    const page = await browser().newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    })
    await page.goto(o.leader.node.apiUrl)
    await page.getByLabel('Node passphrase').fill(TEST_NODE_PASS)
    await page.getByLabel('Node passphrase').press('Enter')
    const nav = page.getByRole('navigation', { name: 'Pages' })
    await nav.waitFor()
    for (const name of [
      'Dashboard',
      'Roster',
      'Ranks',
      'My hangar',
      'Org fleet',
      'Operations',
      'Audit',
      'Peers & license',
    ]) {
      await nav.getByRole('link', { name }).click()
      await page.getByRole('heading', { level: 1 }).first().waitFor()
      await page.waitForLoadState('networkidle')
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(wide, `${name} is ${wide}px wider than the screen`).toBeLessThanOrEqual(0)
      expect(await axeViolations(page), name).toEqual([])
    }
    await page.screenshot({
      path: screenshot('phone.png'),
    })

    // The keyboard: Tab reaches the navigation's links, and the focused one is outlined.
    await page.goto(`${o.leader.node.apiUrl}/#/`)
    await nav.waitFor()
    let outline = 'none'
    for (let i = 0; i < 6 && outline === 'none'; i++) {
      await page.keyboard.press('Tab')
      outline = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null
        return el?.closest('nav') ? getComputedStyle(el).outlineStyle : 'none'
      })
    }
    expect(outline).toBe('solid')
  }, 120_000)
})
