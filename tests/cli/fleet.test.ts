/**
 * `verseguy fleet stats` (and `ship stats --owner`) against running nodes in this process:
 * the org's composition over what the caller may see, as a table and as JSON; refused
 * with exit 3 for a member who left, exit 1 for an org this node does not hold.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runMain } from '../helpers/cli.ts'
import { foundOrg, joinOrg } from '../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

let leader: TestNode
let member: TestNode
const cli = (t: TestNode, ...args: string[]) => runMain(['-d', t.dir, ...args])
interface Stats {
  ships: number
  totalCost: number
  byManufacturer: Record<string, number>
  byRole: Record<string, number>
  byStatus: Record<string, number>
  byInsurance: Record<string, number>
}
const stats = async (t: TestNode, ...args: string[]) => {
  const r = await cli(t, ...args, '--json')
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Stats
}

const nodes = useNodes('file')
beforeAll(async () => {
  const o = await foundOrg(nodes, 'Cli Fleet')
  leader = o.leader
  member = await joinOrg(nodes, o, 'member', 'Wing_M')
}, 60_000)

describe('verseguy fleet stats', () => {
  it("the org's composition: by manufacturer, role, status, insurance, and total value", async () => {
    const empty = await cli(leader, 'fleet', 'stats')
    expect(empty.stdout).toBe('0 ships, total value 0 USD\n')
    for (const args of [
      [
        '--model',
        'Carrack',
        '--manufacturer',
        'Anvil',
        '--cost',
        '600',
        '--role',
        'exploration',
        '--insurance',
        'lti',
      ],
      ['--model', 'Polaris', '--manufacturer', 'RSI', '--cost', '750', '--visibility', 'officers'],
    ])
      expect((await cli(leader, 'ship', 'add', ...args)).code).toBe(0)
    expect(
      (
        await cli(
          member,
          'ship',
          'add',
          '--model',
          'Cutlass Black',
          '--manufacturer',
          'Drake',
          '--cost',
          '110',
          '--role',
          'fighter',
          '--status',
          'destroyed',
        )
      ).code,
    ).toBe(0)

    const all = await waitFor('both hangars on the leader', async () => {
      const s = await stats(leader, 'fleet', 'stats')
      return s.ships === 3 ? s : null
    })
    expect(all).toEqual({
      ships: 3,
      totalCost: 1460,
      byManufacturer: { Anvil: 1, Drake: 1, RSI: 1 },
      byRole: { exploration: 1, fighter: 1, unknown: 1 },
      byStatus: { available: 2, destroyed: 1 },
      byInsurance: { lti: 1, none: 2 },
    })
    const table = await cli(leader, 'fleet', 'stats')
    expect(table.stdout).toMatch(/^3 ships, total value 1460 USD\n/)
    expect(table.stdout).toMatch(/status\s*│\s*destroyed\s*│\s*1/)
    // The member does not see the officer-only Polaris.
    const seen = await waitFor("the leader's ships on the member", async () => {
      const s = await stats(member, 'fleet', 'stats')
      return s.ships === 2 ? s : null
    })
    expect(seen.totalCost).toBe(710)
    expect((await stats(member, 'ship', 'stats', '--owner', 'Lead_A')).ships).toBe(1)
  }, 60_000)

  it('refused: exit 3 for a member who left, exit 1 for an unknown org', async () => {
    const unknown = await cli(leader, 'fleet', 'stats', '--org', '0'.repeat(32))
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/^error: No org 0{32} on this node/)
    expect((await cli(member, 'org', 'leave', '--yes')).code).toBe(0)
    const left = await cli(member, 'fleet', 'stats')
    expect(left.code).toBe(3)
    expect(left.stderr).toMatch(/seeing the org fleet needs fleet:view, which a non-member does not have/)
    expect((await cli(member, 'ship', 'stats')).code).toBe(0)
  }, 60_000)
})
