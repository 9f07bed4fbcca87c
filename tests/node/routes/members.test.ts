/**
 * `/orgs/{org}/members` and `/orgs/{org}/flagged` on real nodes: the list a page at a
 * time with ship counts, one member, handle and notes, rank assignment and kicks, each
 * refused where the caller's rank lacks the permission (403 naming it and the rank), on
 * bad input (400 naming the field) and for an unknown member (404).
 */
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { MemberListItem } from '../../../node/index.ts'
import { foundOrg, joinOrg, keyOf, type RosterOrg } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes('file')
let o: RosterOrg
let member: TestNode
let recruit: TestNode
let lead: string
let mem: string
let rec: string

interface Page<T> {
  items: T[]
  next: string | null
  total: number
}

beforeAll(async () => {
  o = await foundOrg(nodes, 'Members Org')
  member = await joinOrg(nodes, o, 'member', 'Mem_B')
  recruit = await joinOrg(nodes, o, 'recruit', 'Rec_C')
  ;[lead, mem, rec] = await Promise.all([keyOf(o.leader), keyOf(member), keyOf(recruit)])
  await o.leader.api('POST', `${o.path}/ships`, { model: 'Carrack', manufacturer: 'Anvil' })
  await o.leader.api('POST', `${o.path}/ships`, { model: 'Cutlass Black', manufacturer: 'Drake' })
  await member.api('POST', `${o.path}/ships`, { model: 'Prospector', manufacturer: 'MISC' })
  await member.api('POST', `${o.path}/ships`, {
    model: 'Aurora',
    manufacturer: 'RSI',
    visibility: 'private',
  })
  await waitFor("Mem_B's ship on the leader's node", async () =>
    (await o.leader.api<{ items: { owner: string }[] }>('GET', `${o.path}/ships`)).items.some(
      (s) => s.owner === mem,
    ),
  )
}, 120_000)

/** The error a call answers with (it must fail). */
async function refused(call: Promise<unknown>) {
  const err = await call.then(
    () => null,
    (e: unknown) => e as Record<string, unknown>,
  )
  expect(err, 'the call was expected to be refused').not.toBeNull()
  return err as {
    status: number
    code: string
    field?: string
    message: string
    details: Record<string, string | number>
  }
}

describe('members API', () => {
  it('lists members a page at a time, sorted, each with the ships the caller may see', async () => {
    const all = await o.leader.api<Page<MemberListItem>>('GET', `${o.path}/members`)
    expect(all.total).toBe(3)
    expect(all.items.map((m) => m.handle)).toEqual(['Lead_A', 'Mem_B', 'Rec_C'])
    const by = new Map<string, MemberListItem>(all.items.map((m) => [m.memberKey, m]))
    expect(by.get(lead)).toMatchObject({ rank: 'leader', rankName: 'Leader', level: 100, ships: 2 })
    // The private Aurora is its owner's alone: the leader sees one of Mem_B's two ships.
    expect(by.get(mem)?.ships).toBe(1)
    expect(by.get(rec)?.ships).toBe(0)
    expect(by.get(rec)?.joinedAt).toBeGreaterThan(0)

    const first = await o.leader.api<Page<MemberListItem>>('GET', `${o.path}/members?limit=2&sort=rank`)
    expect(first.items.map((m) => m.rank)).toEqual(['leader', 'member'])
    expect(first.next).not.toBeNull()
    const second = await o.leader.api<Page<MemberListItem>>(
      'GET',
      `${o.path}/members?limit=2&sort=rank&cursor=${first.next}`,
    )
    expect(second).toMatchObject({ next: null, total: 3 })
    expect(second.items.map((m) => m.rank)).toEqual(['recruit'])
    const byShips = await o.leader.api<Page<MemberListItem>>('GET', `${o.path}/members?sort=ships`)
    expect(byShips.items.map((m) => m.ships)).toEqual([2, 1, 0])
    // A search: handles containing it (any case), or keys starting with it; paged the same.
    const search = async (q: string) =>
      (
        await o.leader.api<Page<MemberListItem>>('GET', `${o.path}/members?q=${encodeURIComponent(q)}`)
      ).items.map((m) => m.handle)
    expect(await search('_b')).toEqual(['Mem_B'])
    expect(await search('E')).toEqual(['Lead_A', 'Mem_B', 'Rec_C'])
    expect(await search(rec.slice(0, 10))).toEqual(['Rec_C'])
    expect(await search('nobody')).toEqual([])
    expect(await refused(o.leader.api('GET', `${o.path}/members?q=${'x'.repeat(65)}`))).toMatchObject({
      status: 400,
      field: 'q',
    })
    // Its owner sees the private one too.
    const own = await member.api<MemberListItem>('GET', `${o.path}/members/${mem}`)
    expect(own.ships).toBe(2)

    expect(await refused(o.leader.api('GET', `${o.path}/members?limit=0`))).toMatchObject({
      status: 400,
      field: 'limit',
    })
    expect(await refused(o.leader.api('GET', `${o.path}/members?sort=age`))).toMatchObject({
      status: 400,
      field: 'sort',
    })
    expect(await refused(o.leader.api('GET', `${o.path}/members?cursor=nope`))).toMatchObject({
      status: 400,
      field: 'cursor',
    })
  })

  it('tells each member what they are and may do (/me)', async () => {
    const leader = await o.leader.api<Record<string, unknown>>('GET', `${o.path}/me`)
    expect(leader).toMatchObject({
      memberKey: lead,
      member: true,
      rank: 'leader',
      rankName: 'Leader',
      level: 100,
    })
    expect(leader.permissions).toEqual(expect.arrayContaining(['members:kick', 'org:delete', 'audit:view']))
    const m = await member.api<{ permissions: string[] }>('GET', `${o.path}/me`)
    expect(m).toMatchObject({ memberKey: mem, rank: 'member', level: 10 })
    expect(m.permissions).toContain('ops:view')
    expect(m.permissions).not.toContain('members:kick')
  })

  it('shows one member; an unknown one is 404, a malformed key 400', async () => {
    const b = await o.leader.api<MemberListItem>('GET', `${o.path}/members/${mem}`)
    expect(b).toMatchObject({ handle: 'Mem_B', rank: 'member', notes: '', ships: 1 })
    const stranger = randomBytes(32).toString('hex')
    expect(await refused(o.leader.api('GET', `${o.path}/members/${stranger}`))).toMatchObject({
      status: 404,
      code: 'not-a-member',
    })
    expect(await refused(o.leader.api('GET', `${o.path}/members/xyz`))).toMatchObject({
      status: 400,
      field: 'member',
    })
    expect(await refused(o.leader.api('GET', `/api/v1/orgs/${'0'.repeat(32)}/members`))).toMatchObject({
      status: 404,
      code: 'org-not-found',
    })
  })

  it('sets handles and notes: your own handle, notes with members:manage only', async () => {
    const renamed = await member.api<MemberListItem>('PATCH', `${o.path}/members/${mem}`, {
      handle: 'Mem_Bee',
    })
    expect(renamed.handle).toBe('Mem_Bee')
    const notes = await refused(member.api('PATCH', `${o.path}/members/${rec}`, { notes: 'slow' }))
    expect(notes).toMatchObject({ status: 403, code: 'permission-denied' })
    expect(notes.details).toEqual({ permission: 'members:manage', rank: 'Member' })
    const other = await refused(member.api('PATCH', `${o.path}/members/${rec}`, { handle: 'Renamed' }))
    expect(other).toMatchObject({ status: 403, details: { permission: 'members:manage', rank: 'Member' } })
    const noted = await o.leader.api<MemberListItem>('PATCH', `${o.path}/members/${rec}`, {
      notes: 'Prefers mining',
      handle: 'Rec_Cee',
    })
    expect(noted).toMatchObject({ notes: 'Prefers mining', handle: 'Rec_Cee' })
    expect(
      await refused(o.leader.api('PATCH', `${o.path}/members/${rec}`, { notes: 'x'.repeat(2001) })),
    ).toMatchObject({ status: 400, field: 'notes' })
    expect(
      await refused(o.leader.api('PATCH', `${o.path}/members/${rec}`, { handle: 'no spaces' })),
    ).toMatchObject({ status: 400, field: 'handle' })
    expect(await refused(o.leader.api('PATCH', `${o.path}/members/${rec}`, {}))).toMatchObject({
      status: 400,
      field: 'member',
    })
    // Nothing of the refused ones was written.
    expect(await o.leader.api('GET', `${o.path}/members/${rec}`)).toMatchObject({
      handle: 'Rec_Cee',
      notes: 'Prefers mining',
    })
  })

  it('assigns ranks with ranks:assign; a recruit cannot read the ranks (ranks:view)', async () => {
    const denied = await refused(member.api('PUT', `${o.path}/members/${rec}/rank`, { rank: 'member' }))
    expect(denied).toMatchObject({ status: 403, details: { permission: 'ranks:assign', rank: 'Member' } })
    expect(
      await refused(o.leader.api('PUT', `${o.path}/members/${rec}/rank`, { rank: 'admiral' })),
    ).toMatchObject({ status: 400, field: 'rank' })
    expect(await refused(o.leader.api('PUT', `${o.path}/members/${rec}/rank`, {}))).toMatchObject({
      status: 400,
      field: 'rank',
    })
    // At or above the leader's own level: the rules refuse it (403).
    expect(
      await refused(o.leader.api('PUT', `${o.path}/members/${rec}/rank`, { rank: 'leader' })),
    ).toMatchObject({ status: 403, code: 'change-refused' })
    const ranks = await refused(recruit.api('GET', `${o.path}/ranks`))
    expect(ranks).toMatchObject({ status: 403, details: { permission: 'ranks:view', rank: 'Recruit' } })
    const promoted = await o.leader.api('PUT', `${o.path}/members/${rec}/rank`, { rank: 'member' })
    expect(promoted).toMatchObject({ memberKey: rec, rank: 'member', rankName: 'Member' })
    await waitFor('the promotion on the recruit node', async () =>
      recruit.api('GET', `${o.path}/ranks`).then(
        () => true,
        () => false,
      ),
    )
  })

  it('kicks with members:kick only; flagged is for officers; a node no longer a member reads nothing (403)', async () => {
    const denied = await refused(member.api('POST', `${o.path}/members/${rec}/kick`))
    expect(denied).toMatchObject({ status: 403, code: 'permission-denied' })
    expect(denied.details).toEqual({ permission: 'members:kick', rank: 'Member' })
    const flaggedDenied = await refused(member.api('GET', `${o.path}/flagged`))
    expect(flaggedDenied).toMatchObject({
      status: 403,
      details: { permission: 'members:kick or members:manage', rank: 'Member' },
    })
    expect(await o.leader.api('GET', `${o.path}/flagged`)).toEqual({ items: [], next: null, total: 0 })
    expect(await refused(o.leader.api('POST', `${o.path}/members/${lead}/kick`))).toMatchObject({
      status: 400,
      field: 'member',
    })

    const kicked = await o.leader.api<MemberListItem>('POST', `${o.path}/members/${rec}/kick`)
    expect(kicked).toMatchObject({ memberKey: rec, handle: 'Rec_Cee' })
    const after = await o.leader.api<Page<MemberListItem>>('GET', `${o.path}/members`)
    expect(after.items.map((m) => m.memberKey)).toEqual([lead, mem])
    expect(await refused(o.leader.api('POST', `${o.path}/members/${rec}/kick`))).toMatchObject({
      status: 404,
      code: 'not-a-member',
    })
    // A node that is no member reads nothing: 403, with no rank to name. Its node hears
    // of the kick, or (member nodes do not serve a removed member) it leaves.
    await waitFor('the kicked node no longer a member', async () => {
      const read = await recruit.api('GET', `${o.path}/members`).then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      )
      if (read === 'permission-denied') return true
      await recruit.api('POST', `${o.path}/leave`).catch(() => {})
      return false
    })
    const outside = await refused(recruit.api('GET', `${o.path}/members`))
    expect(outside).toMatchObject({ status: 403, code: 'permission-denied' })
    expect(outside.details).toEqual({ permission: 'members:view' })
  })
})
