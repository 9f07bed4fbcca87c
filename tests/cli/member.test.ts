/**
 * `verseguy member …` against running nodes (in process, through their API): the list as
 * a table and as JSON, pages, members by handle or key prefix (and what an ambiguous or
 * unknown one says), notes, handles, kicks that ask for --yes, and exit codes: 0 ok,
 * 1 refused, 2 usage, 3 permission denied.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { MemberListItem } from '../../node/index.ts'
import { hintedCommand, runMain } from '../helpers/cli.ts'
import { foundOrg, joinOrg, keyOf, type RosterOrg } from '../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const nodes = useNodes('file')
let o: RosterOrg
let member: TestNode
let mem: string
let rec: string

beforeAll(async () => {
  o = await foundOrg(nodes, 'Member CLI Org')
  member = await joinOrg(nodes, o, 'member', 'Mem_B')
  const recruit = await joinOrg(nodes, o, 'recruit', 'Rec_C')
  ;[mem, rec] = await Promise.all([keyOf(member), keyOf(recruit)])
  await member.api('POST', `${o.path}/ships`, { model: 'Prospector', manufacturer: 'MISC' })
  await waitFor("Mem_B's ship on the leader's node", async () =>
    (await o.leader.api<{ items: { owner: string }[] }>('GET', `${o.path}/ships`)).items.some(
      (s) => s.owner === mem,
    ),
  )
}, 120_000)

const lead = (...args: string[]) => runMain(['-d', o.leader.dir, ...args])
const asMember = (...args: string[]) => runMain(['-d', member.dir, ...args])

describe('verseguy member', () => {
  it('lists members as a table and as JSON, a page at a time or all', async () => {
    const table = await lead('member', 'list')
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/handle.*rank.*joined.*ships.*key/)
    expect(table.stdout).toMatch(/Mem_B.*Member.*UTC.*1.*/)
    const page = await lead('member', 'list', '--limit', '2', '--sort', 'rank', '--json')
    const first = JSON.parse(page.stdout) as { items: MemberListItem[]; next: string; total: number }
    expect(first.items.map((m) => m.handle)).toEqual(['Lead_A', 'Mem_B'])
    expect(first.total).toBe(3)
    const next = await lead(
      'member',
      'list',
      '--limit',
      '2',
      '--sort',
      'rank',
      '--cursor',
      first.next,
      '--json',
    )
    expect((JSON.parse(next.stdout) as { items: MemberListItem[] }).items.map((m) => m.handle)).toEqual([
      'Rec_C',
    ])
    const paged = await lead('member', 'list', '--limit', '1')
    const again = hintedCommand(paged.stdout, '1 of 3; next page: ')
    expect(again.slice(0, -1)).toEqual(['-d', o.leader.dir, 'member', 'list', '--limit', '1', '--cursor'])
    const second = await runMain(again)
    expect(second.code, second.stderr).toBe(0)
    expect(hintedCommand(second.stdout, '1 of 3; next page: ').at(-1)).not.toBe(again.at(-1))
    const all = await lead('member', 'list', '--all', '--json')
    expect((JSON.parse(all.stdout) as MemberListItem[]).map((m) => m.ships)).toEqual([0, 1, 0])
    for (const bad of [
      ['--limit', '0'],
      ['--limit', '501'],
      ['--sort', 'age'],
    ]) {
      const r = await lead('member', 'list', ...bad)
      expect(r.code, bad.join(' ')).toBe(2)
      expect(r.stderr).toContain(bad[0])
    }
  })

  it('finds members by handle or key prefix; says which when ambiguous, and when unknown', async () => {
    const byHandle = await lead('member', 'show', 'mem_b', '--json')
    expect(byHandle.code, byHandle.stderr).toBe(0)
    expect(JSON.parse(byHandle.stdout)).toMatchObject({ memberKey: mem, handle: 'Mem_B', ships: 1 })
    const byKey = await lead('member', 'show', mem.slice(0, 10))
    expect(byKey.stdout).toContain(`key      ${mem}`)
    expect(byKey.stdout).toMatch(/rank +Member \(member, level 10\)/)
    // Two handles starting with Mem: which is meant is not guessed.
    expect((await lead('member', 'handle', 'Mem_A')).code).toBe(0)
    const ambiguous = await lead('member', 'show', 'Mem')
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toMatch(
      /Mem fits 2 members \((Mem_A|Mem_B) \w{12}, (Mem_A|Mem_B) \w{12}\): give more of it/,
    )
    expect((await lead('member', 'handle', 'Lead_A')).code).toBe(0)
    const unknown = await lead('member', 'show', 'Nobody_X')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('No member Nobody_X.')
  })

  it('sets notes and handles; refusals exit 3 naming the permission and the rank', async () => {
    const noted = await lead('member', 'note', 'Rec_C', 'Prefers mining')
    expect(noted.code, noted.stderr).toBe(0)
    expect(noted.stdout).toContain('Notes on Rec_C saved.')
    const denied = await asMember('member', 'note', 'Rec_C', 'slow')
    expect(denied.code).toBe(3)
    expect(denied.stderr).toMatch(/needs members:manage, which your rank Member does not have/)
    const own = await asMember('member', 'handle', 'Mem_Bee')
    expect(own.code, own.stderr).toBe(0)
    expect(own.stdout).toContain('Handle set: Mem_Bee')
    const bad = await lead('member', 'handle', 'no spaces', '--member', 'Rec_C')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^error: handle: /)
    const shown = JSON.parse((await lead('member', 'show', rec, '--json')).stdout)
    expect(shown).toMatchObject({ handle: 'Rec_C', notes: 'Prefers mining' })
  })

  it('kicks only with --yes and members:kick', async () => {
    const unconfirmed = await lead('member', 'kick', 'Rec_C')
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain('--yes')
    const denied = await asMember('member', 'kick', 'Rec_C', '--yes')
    expect(denied.code).toBe(3)
    expect(denied.stderr).toMatch(/needs members:kick, which your rank Member does not have/)
    const kicked = await lead('member', 'kick', 'Rec_C', '--yes')
    expect(kicked.code, kicked.stderr).toBe(0)
    expect(kicked.stdout).toMatch(/Removed Rec_C .*member flagged/)
    const list = JSON.parse((await lead('member', 'list', '--all', '--json')).stdout) as MemberListItem[]
    expect(list.map((m) => m.handle)).toEqual(['Lead_A', 'Mem_Bee'])
    const flagged = await lead('member', 'flagged')
    expect(flagged.code, flagged.stderr).toBe(0)
    expect(flagged.stdout).toContain('Nothing flagged')
  })
})
