/**
 * `/orgs/{org}/ranks` on real nodes: list, create, update, delete, under the license
 * gates (custom ranks need Pro, new permission sets RBAC: 403 feature-locked), refused
 * without ranks:manage (403 naming it and the rank), on a bad level (400 naming `level`),
 * for an unknown rank (404) and while members hold the rank (409 naming it).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { RankView } from '../../../node/index.ts'
import {
  foundOrg,
  joinOrg,
  keyOf,
  license,
  type RosterOrg,
  trustingTestIssuer,
} from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'

const nodes = useNodes('file')
let o: RosterOrg
let member: TestNode
let mem: string

beforeAll(async () => {
  o = await foundOrg(nodes, 'Ranks Org', await trustingTestIssuer())
  member = await joinOrg(nodes, o, 'member', 'Mem_B')
  mem = await keyOf(member)
}, 120_000)

async function refused(call: Promise<unknown>) {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err, 'the call was expected to be refused').not.toBeNull()
  return err as { status: number; code: string; field?: string; details: Record<string, string | number> }
}

const MEMBER_SET = ['members:view', 'ranks:view', 'fleet:view', 'ops:view', 'treasury:view', 'audit:view']
const pilot = { id: 'pilot', name: 'Pilot', level: 20, permissions: MEMBER_SET }

describe('ranks API', () => {
  it('lists the default ranks, highest first', async () => {
    const ranks = await o.leader.api<RankView[]>('GET', `${o.path}/ranks`)
    expect(ranks.map((r) => [r.id, r.level])).toEqual([
      ['leader', 100],
      ['officer', 50],
      ['member', 10],
      ['recruit', 1],
    ])
    expect(await member.api<RankView[]>('GET', `${o.path}/ranks`)).toEqual(ranks)
  })

  it('a custom rank needs a Pro license (403 feature-locked); nothing is created', async () => {
    const locked = await refused(o.leader.api('POST', `${o.path}/ranks`, pilot))
    expect(locked).toMatchObject({
      status: 403,
      code: 'feature-locked',
      details: { feature: 'custom-ranks' },
    })
    expect((await o.leader.api<RankView[]>('GET', `${o.path}/ranks`)).map((r) => r.id)).not.toContain('pilot')
  })

  it('with Pro: creates, updates and deletes ranks; refusals name the field, the permission or the rank', async () => {
    await license(o, 'pro')
    const denied = await refused(member.api('POST', `${o.path}/ranks`, pilot))
    expect(denied).toMatchObject({ status: 403, code: 'permission-denied' })
    expect(denied.details).toEqual({ permission: 'ranks:manage', rank: 'Member' })
    for (const level of [0, 2.5, 'high', 100, 150])
      expect(
        await refused(o.leader.api('POST', `${o.path}/ranks`, { ...pilot, level })),
        `level ${level}`,
      ).toMatchObject({ status: 400, field: 'level' })
    expect(await refused(o.leader.api('POST', `${o.path}/ranks`, { ...pilot, id: 'Pilot!' }))).toMatchObject({
      status: 400,
      field: 'id',
    })
    expect(
      await refused(o.leader.api('POST', `${o.path}/ranks`, { ...pilot, permissions: ['fleet:fly'] })),
    ).toMatchObject({ status: 400, field: 'permissions.0' })
    // A permission set of its own is RBAC: Enterprise.
    expect(
      await refused(o.leader.api('POST', `${o.path}/ranks`, { ...pilot, permissions: ['fleet:*'] })),
    ).toMatchObject({ status: 403, code: 'feature-locked', details: { feature: 'rbac' } })

    const created = await o.leader.api<RankView>('POST', `${o.path}/ranks`, pilot)
    expect(created).toMatchObject({ id: 'pilot', name: 'Pilot', level: 20 })
    expect(await refused(o.leader.api('POST', `${o.path}/ranks`, pilot))).toMatchObject({
      status: 409,
      code: 'rank-exists',
    })
    const renamed = await o.leader.api<RankView>('PATCH', `${o.path}/ranks/pilot`, {
      name: 'Ace Pilot',
      level: 25,
    })
    expect(renamed).toMatchObject({ id: 'pilot', name: 'Ace Pilot', level: 25 })
    expect(renamed.permissions.sort()).toEqual([...MEMBER_SET].sort())
    expect(await refused(o.leader.api('PATCH', `${o.path}/ranks/pilot`, { level: -1 }))).toMatchObject({
      status: 400,
      field: 'level',
    })
    expect(await refused(o.leader.api('PATCH', `${o.path}/ranks/admiral`, { level: 5 }))).toMatchObject({
      status: 404,
      code: 'rank-not-found',
    })

    // Held: 409 naming the rank; free again: deleted.
    await o.leader.api('PUT', `${o.path}/members/${mem}/rank`, { rank: 'pilot' })
    const held = await refused(o.leader.api('DELETE', `${o.path}/ranks/pilot`))
    expect(held).toMatchObject({ status: 409, code: 'rank-in-use', details: { rank: 'pilot', holders: 1 } })
    expect(await refused(member.api('DELETE', `${o.path}/ranks/pilot`))).toMatchObject({
      status: 403,
      details: { permission: 'ranks:manage' },
    })
    await o.leader.api('PUT', `${o.path}/members/${mem}/rank`, { rank: 'member' })
    expect(await o.leader.api('DELETE', `${o.path}/ranks/pilot`)).toMatchObject({ id: 'pilot' })
    expect((await o.leader.api<RankView[]>('GET', `${o.path}/ranks`)).map((r) => r.id)).not.toContain('pilot')
    expect(await refused(o.leader.api('DELETE', `${o.path}/ranks/pilot`))).toMatchObject({
      status: 404,
      code: 'rank-not-found',
    })
  })
})
