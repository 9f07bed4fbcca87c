/**
 * My hangar and the org fleet in a real browser, over two synced nodes: the leader adds a
 * ship and a loadout through the page; a member's ship added on the member's own node
 * appears live in the leader's open fleet page; every text a peer can set (ship model,
 * name, location, manufacturer) is shown as text: markup planted in each runs nothing.
 */
import { describe, expect, it } from 'vitest'
import { axeViolations, browserMissing, screenshot, useBrowser } from '../helpers/browser.ts'
import { foundOrg, joinOrg } from '../helpers/roster-nodes.ts'
import { useNodes } from '../helpers/start-nodes.ts'

const FIXTURE = new URL('../fixtures/import/hangarxplor.json', import.meta.url).pathname
const missing = browserMissing()
const nodes = useNodes()
const { open } = useBrowser()

/** Markup that would run or show if it were ever rendered as HTML (within the 80-character fields). */
const PLANTED = (n: number) => `<img src=x onerror="window.__pwned=${n}"><b>b${n}</b>`

describe.skipIf(missing !== null)('web UI: hangar and fleet', () => {
  it('adds a ship and a loadout; a peer ship shows live, and as text', async () => {
    const o = await foundOrg(nodes, 'Fleet UI Org')
    const member = await joinOrg(nodes, o, 'member', 'Mem_B')

    const hangar = await open(o.leader, 'hangar')
    await hangar.getByLabel('Model').fill('Cutlass Black')
    await hangar.getByLabel('Manufacturer').fill('Drake')
    await hangar.getByLabel('Name', { exact: true }).fill('Red Dawn')
    await hangar.getByLabel('Insurance').selectOption('lti')
    await hangar.getByLabel('Pledge cost (USD)').fill('110')
    await hangar.getByRole('button', { name: 'Add ship' }).click()
    const card = hangar.getByRole('article', { name: 'Red Dawn (Cutlass Black)' })
    await card.waitFor()
    await card.getByLabel('Loadout', { exact: true }).fill('PvE')
    await card.getByLabel(/^Components/).fill('nose=CF-337 Panther@Klaus & Werner\nwing=M5A')
    await card.getByRole('button', { name: 'Add loadout' }).click()
    await expect
      .poll(() => card.locator('.loadouts').textContent())
      .toContain('PvE (active): nose CF-337 Panther, wing M5A')
    await card.getByLabel('Status').selectOption('maintenance')
    await expect
      .poll(
        async () =>
          (await o.leader.api<{ items: { status: string }[] }>('GET', `${o.path}/ships?owner=me`)).items[0]
            ?.status,
      )
      .toBe('maintenance')
    // A HangarXPLOR export: previewed (nothing changes), then imported in one go.
    const before = (await o.leader.api<{ total: number }>('GET', `${o.path}/ships?owner=me`)).total
    await hangar.getByLabel('HangarXPLOR (JSON or CSV) or FleetYards export').setInputFiles(FIXTURE)
    await hangar.getByRole('button', { name: 'Preview' }).click()
    const status = hangar.getByRole('status')
    await expect
      .poll(() => status.textContent())
      .toMatch(/hangarxplor\.json \(hangarxplor-json\): would add \d+, skipped \d+\./)
    expect((await o.leader.api<{ total: number }>('GET', `${o.path}/ships?owner=me`)).total).toBe(before)
    await hangar.getByRole('button', { name: 'Import' }).click()
    await expect.poll(() => status.textContent()).toMatch(/: added \d+/)
    const added = Number((await status.textContent())?.match(/added (\d+)/)?.[1])
    expect(added).toBeGreaterThan(0)
    expect((await o.leader.api<{ total: number }>('GET', `${o.path}/ships?owner=me`)).total).toBe(
      before + added,
    )
    expect(await axeViolations(hangar)).toEqual([])
    await hangar.screenshot({ path: screenshot('hangar.png'), fullPage: true })

    const fleet = await open(o.leader, 'fleet')
    await fleet.getByRole('heading', { name: 'Org fleet' }).waitFor()
    const mine = Number(await fleet.locator('[data-stat="fleet-ships"]').textContent())

    // On the member's own node, a ship whose every text is markup.
    await member.api('POST', `${o.path}/ships`, {
      model: PLANTED(1),
      manufacturer: PLANTED(2),
      name: PLANTED(3),
      location: PLANTED(4),
      role: '<img src=x onerror=alert(5)>',
      cost: 90,
    })
    await expect
      .poll(() => fleet.locator('[data-stat="fleet-ships"]').textContent(), { timeout: 20_000 })
      .toBe(String(mine + 1))
    await expect.poll(() => fleet.locator('table.fleet').textContent()).toContain(PLANTED(3))
    expect(await fleet.locator('table.fleet img, table.fleet script, table.fleet b').count()).toBe(0)
    expect(await fleet.getByRole('img', { name: /^By manufacturer/ }).getAttribute('aria-label')).toContain(
      PLANTED(2),
    )
    expect(await fleet.evaluate('window.__pwned')).toBeUndefined()
    expect(await axeViolations(fleet)).toEqual([])
    await fleet.screenshot({ path: screenshot('fleet.png'), fullPage: true })
  }, 120_000)
})
