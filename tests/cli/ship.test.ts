/**
 * `verseguy ship add|list|show|update|remove|stats` and `loadout add|edit|activate|remove`
 * against running nodes (a leader's and a recruit's, in this process; the CLI's main runs
 * here too): tables, --json, filters as flags, and the exit codes of refusals (1 refused
 * or not found, 2 usage, 3 forbidden).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { hintedCommand, runMain } from '../helpers/cli.ts'
import { foundOrg, joinOrg } from '../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

let leader: TestNode
let recruit: TestNode
const cli = (t: TestNode, ...args: string[]) => runMain(['-d', t.dir, ...args])
/** Runs a command that must succeed and parses its --json output. */
async function json<T>(t: TestNode, ...args: string[]): Promise<T> {
  const r = await cli(t, ...args, '--json')
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout) as T
}
interface Ship {
  id: string
  model: string
  status: string
  location: string
  owner: string
  loadouts: {
    id: string
    name: string
    active: boolean
    components: { slot: string; item: string; manufacturer: string }[]
  }[]
}

const nodes = useNodes('file')
beforeAll(async () => {
  const o = await foundOrg(nodes, 'Cli Ships')
  leader = o.leader
  recruit = await joinOrg(nodes, o, 'recruit', 'Rookie_R')
}, 60_000)

describe('verseguy ship', () => {
  it('add, list with filters and pages, show, update, stats, remove', async () => {
    const cutlass = await json<Ship>(
      leader,
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
      '--insurance',
      'lti',
    )
    await json(
      leader,
      'ship',
      'add',
      '--model',
      'Carrack',
      '--manufacturer',
      'Anvil',
      '--cost',
      '600',
      '--status',
      'maintenance',
    )
    const added = await cli(
      leader,
      'ship',
      'add',
      '--model',
      'Vulture',
      '--manufacturer',
      'Drake',
      '--cost',
      '175',
      '--pledge-date',
      '2022-05-20',
    )
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(/^Added Vulture \([0-9a-f]{16}\) to your hangar\.\n$/)

    const table = await cli(leader, 'ship', 'list')
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/Carrack.*\n(.*\n)*.*Cutlass Black.*\n(.*\n)*.*Vulture/)
    const drake = await json<{ items: Ship[]; total: number }>(
      leader,
      'ship',
      'list',
      '--all',
      '--manufacturer',
      'DRAKE',
      '--sort',
      'cost',
      '--desc',
    )
    expect(drake.items.map((s) => s.model)).toEqual(['Vulture', 'Cutlass Black'])
    const fixing = await json<{ items: Ship[] }>(leader, 'ship', 'list', '--status', 'maintenance')
    expect(fixing.items.map((s) => s.model)).toEqual(['Carrack'])
    const byHandle = await json<{ items: Ship[] }>(
      leader,
      'ship',
      'list',
      '--owner',
      'lead_a',
      '--insurance',
      'lti',
    )
    expect(byHandle.items.map((s) => s.model)).toEqual(['Cutlass Black'])

    const first = await cli(leader, 'ship', 'list', '--sort', 'cost', '--limit', '2')
    const again = hintedCommand(first.stdout, '2 of 3 ships; next page: ')
    expect(again.slice(2, -1)).toEqual(['ship', 'list', '--sort', 'cost', '--limit', '2', '--cursor'])
    const cursor = again.at(-1)
    expect(cursor, first.stdout).toBeDefined()
    const rest = await json<{ items: Ship[]; next: string | null }>(
      leader,
      'ship',
      'list',
      '--sort',
      'cost',
      '--limit',
      '2',
      '--cursor',
      cursor as string,
    )
    expect(rest.items.map((s) => s.model)).toEqual(['Carrack'])
    expect(rest.next).toBeNull()

    const shown = await cli(leader, 'ship', 'show', cutlass.id)
    expect(shown.stdout).toContain('Cutlass Black (Drake)')
    expect(shown.stdout).toMatch(/insurance\s+lti/)
    const updated = await json<Ship>(
      leader,
      'ship',
      'update',
      cutlass.id,
      '--status',
      'destroyed',
      '--location',
      'Yela',
    )
    expect(updated).toMatchObject({ status: 'destroyed', location: 'Yela' })
    const said = await cli(leader, 'ship', 'update', cutlass.id, '--status', 'in-use')
    expect(said.stdout).toBe(`Updated Cutlass Black (${cutlass.id}): in-use, at Yela.\n`)

    const stats = await json<{ ships: number; totalCost: number; byStatus: Record<string, number> }>(
      leader,
      'ship',
      'stats',
    )
    expect(stats).toMatchObject({
      ships: 3,
      totalCost: 885,
      byStatus: { 'in-use': 1, maintenance: 1, available: 1 },
    })
    const people = await cli(leader, 'ship', 'stats')
    expect(people.stdout).toMatch(/^3 ships, total value 885 USD\n/)
    expect(people.stdout).toMatch(/manufacturer\s*│\s*Drake\s*│\s*2/)

    const removed = await cli(leader, 'ship', 'remove', cutlass.id)
    expect(removed.stdout).toBe(`Removed Cutlass Black (${cutlass.id}).\n`)
    expect((await json<{ total: number }>(leader, 'ship', 'list')).total).toBe(2)
  }, 60_000)

  it('usage errors exit 2 naming the flag; bad input, unknown ships and refusals say so', async () => {
    const ship = await json<Ship>(leader, 'ship', 'add', '--model', 'Aurora MR', '--manufacturer', 'RSI')
    const cases: [string[], number, RegExp][] = [
      [
        ['ship', 'update', ship.id, '--status', 'flying'],
        2,
        /--status must be one of available, in-use, maintenance, destroyed, unknown \(got "flying"\)/,
      ],
      [['ship', 'list', '--status', 'lost'], 2, /--status must be one of/],
      [
        ['ship', 'list', '--sort', 'speed'],
        2,
        /--sort must be one of model, manufacturer, status, cost, added/,
      ],
      [['ship', 'list', '--limit', '0'], 2, /--limit must be a whole number from 1 to 500/],
      [['ship', 'list', '--all', '--owner', 'me'], 2, /either --all or --owner/],
      [
        ['ship', 'add', '--model', 'X', '--manufacturer', 'Y', '--visibility', 'everyone'],
        2,
        /--visibility must be one of org, officers, private/,
      ],
      [['ship', 'update', ship.id], 2, /Give at least one of --name/],
      [
        ['ship', 'update', ship.id, '--pledge-date', '2024-02-30'],
        1,
        /^error: ship\.pledgeDate: is not a real date/,
      ],
      [
        ['ship', 'show', '0123456789abcdef'],
        1,
        /^error: No ship 0123456789abcdef .* Another member's ship\? Name its owner: --owner HANDLE\./,
      ],
      [
        ['ship', 'remove', '0123456789abcdef', '--owner', 'me'],
        1,
        /^error: No ship 0123456789abcdef [^\n]*on this node\.\n/,
      ],
      [['ship', 'show', 'nope'], 1, /^error: ship: must be a ship id/],
      [['ship', 'list', '--owner', 'Nobody_Here'], 1, /No member Nobody_Here in this org/],
    ]
    for (const [args, code, err] of cases) {
      const r = await cli(leader, ...args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code)
      expect(r.stderr).toMatch(err)
    }
    expect((await json<Ship>(leader, 'ship', 'show', ship.id)).status).toBe('available')
  }, 60_000)

  it("a recruit lists the org's ships but may not change the leader's (exit 3)", async () => {
    const theirs = await json<Ship>(leader, 'ship', 'add', '--model', 'Hammerhead', '--manufacturer', 'Aegis')
    await waitFor("the leader's ship on the recruit", async () =>
      (await json<{ items: Ship[] }>(recruit, 'ship', 'list', '--all', '--limit', '500')).items.some(
        (s) => s.id === theirs.id,
      ),
    )
    const shown = await json<Ship>(recruit, 'ship', 'show', theirs.id, '--owner', 'Lead_A')
    expect(shown.model).toBe('Hammerhead')
    for (const args of [
      ['ship', 'update', theirs.id, '--owner', 'Lead_A', '--status', 'destroyed'],
      ['ship', 'remove', theirs.id, '--owner', theirs.owner],
      ['loadout', 'add', theirs.id, '--owner', 'Lead_A', '--name', 'Mine'],
    ]) {
      const r = await cli(recruit, ...args)
      expect(r.code, args.join(' ')).toBe(3)
      expect(r.stderr).toMatch(/needs fleet:manage, which your rank Recruit does not have/)
    }
  }, 60_000)
})

describe('verseguy loadout', () => {
  it('add, edit components, activate, remove; a bad --component is a usage error', async () => {
    const ship = await json<Ship>(leader, 'ship', 'add', '--model', 'Gladius', '--manufacturer', 'Aegis')
    const pve = await json<{ id: string }>(
      leader,
      'loadout',
      'add',
      ship.id,
      '--name',
      'PvE',
      '--component',
      'nose=CF-337 Panther@Klaus & Werner',
      '--component',
      'wing=M5A',
    )
    const pvp = await cli(leader, 'loadout', 'add', ship.id, '--name', 'PvP')
    expect(pvp.stdout).toMatch(
      new RegExp(`^Added loadout PvP \\(([0-9a-f]{16})\\) to ship ${ship.id}\\.\\n$`),
    )
    const pvpId = pvp.stdout.match(/\(([0-9a-f]{16})\)/)?.[1] as string

    let view = await json<Ship>(leader, 'ship', 'show', ship.id)
    expect(view.loadouts).toEqual([
      {
        id: pve.id,
        name: 'PvE',
        active: true,
        components: [
          { slot: 'nose', item: 'CF-337 Panther', manufacturer: 'Klaus & Werner' },
          { slot: 'wing', item: 'M5A', manufacturer: '' },
        ],
      },
      { id: pvpId, name: 'PvP', active: false, components: [] },
    ])
    view = await json<Ship>(
      leader,
      'loadout',
      'edit',
      ship.id,
      pve.id,
      '--name',
      'PvE heavy',
      '--component',
      'wing=CF-227 Badger',
    )
    expect(view.loadouts[0]).toMatchObject({
      name: 'PvE heavy',
      components: [{ slot: 'wing', item: 'CF-227 Badger' }],
    })
    const shown = await cli(leader, 'loadout', 'edit', ship.id, pve.id, '--clear')
    expect(shown.stdout).toMatch(/\* PvE heavy/)
    const activated = await cli(leader, 'loadout', 'activate', ship.id, pvpId)
    expect(activated.stdout).toBe('PvP is now the active loadout of Gladius.\n')
    const removed = await cli(leader, 'loadout', 'remove', ship.id, pvpId)
    expect(removed.stdout).toBe(`Removed loadout ${pvpId} from Gladius; 1 left.\n`)
    expect(
      (await json<Ship>(leader, 'ship', 'show', ship.id)).loadouts.map((l) => [l.name, l.active]),
    ).toEqual([['PvE heavy', true]])

    const cases: [string[], number, RegExp][] = [
      [
        ['loadout', 'add', ship.id, '--name', 'X', '--component', 'no-equals'],
        2,
        /--component must be slot=item/,
      ],
      [
        ['loadout', 'add', ship.id, '--name', 'X', '--component', '=item'],
        2,
        /--component must be slot=item/,
      ],
      [['loadout', 'edit', ship.id, pve.id], 2, /Give --name, --component or --clear/],
      [
        ['loadout', 'edit', ship.id, pve.id, '--clear', '--component', 'a=b'],
        2,
        /either --component or --clear/,
      ],
      [
        ['loadout', 'add', ship.id, '--name', 'X', '--component', 'a=b', '--component', 'a=c'],
        1,
        /^error: loadout\.components: slot a appears twice/,
      ],
      [['loadout', 'activate', ship.id, '0123456789abcdef'], 1, /^error: No loadout 0123456789abcdef/],
      [['loadout', 'remove', '0123456789abcdef', pve.id], 1, /^error: No ship 0123456789abcdef/],
    ]
    for (const [args, code, err] of cases) {
      const r = await cli(leader, ...args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code)
      expect(r.stderr).toMatch(err)
    }
  }, 60_000)
})
