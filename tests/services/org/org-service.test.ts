import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../crdt/index.ts'
import { admitVia, sync, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })

describe('org service', () => {
  it('creates an org with the default ranks and its founder as Leader', async () => {
    const leader = await replica()
    const org = await leader.org.createOrg({ name: 'Test Squadron', tag: 'TEST', handle: 'Founder_1' })
    expect(org).toMatchObject({
      name: 'Test Squadron',
      tag: 'TEST',
      owner: leader.signer.memberKey,
      memberCount: 1,
    })
    const ranks = await leader.org.ranks(org.id)
    expect(ranks.map((r) => [r.id, r.level])).toEqual([
      ['leader', 100],
      ['officer', 50],
      ['member', 10],
      ['recruit', 1],
    ])
    const members = await leader.org.members(org.id)
    expect(members).toEqual([
      expect.objectContaining({ memberKey: leader.signer.memberKey, rank: 'leader', handle: 'Founder_1' }),
    ])
  })

  it('refuses bad input naming the field, and changes nothing', async () => {
    const leader = await replica()
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'ab', tag: 'TEST', handle: 'abc' }, 'name'],
      [{ name: 'Valid Name', tag: 'test', handle: 'abc' }, 'tag'],
      [{ name: 'Valid Name', tag: 'TOOLONG', handle: 'abc' }, 'tag'],
      [{ name: 'Valid Name', tag: 'OK', handle: 'a b' }, 'handle'],
    ]
    for (const [input, field] of cases) {
      await expect(leader.org.createOrg(input as never)).rejects.toMatchObject({
        name: 'InvalidInputError',
        field,
      })
    }
    expect(await leader.org.listOrgs()).toEqual([])
    expect(await leader.store.chains.scopes()).toEqual([])
  })

  it('refuses a second org with the same name on one node', async () => {
    const leader = await replica()
    await leader.org.createOrg({ name: 'Alpha Wing', tag: 'AW', handle: 'lead' })
    await expect(
      leader.org.createOrg({ name: 'alpha wing', tag: 'AW2', handle: 'lead' }),
    ).rejects.toMatchObject({
      field: 'name',
    })
  })

  it('an invited member is admitted by a member, and both replicas converge', async () => {
    const leader = await replica()
    const recruit = await replica()
    const org = await leader.org.createOrg({ name: 'Night Owls', tag: 'OWL', handle: 'Owl_Lead' })
    const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
    expect(await admitVia(leader, recruit, token, 'Owl_Two')).toEqual({ ok: true })
    expect((await recruit.org.getOrg(org.id)).memberCount).toBe(2)
    const result = await sync(recruit, leader)
    expect(result.rejected).toEqual([])
    const a = await leader.org.members(org.id)
    const b = await recruit.org.members(org.id)
    expect(a).toEqual(b)
    expect(a.map((m) => m.handle).sort()).toEqual(['Owl_Lead', 'Owl_Two'])
    const docA = await leader.org.roster(org.id)
    const docB = await recruit.org.roster(org.id)
    expect(A.getHeads(docA).sort()).toEqual(A.getHeads(docB).sort())
  })

  it('refuses an invite lifetime that is not a positive number of hours, naming the field', async () => {
    const leader = await replica()
    const org = await leader.org.createOrg({ name: 'Hours Org', tag: 'HRS', handle: 'Hours_1' })
    for (const expiresInHours of [null, 0, -1, 'abc', 24 * 365 + 1]) {
      await expect(
        leader.invites.createInvite(org.id, { rank: 'member', expiresInHours }),
      ).rejects.toMatchObject({
        name: 'InvalidInputError',
        field: 'expiresInHours',
      })
    }
    expect(await leader.invites.listInvites(org.id)).toEqual([])
  })

  it('lists invites with their state: open, used, revoked, expired', async () => {
    const clock = new ManualClock(Date.now())
    const leader = await replica({ clock })
    const joiner = await replica()
    const org = await leader.org.createOrg({ name: 'Invite Org', tag: 'INV', handle: 'Inviter_1' })
    const used = await leader.invites.createInvite(org.id, { rank: 'member' })
    const revoked = await leader.invites.createInvite(org.id, { rank: 'recruit' })
    const expired = await leader.invites.createInvite(org.id, { rank: 'member', expiresInHours: 1 })
    const open = await leader.invites.createInvite(org.id, { rank: 'officer', expiresInHours: 24 })
    await leader.invites.revokeInvite(org.id, revoked.invite.id)
    expect((await admitVia(leader, joiner, used.token, 'Joiner_1')).ok).toBe(true)
    clock.set(clock.now() + 2 * 3_600_000) // the one-hour invite has expired, the others not
    const list = await leader.invites.listInvites(org.id)
    const status = Object.fromEntries(list.map((i) => [i.id, i.status]))
    expect(status).toEqual({
      [used.invite.id]: 'used',
      [revoked.invite.id]: 'revoked',
      [expired.invite.id]: 'expired',
      [open.invite.id]: 'open',
    })
    expect(list.find((i) => i.id === used.invite.id)?.usedBy).toBe(joiner.signer.memberKey)
    // A Member (no members:invite) may not list them.
    await expect(joiner.invites.listInvites(org.id)).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      code: 'permission-denied',
      kind: 'forbidden',
      permission: 'members:invite or members:manage',
      rank: 'Member',
    })
  })
})
