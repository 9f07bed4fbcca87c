/**
 * `/orgs/{org}/ships`, `/orgs/{org}/members/{member}/ships/{ship}` and its loadouts,
 * through real nodes: a leader's and a recruit's (joined with an invite over loopback),
 * including every refused path (bad input naming the field, unknown ship or loadout,
 * another member's ship, officer-only ships, a member who left).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { layout, readRuntimeFile } from '../../../node/index.ts'
import { foundOrg, joinOrg } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

interface Ship {
  id: string
  owner: string
  model: string
  manufacturer: string
  status: string
  cost: number
  visibility: string
  location: string
  loadouts: { id: string; name: string; active: boolean; components: { slot: string; item: string }[] }[]
}
interface Page<T> {
  items: T[]
  next: string | null
  total: number
}

/** One request; the status and the JSON body, whatever the status. */
async function raw(t: TestNode, method: string, path: string, body?: unknown) {
  const token = (await readRuntimeFile(layout(t.dir).runtime))?.token ?? ''
  const res = await fetch(`${t.node.apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return {
    status: res.status,
    body: (await res.json()) as { error?: Record<string, string> } & Record<string, unknown>,
  }
}

let leader: TestNode
let recruit: TestNode
let org: string
let L: string
let R: string
const api = <T>(t: TestNode, method: string, path: string, body?: unknown) =>
  t.api<T>(method, `/api/v1${path}`, body)

const nodes = useNodes('file')
beforeAll(async () => {
  const o = await foundOrg(nodes, 'Ship Org')
  leader = o.leader
  org = o.org.id
  recruit = await joinOrg(nodes, o, 'recruit', 'Rookie_R')
  L = leader.node.services.org.me
  R = recruit.node.services.org.me
}, 60_000)

describe('ships', () => {
  it('adds, lists (filtered, sorted, paged), shows, updates and removes ships', async () => {
    const add = (b: Record<string, unknown>) => api<Ship>(leader, 'POST', `/orgs/${org}/ships`, b)
    const cutlass = await add({ model: 'Cutlass Black', manufacturer: 'Drake', cost: 110, role: 'fighter' })
    await add({ model: 'Carrack', manufacturer: 'Anvil', cost: 600, role: 'exploration', insurance: 'lti' })
    await add({ model: 'Prospector', manufacturer: 'MISC', cost: 155, role: 'mining', status: 'maintenance' })
    await add({ model: 'Vulture', manufacturer: 'Drake', cost: 175, role: 'salvage' })
    expect(cutlass).toMatchObject({ owner: L, status: 'available', visibility: 'org', loadouts: [] })

    const mine = await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?owner=me`)
    expect(mine.total).toBe(4)
    expect(mine.items.map((s) => s.model)).toEqual(['Carrack', 'Cutlass Black', 'Prospector', 'Vulture'])
    const drake = await api<Page<Ship>>(
      leader,
      'GET',
      `/orgs/${org}/ships?manufacturer=drake&sort=cost&order=desc`,
    )
    expect(drake.items.map((s) => s.model)).toEqual(['Vulture', 'Cutlass Black'])
    const lti = await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?insurance=lti`)
    expect(lti.items.map((s) => s.model)).toEqual(['Carrack'])
    const fixing = await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?status=maintenance&role=MINING`)
    expect(fixing.items.map((s) => s.model)).toEqual(['Prospector'])

    // Two pages of two, in cost order, then no more.
    const p1 = await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?sort=cost&limit=2`)
    expect(p1.items.map((s) => s.cost)).toEqual([110, 155])
    expect(p1.total).toBe(4)
    const p2 = await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?sort=cost&limit=2&cursor=${p1.next}`)
    expect(p2.items.map((s) => s.cost)).toEqual([175, 600])
    expect(p2.next).toBeNull()

    const shown = await api<Ship>(leader, 'GET', `/orgs/${org}/members/me/ships/${cutlass.id}`)
    expect(shown).toMatchObject({ id: cutlass.id, model: 'Cutlass Black', loadouts: [] })
    expect(await api<Ship>(leader, 'GET', `/orgs/${org}/members/${L}/ships/${cutlass.id}`)).toEqual(shown)

    const updated = await api<Ship>(leader, 'PATCH', `/orgs/${org}/members/me/ships/${cutlass.id}`, {
      status: 'destroyed',
      location: 'Yela belt',
      name: 'Lucky',
      insurance: 'standard',
      role: 'interdiction',
      visibility: 'officers',
      pledgeDate: '2019-11-29',
      cost: 120,
    })
    expect(updated).toMatchObject({
      status: 'destroyed',
      location: 'Yela belt',
      name: 'Lucky',
      insurance: 'standard',
      role: 'interdiction',
      visibility: 'officers',
      pledgeDate: '2019-11-29',
      cost: 120,
    })
    const destroyed = await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?status=destroyed`)
    expect(destroyed.items.map((s) => s.id)).toEqual([cutlass.id])

    const removed = await api<Ship>(leader, 'DELETE', `/orgs/${org}/members/me/ships/${cutlass.id}`)
    expect(removed.id).toBe(cutlass.id)
    expect((await api<Page<Ship>>(leader, 'GET', `/orgs/${org}/ships?owner=me`)).total).toBe(3)
  }, 60_000)

  it('bad input names the field, an unknown ship is 404, and nothing changes', async () => {
    const ship = await api<Ship>(leader, 'POST', `/orgs/${org}/ships`, {
      model: 'Aurora MR',
      manufacturer: 'RSI',
    })
    const path = `/orgs/${org}/members/me/ships/${ship.id}`
    const cases: [string, string, unknown, number, string, string?][] = [
      ['PATCH', path, { status: 'flying' }, 400, 'invalid-input', 'status'],
      ['PATCH', path, { cost: -1 }, 400, 'invalid-input', 'ship.cost'],
      ['PATCH', path, { pledgeDate: '2024-02-30' }, 400, 'invalid-input', 'ship.pledgeDate'],
      ['PATCH', path, {}, 400, 'invalid-input', 'ship'],
      [
        'POST',
        `/orgs/${org}/ships`,
        { model: 'X', manufacturer: 'Y', insurance: 'gold' },
        400,
        'invalid-input',
        'insurance',
      ],
      ['POST', `/orgs/${org}/ships`, { manufacturer: 'Y' }, 400, 'invalid-input', 'model'],
      ['GET', `/orgs/${org}/ships?status=lost`, undefined, 400, 'invalid-input', 'status'],
      ['GET', `/orgs/${org}/ships?sort=speed`, undefined, 400, 'invalid-input', 'sort'],
      ['GET', `/orgs/${org}/ships?owner=nobody`, undefined, 400, 'invalid-input', 'owner'],
      ['GET', `/orgs/${org}/members/me/ships/not-an-id`, undefined, 400, 'invalid-input', 'ship'],
      ['GET', `/orgs/${org}/members/me/ships/0123456789abcdef`, undefined, 404, 'ship-not-found'],
      [
        'PATCH',
        `/orgs/${org}/members/me/ships/0123456789abcdef`,
        { status: 'destroyed' },
        404,
        'ship-not-found',
      ],
      ['DELETE', `/orgs/${org}/members/me/ships/0123456789abcdef`, undefined, 404, 'ship-not-found'],
      ['GET', `/orgs/${'0'.repeat(32)}/ships`, undefined, 404, 'org-not-found'],
    ]
    for (const [method, p, body, status, code, field] of cases) {
      const res = await raw(leader, method, p, body)
      expect(res.status, `${method} ${p}`).toBe(status)
      expect(res.body.error).toMatchObject({ code, ...(field === undefined ? {} : { field }) })
    }
    expect(await api<Ship>(leader, 'GET', path)).toMatchObject({ status: 'available', cost: 0 })
  }, 60_000)

  it('loadouts: add, edit components, activate, remove; refusals name the field or 404', async () => {
    const ship = await api<Ship>(leader, 'POST', `/orgs/${org}/ships`, {
      model: 'Gladius',
      manufacturer: 'Aegis',
    })
    const base = `/orgs/${org}/members/me/ships/${ship.id}/loadouts`
    const pve = await api<{ id: string }>(leader, 'POST', base, {
      name: 'PvE',
      components: [{ slot: 'nose', item: 'CF-337 Panther', manufacturer: 'Klaus & Werner' }],
    })
    const pvp = await api<{ id: string }>(leader, 'POST', base, { name: 'PvP', components: [] })
    let view = await api<Ship>(leader, 'GET', `/orgs/${org}/members/me/ships/${ship.id}`)
    expect(view.loadouts.map((l) => [l.name, l.active])).toEqual([
      ['PvE', true],
      ['PvP', false],
    ])
    view = await api<Ship>(leader, 'PATCH', `${base}/${pve.id}`, {
      name: 'PvE heavy',
      components: [
        { slot: 'nose', item: 'M5A Cannon' },
        { slot: 'wing-left', item: 'CF-227 Badger' },
      ],
    })
    expect(view.loadouts[0]).toMatchObject({
      name: 'PvE heavy',
      components: [
        { slot: 'nose', item: 'M5A Cannon', manufacturer: '' },
        { slot: 'wing-left', item: 'CF-227 Badger', manufacturer: '' },
      ],
    })
    view = await api<Ship>(leader, 'PATCH', `${base}/${pve.id}`, {
      components: [{ slot: 'wing-left', item: 'CF-227 Badger' }],
    })
    expect(view.loadouts[0]?.components.map((c) => c.slot)).toEqual(['wing-left'])
    view = await api<Ship>(leader, 'POST', `${base}/${pvp.id}/activate`)
    expect(view.loadouts.find((l) => l.active)?.id).toBe(pvp.id)
    view = await api<Ship>(leader, 'DELETE', `${base}/${pvp.id}`)
    expect(view.loadouts.map((l) => [l.id, l.active])).toEqual([[pve.id, true]])

    const unknown = '0123456789abcdef'
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', base, { name: '', components: [] }, 400, 'invalid-input', 'loadout.name'],
      [
        'POST',
        base,
        {
          name: 'Twice',
          components: [
            { slot: 'a', item: 'x' },
            { slot: 'a', item: 'y' },
          ],
        },
        400,
        'invalid-input',
        'loadout.components',
      ],
      ['POST', base, { name: 'No list' }, 400, 'invalid-input', 'components'],
      ['PATCH', `${base}/${pve.id}`, {}, 400, 'invalid-input', 'loadout'],
      ['PATCH', `${base}/${unknown}`, { name: 'x' }, 404, 'loadout-not-found'],
      ['POST', `${base}/${unknown}/activate`, undefined, 404, 'loadout-not-found'],
      ['DELETE', `${base}/${unknown}`, undefined, 404, 'loadout-not-found'],
      [
        'POST',
        `/orgs/${org}/members/me/ships/${unknown}/loadouts`,
        { name: 'x', components: [] },
        404,
        'ship-not-found',
      ],
    ]
    for (const [method, p, body, status, code, field] of cases) {
      const res = await raw(leader, method, p, body)
      expect(res.status, `${method} ${p} ${JSON.stringify(body)}`).toBe(status)
      expect(res.body.error).toMatchObject({ code, ...(field === undefined ? {} : { field }) })
    }
  }, 60_000)

  it("a recruit sees the org's ships, not officer-only or private ones, and may not change another's", async () => {
    const open = await api<Ship>(leader, 'POST', `/orgs/${org}/ships`, {
      model: 'Hammerhead',
      manufacturer: 'Aegis',
    })
    const officers = await api<Ship>(leader, 'POST', `/orgs/${org}/ships`, {
      model: 'Polaris',
      manufacturer: 'RSI',
      visibility: 'officers',
    })
    const secret = await api<Ship>(leader, 'POST', `/orgs/${org}/ships`, {
      model: 'Idris-P',
      manufacturer: 'Aegis',
      visibility: 'private',
    })
    const own = await api<Ship>(recruit, 'POST', `/orgs/${org}/ships`, {
      model: 'Aurora LN',
      manufacturer: 'RSI',
    })
    const seen = async () => (await api<Page<Ship>>(recruit, 'GET', `/orgs/${org}/ships?limit=500`)).items
    await waitFor("the leader's ships on the recruit", async () =>
      (await seen()).some((s) => s.id === open.id),
    )
    const ids = (await seen()).map((s) => s.id)
    expect(ids).toContain(own.id)
    expect(ids).not.toContain(officers.id)
    expect(ids).not.toContain(secret.id)
    expect(await api<Ship>(recruit, 'GET', `/orgs/${org}/members/${L}/ships/${open.id}`)).toMatchObject({
      model: 'Hammerhead',
    })

    const refused: [string, string, unknown, number, Record<string, string>][] = [
      [
        'GET',
        `/orgs/${org}/members/${L}/ships/${officers.id}`,
        undefined,
        403,
        { code: 'permission-denied', permission: 'fleet:manage', rank: 'Recruit' },
      ],
      ['GET', `/orgs/${org}/members/${L}/ships/${secret.id}`, undefined, 404, { code: 'ship-not-found' }],
      [
        'PATCH',
        `/orgs/${org}/members/${L}/ships/${open.id}`,
        { status: 'destroyed' },
        403,
        { code: 'permission-denied', permission: 'fleet:manage', rank: 'Recruit' },
      ],
      [
        'DELETE',
        `/orgs/${org}/members/${L}/ships/${open.id}`,
        undefined,
        403,
        { code: 'permission-denied', permission: 'fleet:manage' },
      ],
      [
        'POST',
        `/orgs/${org}/members/${L}/ships/${open.id}/loadouts`,
        { name: 'x', components: [] },
        403,
        { code: 'permission-denied', permission: 'fleet:manage' },
      ],
    ]
    for (const [method, p, body, status, error] of refused) {
      const res = await raw(recruit, method, p, body)
      expect(res.status, `${method} ${p}`).toBe(status)
      expect(res.body.error).toMatchObject(error)
    }
    // The leader (fleet:manage, above the recruit) may change the recruit's ship.
    await waitFor("the recruit's ship on the leader", () =>
      api<Ship>(leader, 'GET', `/orgs/${org}/members/${R}/ships/${own.id}`).catch(() => null),
    )
    const fixed = await api<Ship>(leader, 'PATCH', `/orgs/${org}/members/${R}/ships/${own.id}`, {
      location: 'Lorville',
    })
    expect(fixed).toMatchObject({ owner: R, location: 'Lorville' })
    expect((await api<Ship>(leader, 'GET', `/orgs/${org}/members/me/ships/${open.id}`)).status).toBe(
      'available',
    )
  }, 60_000)

  it('a member who left keeps their own hangar and sees nothing beyond it', async () => {
    await api(recruit, 'POST', `/orgs/${org}/leave`)
    const fleet = await raw(recruit, 'GET', `/orgs/${org}/ships`)
    expect(fleet.status).toBe(403)
    expect(fleet.body.error).toMatchObject({ code: 'permission-denied', permission: 'fleet:view' })
    expect(fleet.body.error?.rank).toBeUndefined()
    const other = await raw(recruit, 'GET', `/orgs/${org}/ships?owner=${L}`)
    expect(other.status).toBe(403)
    const own = await api<Page<Ship>>(recruit, 'GET', `/orgs/${org}/ships?owner=me`)
    expect(own.items.map((s) => s.model)).toEqual(['Aurora LN'])
  }, 60_000)
})
