/**
 * Backups on the settings page in a real browser: an encrypted backup with the member key
 * made with "Back up now" (progress, then the file) and listed; merging it back with a
 * wrong passphrase is refused and changes nothing; with the right one it takes nothing new.
 */
import { describe, expect, it } from 'vitest'
import { inspectBackup } from '../../services/backup/index.ts'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { foundOrg } from '../helpers/roster-nodes.ts'
import { useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { open } = useBrowser()

describe.skipIf(missing !== null)('web UI: backups', () => {
  it('backs up now, lists the backup, and merges it back only with its passphrase', async () => {
    const o = await foundOrg(nodes, 'Backup UI Org')
    await o.leader.api('POST', `${o.path}/ships`, { model: 'Carrack', manufacturer: 'Anvil' })
    const page = await open(o.leader, 'settings')
    const section = page.locator('section[aria-labelledby="backups-title"]')
    await section.getByText('No backups in the folder yet.').waitFor()
    await section.getByLabel('Backup passphrase').fill('backup passphrase 1')
    await section.getByLabel(/Include my member key/).check()
    await section.getByRole('button', { name: 'Back up now' }).click()
    const done = section.locator('[data-backup="done"]')
    await done.waitFor()
    expect(await done.textContent()).toMatch(
      /^Written: .*\/backups\/verseguy-backup-\d{8}T\d{6}Z\.vgbak \(\d+ KB, encrypted, with the member key\)\.$/,
    )
    const file = /^Written: (.*\.vgbak)/.exec((await done.textContent()) ?? '')?.[1] ?? ''
    const { report } = await inspectBackup(file, { passphrase: 'backup passphrase 1' })
    expect(report.header.withKey).toBe(true)
    await expect.poll(() => section.locator('tbody tr').count()).toBe(1)
    expect(await axeViolations(page)).toEqual([])
    await section.screenshot({ path: screenshot('backups.png') })

    const before = await o.leader.api<{ total: number }>('GET', `${o.path}/audit`)
    await section.getByLabel('Backup passphrase').fill('not the passphrase')
    await section.getByRole('button', { name: /^Merge into this node/ }).click()
    await section.getByRole('alert').waitFor()
    expect(await section.getByRole('alert').textContent()).toMatch(/passphrase/i)
    await section.getByLabel('Backup passphrase').fill('backup passphrase 1')
    await section.getByRole('button', { name: /^Merge into this node/ }).click()
    await expect
      .poll(() => done.textContent(), { timeout: 20_000 }) // the scrypt of a backup passphrase takes a while
      .toMatch(/^Merged .*: 0 new entries taken in, \d+ already here\.$/)
    expect(await o.leader.api<{ total: number }>('GET', `${o.path}/audit`)).toEqual(before)
  }, 120_000)
})
