/**
 * Operations in a real browser over two synced nodes: the leader schedules one with
 * slots, a member signs up on their own node with a slot and a ship, the leader confirms
 * and runs it to completed; the calendar downloads as RFC 5545; a title full of markup
 * is text on the member's page.
 */
import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { parseIcs } from '../helpers/ics.ts'
import { foundOrg, joinOrg } from '../helpers/roster-nodes.ts'
import { useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { open } = useBrowser()

const TITLE = 'Halo <img src=x onerror="window.__pwned=1"> run'

describe.skipIf(missing !== null)('web UI: operations', () => {
  it('schedule, sign up with a ship, confirm, run to completed, download the calendar', async () => {
    const o = await foundOrg(nodes, 'Ops UI Org')
    const member = await joinOrg(nodes, o, 'member', 'Mem_B')
    const ship = await member.api<{ id: string }>('POST', `${o.path}/ships`, {
      model: 'Prospector',
      manufacturer: 'MISC',
    })

    await o.leader.api('POST', `${o.path}/ships`, { model: 'Vulture', manufacturer: 'Drake' })
    const lead = await open(o.leader, 'ops')
    // The calendar feed a calendar app subscribes to: this member's URL, served by the node.
    const feedUrl = await lead.getByLabel('Calendar feed URL').inputValue()
    expect(feedUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cal\/[\w-]+\.ics$/)
    expect(parseIcs(await (await fetch(feedUrl)).text()).events).toEqual([])
    await lead.getByLabel('Title').fill(TITLE)
    await lead.getByLabel('Type').selectOption('mining')
    await lead.getByLabel('Starts (your local time)').fill('2030-01-02T18:30')
    await lead.getByLabel('Minutes').fill('90')
    await lead.getByLabel('Slots (roles, comma-separated)').fill('Miner, Escort')
    await lead.getByRole('button', { name: 'Schedule' }).click()
    const leadOp = lead.getByRole('article', { name: TITLE })
    await leadOp.waitFor()
    // Edited: the briefing added and the duration changed, kept by the node.
    await leadOp.getByRole('button', { name: 'Edit' }).click()
    await leadOp.getByLabel('Briefing').fill('Bring a full tank.')
    await leadOp.getByLabel('Minutes').fill('120')
    await leadOp.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => leadOp.locator('.briefing').textContent()).toBe('Bring a full tank.')
    await expect.poll(() => leadOp.locator('p').first().textContent()).toMatch(/20:30 UTC, led by Lead_A$/)
    expect(await lead.evaluate('window.__pwned')).toBeUndefined()
    // Slots: one added for an org ship, one removed.
    const slots = leadOp.locator('table[data-slots] tbody tr')
    await expect
      .poll(async () => (await slots.allTextContents()).sort())
      .toEqual(['Escort—openRemove slot Escort', 'Miner—openRemove slot Miner'])
    await leadOp.getByLabel("New slot's role").fill('Salvage')
    await leadOp.getByLabel("New slot's ship").selectOption({ label: 'Vulture' })
    await leadOp.getByRole('button', { name: 'Add slot' }).click()
    await expect.poll(() => slots.count()).toBe(3)
    await leadOp.getByRole('button', { name: 'Remove slot Escort' }).click()
    await expect
      .poll(async () => (await slots.allTextContents()).sort())
      .toEqual(['Miner—openRemove slot Miner', 'SalvageVultureopenRemove slot Salvage'])

    // The member, on their own node, once the operation has arrived there.
    const mine = await open(member, 'ops')
    const memberOp = mine.getByRole('article', { name: TITLE })
    await memberOp.waitFor({ timeout: 20_000 })
    await memberOp.getByLabel('Slot').selectOption({ label: 'Miner' })
    await memberOp.getByLabel('Ship').selectOption(ship.id)
    await memberOp.getByRole('button', { name: 'Sign up' }).click()
    await expect.poll(() => memberOp.locator('tr[data-participant]').textContent()).toContain('pending')
    expect(await mine.locator('article img').count()).toBe(0)
    expect(await mine.evaluate('window.__pwned')).toBeUndefined()

    // Back on the leader's page, live: confirm, then run it.
    await leadOp.getByRole('button', { name: 'Confirm' }).click({ timeout: 20_000 })
    await expect.poll(() => leadOp.locator('tr[data-participant]').textContent()).toContain('confirmed')
    expect(await leadOp.locator('tr[data-participant]').textContent()).toContain('Prospector')
    expect(await leadOp.locator('tr[data-participant] td').first().textContent()).toBe('Mem_B')
    expect(await axeViolations(lead)).toEqual([])
    await lead.screenshot({ path: screenshot('operations.png'), fullPage: true })
    await leadOp.getByRole('button', { name: 'Mark in-progress' }).click()
    await leadOp.getByRole('button', { name: 'Mark completed' }).click()
    // Completed, it is no longer upcoming: it is under All.
    await lead.getByText('No upcoming operations.').waitFor()
    await lead.getByRole('button', { name: 'All' }).click()
    await expect.poll(() => leadOp.locator('h2 small').textContent()).toBe('mining · completed')

    // The calendar link, fetched with the page's own session.
    const href = (await leadOp.getByRole('link', { name: 'Download (iCal)' }).getAttribute('href')) as string
    const ics = await lead.evaluate(async (url) => (await fetch(url)).text(), href)
    const cal = parseIcs(ics)
    expect(cal.events).toHaveLength(1)
    expect(cal.events[0]).toMatchObject({ summary: TITLE, utc: true })
    expect(cal.events[0]?.start.getTime()).toBe(new Date('2030-01-02T18:30').getTime())
  }, 150_000)
})
