/**
 * `verseguy rank …` against running nodes (in process, through their API): list, create
 * (license-gated: exit 3 without Pro), update, delete (asks for --yes; refused while
 * held), assign by handle and rank name; bad levels are usage errors naming the flag.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { RankView } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { foundOrg, joinOrg, license, type RosterOrg, trustingTestIssuer } from '../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../helpers/start-nodes.ts'

const nodes = useNodes('file')
let o: RosterOrg
let member: TestNode

beforeAll(async () => {
  o = await foundOrg(nodes, 'Rank CLI Org', await trustingTestIssuer())
  member = await joinOrg(nodes, o, 'member', 'Mem_B')
}, 120_000)

const lead = (...args: string[]) => runMain(['-d', o.leader.dir, ...args])
const PERMS = 'members:view,ranks:view,fleet:view,ops:view,treasury:view,audit:view'

describe('verseguy rank', () => {
  it('lists ranks as a table and as JSON', async () => {
    const table = await lead('rank', 'list')
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/Leader.*100.*\*/)
    const json = JSON.parse((await lead('rank', 'list', '--json')).stdout) as RankView[]
    expect(json.map((r) => r.id)).toEqual(['leader', 'officer', 'member', 'recruit'])
  })

  it('creates, updates, assigns and deletes a custom rank under a Pro license', async () => {
    const locked = await lead('rank', 'create', 'Wing Lead', '--level', '30', '--permissions', PERMS)
    expect(locked.code).toBe(3)
    expect(locked.stderr).toMatch(/custom-ranks is not available/)
    for (const level of ['0', 'abc', '2.5']) {
      const bad = await lead('rank', 'create', 'Wing Lead', '--level', level, '--permissions', PERMS)
      expect(bad.code, level).toBe(2)
      expect(bad.stderr).toContain('--level must be a whole number')
    }
    await license(o, 'pro')
    const high = await lead('rank', 'create', 'Wing Lead', '--level', '100', '--permissions', PERMS)
    expect(high.code).toBe(1)
    expect(high.stderr).toMatch(/^error: level: must be below your own level \(100\)/)
    const own = await lead('rank', 'create', 'Wing Lead', '--level', '30', '--permissions', 'fleet:view')
    expect(own.code).toBe(3) // a permission set of its own is RBAC: Enterprise
    expect(own.stderr).toMatch(/rbac is not available/)
    expect((await lead('rank', 'create', 'Wing Lead', '--level', '30')).code).toBe(2) // --like or --permissions
    const created = await lead('rank', 'create', 'Wing Lead', '--level', '30', '--like', 'Member')
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toContain('Created rank Wing Lead (wing-lead, level 30).')
    const ranks = JSON.parse((await lead('rank', 'list', '--json')).stdout) as RankView[]
    expect(ranks.find((r) => r.id === 'wing-lead')?.permissions.sort()).toEqual(PERMS.split(',').sort())
    const denied = await runMain(['-d', member.dir, 'rank', 'update', 'recruit', '--level', '5'])
    expect(denied.code).toBe(3)
    expect(denied.stderr).toMatch(/needs ranks:manage, which your rank Member does not have/)
    const updated = await lead('rank', 'update', 'wing', '--name', 'Wing Leader', '--level', '35')
    expect(updated.code, updated.stderr).toBe(0)
    expect(updated.stdout).toContain('Updated rank Wing Leader (wing-lead, level 35).')
    expect((await lead('rank', 'update', 'wing')).code).toBe(2)

    const assigned = await lead('rank', 'assign', 'Mem_B', 'Wing Leader')
    expect(assigned.code, assigned.stderr).toBe(0)
    expect(assigned.stdout).toContain('Mem_B is now Wing Leader.')
    const held = await lead('rank', 'delete', 'wing-lead', '--yes')
    expect(held.code).toBe(1)
    expect(held.stderr).toMatch(/1 member\(s\) still hold rank wing-lead/)
    expect((await lead('rank', 'assign', 'Mem_B', 'member')).code).toBe(0)
    const unconfirmed = await lead('rank', 'delete', 'wing-lead')
    expect(unconfirmed.code).toBe(2)
    const deleted = await lead('rank', 'delete', 'wing-lead', '--yes')
    expect(deleted.code, deleted.stderr).toBe(0)
    const unknown = await lead('rank', 'delete', 'wing-lead', '--yes')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/No rank wing-lead; ranks: Leader, Officer, Member, Recruit/)
  })

  it('a rank by the start of its name; an unknown one says which there are', async () => {
    const r = await lead('rank', 'assign', 'Mem_B', 'le')
    expect(r.code).toBe(3) // Leader is at the leader's own level: the rules refuse it
    const none = await lead('rank', 'assign', 'Mem_B', 'zz')
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('No rank zz')
  })
})
