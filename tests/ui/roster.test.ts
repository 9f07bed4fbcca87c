/**
 * The roster page in a real browser: the leader searches, promotes, makes and revokes an
 * invite; a Member's page offers none of that (and the API refuses it anyway).
 */
import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { foundOrg, joinOrg } from '../helpers/roster-nodes.ts'
import { useNodes } from '../helpers/start-nodes.ts'

const missing = browserMissing()
const nodes = useNodes()
const { open } = useBrowser()

describe.skipIf(missing !== null)('web UI: roster', () => {
  it('the leader promotes, invites and revokes; a Member is offered none of it', async () => {
    const o = await foundOrg(nodes, 'Roster Org')
    const member = await joinOrg(nodes, o, 'member', 'Mem_B')
    await joinOrg(nodes, o, 'recruit', 'Rec_C')

    const lead = await open(o.leader, 'roster')
    await lead.getByRole('heading', { name: 'Roster' }).waitFor()
    await expect.poll(() => lead.locator('tr[data-member]').count()).toBe(3)
    await lead.getByLabel('Search').fill('mem')
    await expect.poll(() => lead.locator('tr[data-member]').count()).toBe(1)
    await lead.getByLabel('Rank of Mem_B').selectOption('officer')
    await expect
      .poll(
        async () =>
          (await o.leader.node.services.org.members(o.org.id)).find((m) => m.handle === 'Mem_B')?.rank,
      )
      .toBe('officer')
    await lead.getByLabel('Search').fill('')

    await lead.getByLabel('Rank', { exact: true }).selectOption('recruit')
    await lead.getByRole('button', { name: 'Make an invite' }).click()
    const token = await lead.getByLabel('Send this to the new member (single use):').inputValue()
    expect(token).toMatch(/^vginv1\./)
    expect(await lead.getByRole('img', { name: 'The invite as a QR code, for a phone' }).count()).toBe(1)
    await lead
      .getByRole('button', { name: /^Revoke/ })
      .first()
      .click()
    await expect.poll(() => lead.locator('.invites').textContent()).toMatch(/recruit · revoked/)
    expect(await axeViolations(lead)).toEqual([])
    await lead.screenshot({ path: screenshot('roster.png'), fullPage: true })

    // Mem_B is an Officer now; Rec_C's page shows the roster (members:view) and nothing to do.
    const recruit = await nodes.start('rec-ui')
    const { token: t2 } = await o.leader.api<{ token: string }>('POST', `${o.path}/invites`, {
      rank: 'member',
    })
    await recruit.api('POST', '/api/v1/invites/accept', { token: t2, handle: 'Mem_D' })
    const plain = await open(recruit, 'roster')
    await expect.poll(() => plain.locator('tr[data-member]').count()).toBe(4)
    expect(await plain.getByRole('button', { name: /^Kick/ }).count()).toBe(0)
    expect(await plain.locator('select[aria-label^="Rank of"]').count()).toBe(0)
    expect(await plain.getByRole('heading', { name: 'Invites' }).count()).toBe(0)
    void member
  }, 120_000)
})
