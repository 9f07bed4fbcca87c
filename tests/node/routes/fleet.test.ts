/**
 * `/orgs/{org}/fleet/stats` (the org's fleet composition) and `/orgs/{org}/fleet/stats/{member}`
 * (one hangar), through real nodes: counts by manufacturer, role, status and insurance and
 * the total value, over what the caller may see; refused for a member who left, for bad
 * input and an unknown org.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { NodeAnswerError } from '../../../cli/errors.ts'
import { foundOrg, joinOrg } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

interface Stats {
  ships: number
  totalCost: number
  byManufacturer: Record<string, number>
  byRole: Record<string, number>
  byStatus: Record<string, number>
  byInsurance: Record<string, number>
}

let leader: TestNode
let recruit: TestNode
let org: string
const api = <T>(t: TestNode, method: string, path: string, body?: unknown) =>
  t.api<T>(method, `/api/v1${path}`, body)
/** The error a request is answered with. */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal')
    },
    (e: unknown) => e as NodeAnswerError,
  )

const nodes = useNodes('file')
beforeAll(async () => {
  const o = await foundOrg(nodes, 'Stats Org')
  leader = o.leader
  org = o.org.id
  recruit = await joinOrg(nodes, o, 'recruit', 'Rookie_R')
}, 60_000)

describe('fleet stats', () => {
  it('composition and hangar stats: by manufacturer, role, status, insurance; total value; what the caller may see', async () => {
    const add = (t: TestNode, b: Record<string, unknown>) => api(t, 'POST', `/orgs/${org}/ships`, b)
    await add(leader, {
      model: 'Carrack',
      manufacturer: 'Anvil',
      cost: 600,
      role: 'exploration',
      insurance: 'lti',
    })
    await add(leader, { model: 'Cutlass Black', manufacturer: 'Drake', cost: 110.5, role: 'fighter' })
    await add(leader, {
      model: 'Polaris',
      manufacturer: 'RSI',
      cost: 750,
      role: 'capital',
      visibility: 'officers',
    })
    await add(recruit, {
      model: 'Aurora MR',
      manufacturer: 'RSI',
      cost: 30,
      status: 'destroyed',
      insurance: 'standard',
    })

    const all = await waitFor('both hangars on the leader', async () => {
      const s = await api<Stats>(leader, 'GET', `/orgs/${org}/fleet/stats`)
      return s.ships === 4 ? s : null
    })
    expect(all).toEqual({
      ships: 4,
      totalCost: 1490.5,
      byManufacturer: { Anvil: 1, Drake: 1, RSI: 2 },
      byRole: { exploration: 1, fighter: 1, capital: 1, unknown: 1 },
      byStatus: { available: 3, destroyed: 1 },
      byInsurance: { lti: 1, none: 2, standard: 1 },
    })
    // The recruit sees neither the officer-only Polaris in the composition …
    const seen = await waitFor("the leader's ships on the recruit", async () => {
      const s = await api<Stats>(recruit, 'GET', `/orgs/${org}/fleet/stats`)
      return s.ships === 3 ? s : null
    })
    expect(seen).toMatchObject({ totalCost: 740.5, byManufacturer: { Anvil: 1, Drake: 1, RSI: 1 } })
    // … nor in the leader's hangar.
    const leaderKey = leader.node.services.org.me
    expect(await api<Stats>(recruit, 'GET', `/orgs/${org}/fleet/stats/${leaderKey}`)).toMatchObject({
      ships: 2,
      totalCost: 710.5,
    })
    expect(await api<Stats>(leader, 'GET', `/orgs/${org}/fleet/stats/me`)).toMatchObject({
      ships: 3,
      totalCost: 1460.5,
    })
    expect(await api<Stats>(recruit, 'GET', `/orgs/${org}/fleet/stats/me`)).toEqual({
      ships: 1,
      totalCost: 30,
      byManufacturer: { RSI: 1 },
      byRole: { unknown: 1 },
      byStatus: { destroyed: 1 },
      byInsurance: { standard: 1 },
    })
  }, 60_000)

  it('refused: bad member, unknown org, and a member who left beyond their own hangar', async () => {
    const bad = await refusal(api(leader, 'GET', `/orgs/${org}/fleet/stats/someone`))
    expect([bad.status, bad.code, bad.field]).toEqual([400, 'invalid-input', 'owner'])
    const unknown = await refusal(api(leader, 'GET', `/orgs/${'0'.repeat(32)}/fleet/stats`))
    expect([unknown.status, unknown.code]).toEqual([404, 'org-not-found'])

    await api(recruit, 'POST', `/orgs/${org}/leave`)
    const left = await refusal(api(recruit, 'GET', `/orgs/${org}/fleet/stats`))
    expect([left.status, left.code]).toEqual([403, 'permission-denied'])
    expect(left.message).toMatch(/needs fleet:view, which a non-member does not have/)
    const other = await refusal(
      api(recruit, 'GET', `/orgs/${org}/fleet/stats/${leader.node.services.org.me}`),
    )
    expect(other.status).toBe(403)
    expect((await api<Stats>(recruit, 'GET', `/orgs/${org}/fleet/stats/me`)).ships).toBe(1)
  }, 60_000)
})
