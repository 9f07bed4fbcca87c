/**
 * `/orgs/{org}/invites` on real nodes: create, list with state (a page at a time),
 * revoke; a revoked invite admits nobody. Refused without members:invite (403 naming it
 * and the rank), for a malformed id (400) and an unknown one (404).
 */
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { InviteView } from '../../../node/index.ts'
import { foundOrg, joinOrg, keyOf, type RosterOrg } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'

const nodes = useNodes('file')
let o: RosterOrg
let member: TestNode

interface Page<T> {
  items: T[]
  next: string | null
  total: number
}

beforeAll(async () => {
  o = await foundOrg(nodes, 'Invites Org')
  member = await joinOrg(nodes, o, 'member', 'Mem_B')
}, 120_000)

async function refused(call: Promise<unknown>) {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err, 'the call was expected to be refused').not.toBeNull()
  return err as { status: number; code: string; field?: string; details: Record<string, string | number> }
}

const create = (rank: string) =>
  o.leader.api<{ token: string; invite: { id: string } }>('POST', `${o.path}/invites`, { rank })

describe('invites API', () => {
  it('lists invites with their state, newest first, a page at a time', async () => {
    const open = await create('recruit')
    const list = await o.leader.api<Page<InviteView>>('GET', `${o.path}/invites`)
    expect(list.total).toBe(2)
    expect(list.items.map((i) => i.status)).toEqual(['open', 'used'])
    expect(list.items[0]).toMatchObject({ id: open.invite.id, rank: 'recruit', usedBy: null })
    expect(list.items[1]?.usedBy).toBe(await keyOf(member))
    const first = await o.leader.api<Page<InviteView>>('GET', `${o.path}/invites?limit=1`)
    expect(first.items.map((i) => i.id)).toEqual([open.invite.id])
    const second = await o.leader.api<Page<InviteView>>(
      'GET',
      `${o.path}/invites?limit=1&cursor=${first.next}`,
    )
    expect(second).toMatchObject({ next: null, total: 2 })
    expect(second.items[0]?.status).toBe('used')
  })

  it('a Member can neither invite nor list invites (403 naming the permission and rank)', async () => {
    const list = await refused(member.api('GET', `${o.path}/invites`))
    expect(list).toMatchObject({ status: 403, code: 'permission-denied' })
    expect(list.details).toEqual({ permission: 'members:invite or members:manage', rank: 'Member' })
    expect(await refused(member.api('POST', `${o.path}/invites`, { rank: 'recruit' }))).toMatchObject({
      status: 403,
      details: { permission: 'members:invite', rank: 'Member' },
    })
    expect(await refused(o.leader.api('POST', `${o.path}/invites`, { rank: 'leader' }))).toMatchObject({
      status: 400,
      field: 'rank',
    })
  })

  it('revokes an open invite: nobody is admitted with it; unknown and malformed ids are refused', async () => {
    const { token, invite } = await create('member')
    expect(await refused(member.api('DELETE', `${o.path}/invites/${invite.id}`))).toMatchObject({
      status: 403,
      details: { permission: 'members:invite', rank: 'Member' },
    })
    const revoked = await o.leader.api<InviteView>('DELETE', `${o.path}/invites/${invite.id}`)
    expect(revoked).toMatchObject({ id: invite.id, status: 'revoked' })
    // Again: nothing more to do.
    expect(await o.leader.api('DELETE', `${o.path}/invites/${invite.id}`)).toMatchObject({
      status: 'revoked',
    })
    expect(await refused(o.leader.api('DELETE', `${o.path}/invites/zz`))).toMatchObject({
      status: 400,
      field: 'invite',
    })
    expect(
      await refused(o.leader.api('DELETE', `${o.path}/invites/${randomBytes(16).toString('hex')}`)),
    ).toMatchObject({ status: 404, code: 'invite-not-found' })
    // A used invite is not revoked (that would be a kick).
    const used = (await o.leader.api<Page<InviteView>>('GET', `${o.path}/invites`)).items.find(
      (i) => i.status === 'used',
    ) as InviteView
    expect(await refused(o.leader.api('DELETE', `${o.path}/invites/${used.id}`))).toMatchObject({
      status: 403,
      code: 'change-refused',
    })

    const newcomer = await nodes.start('newcomer')
    const accept = await refused(newcomer.api('POST', '/api/v1/invites/accept', { token, handle: 'New_D' }))
    expect(accept).toMatchObject({ status: 409, code: 'invite-refused' })
    expect((await o.leader.api<{ memberCount: number }>('GET', o.path)).memberCount).toBe(2)
  })
})
