/**
 * A real browser for the UI tests: Debian's chromium driven by playwright-core (no
 * download: `.ci/run` installs chromium with apt when it is missing). Headless, no
 * sandbox when running as root (CI containers), one browser per test file.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { TEST_NODE_PASS } from './start-nodes.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no chromium at ${CHROMIUM} (apt-get install chromium)`
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  })
}

/**
 * Runs axe-core in the page (through the DevTools protocol, so the page's CSP does not
 * stop it) and answers the serious and critical violations.
 */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  await page.evaluate(source)
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: { id: string; impact: string | null; nodes: unknown[] }[]
  }
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact as string, nodes: v.nodes.length }))
}

/** Where the browser tests keep the screenshots the README and docs/ui.md show. */
export const screenshot = (name: string) =>
  new URL(`../../docs/screenshots/${name}`, import.meta.url).pathname

/**
 * One browser for a test file (launched before its tests, closed after), and a page
 * logged into a node at one of its routes (`#/roster`…).
 */
export function useBrowser() {
  let browser: Browser | undefined
  beforeAll(async () => {
    if (browserMissing() === null) browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })
  const get = (): Browser => {
    if (browser === undefined) throw new Error('no browser: the test should have been skipped')
    return browser
  }
  return {
    browser: get,
    async open(t: { node: { apiUrl: string } }, path = '', passphrase = TEST_NODE_PASS): Promise<Page> {
      const page = await get().newPage()
      await page.goto(t.node.apiUrl)
      await page.getByLabel('Node passphrase').fill(passphrase)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByRole('navigation', { name: 'Pages' }).waitFor()
      if (path !== '') await page.goto(`${t.node.apiUrl}/#/${path}`)
      return page
    },
  }
}
