/**
 * Joining by admission: a member's node judges the invite on its own roster and clock;
 * every node accepts a new member record only from a valid admission, whatever the
 * newcomer's clock or view of the roster says.
 */
import * as A from '@automerge/automerge'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, type MemberKey } from '../../../crdt/index.ts'
import { ADMIT_ACTION } from '../../../services/org/admission-rules.ts'
import { signInvite } from '../../../services/org/invite.ts'
import { joinRequestText } from '../../../services/org/join-request.ts'
import { memberField, type OrgSummary, rosterId } from '../../../services/org/roster-access.ts'
import { type RosterDoc, str } from '../../../services/org/roster-schema.ts'
import {
  admitVia,
  enlist as joinOrg,
  licenseOrg,
  type Replica,
  sync,
  useReplicas,
} from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })

let leader: Replica
/** The leader's clock: what its node judges invites by. */
let clock: ManualClock
let org: OrgSummary
const HOUR = 3_600_000

const enlist = (who: Replica, rank: string, handle: string) => joinOrg(leader, org.id, who, rank, handle)
const keys = async (r: Replica) => (await r.org.members(org.id)).map((m) => m.memberKey).sort()
const reasons = (result: { rejected: readonly { reason: string }[] }) => result.rejected.map((r) => r.reason)

beforeEach(async () => {
  clock = new ManualClock(Date.now())
  leader = await replica({ clock })
  org = await leader.org.createOrg({ name: 'Gate Org', tag: 'GATE', handle: 'Leader_1' })
  await licenseOrg(leader, org.id, 'enterprise')
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** Writes an admission change as modified software would: no checks of its own. */
async function writeAdmission(
  by: Replica,
  a: { request: string; newcomer: MemberKey; resourceKey?: MemberKey; rank: string; inviteId: string },
): Promise<void> {
  const k = a.newcomer
  await by.store.change<RosterDoc>(
    rosterId(org.id),
    {
      action: ADMIT_ACTION,
      resource: `member:${org.id}/${a.resourceKey ?? k}`,
      details: { request: a.request },
    },
    (d) => {
      memberField(d, 'mRank', k)[k] = str(a.rank)
      memberField(d, 'mHandle', k)[k] = str('Forged_1')
      memberField(d, 'mJoined', k)[k] = Date.now()
      memberField(d, 'mInvite', k)[k] = str(a.inviteId)
      d.invitesUsed[a.inviteId] = str(k)
    },
  )
}

describe('admission by a member', () => {
  it('a revoked invite admits nobody, and stays revoked', async () => {
    const newcomer = await replica()
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member' })
    await leader.invites.revokeInvite(org.id, invite.id)
    expect(await admitVia(leader, newcomer, token, 'Late_1')).toEqual({
      ok: false,
      code: 'revoked',
      reason: 'this invite was revoked',
    })
    expect(await newcomer.org.listOrgs()).toEqual([])
    expect(await newcomer.store.chains.scopes()).toEqual([])
    const listed = await leader.invites.listInvites(org.id)
    expect(listed.find((i) => i.id === invite.id)?.status).toBe('revoked')
    expect(await keys(leader)).toEqual([leader.signer.memberKey])
  })

  it("an expired invite admits nobody, however far back the newcomer's clock is set", async () => {
    // The newcomer's clock stays where the invite was made: its request carries that time.
    const newcomer = await replica({ clock: new ManualClock(clock.now()) })
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member', expiresInHours: 1 })
    clock.set(clock.now() + 2 * HOUR)
    const { request } = newcomer.invites.joinRequest(token, 'Late_1')
    const answer = await leader.invites.admit(request, { member: newcomer.signer.memberKey, org: org.id })
    expect(answer).toEqual({
      ok: false,
      code: 'expired',
      reason: `this invite expired on ${new Date(invite.expiresAt).toISOString()}`,
    })
    expect(await keys(leader)).toEqual([leader.signer.memberKey])
  })

  it('a member who is not the inviter (and cannot invite) admits a newcomer; every node takes it', async () => {
    const member = await replica()
    const witness = await replica()
    await enlist(member, 'member', 'Member_1')
    await enlist(witness, 'member', 'Witness_1')
    const { token } = await leader.invites.createInvite(org.id, { rank: 'recruit' })
    // The inviter goes offline; the member admits, knowing only what it held before.
    await sync(leader, member)
    const newcomer = await replica()
    expect(await admitVia(member, newcomer, token, 'New_1')).toEqual({ ok: true })
    expect(reasons(await sync(member, leader))).toEqual([])
    expect(reasons(await sync(member, witness))).toEqual([])
    const me = newcomer.signer.memberKey
    for (const r of [leader, member, witness, newcomer]) {
      const m = await r.org.member(org.id, me)
      expect(m).toMatchObject({ handle: 'New_1', rank: 'recruit' })
    }
    // The newcomer is a member everywhere: it can write, and its writes are taken.
    await newcomer.org.setHandle(org.id, me, 'New_Two')
    expect(reasons(await sync(newcomer, leader))).toEqual([])
    expect((await leader.org.member(org.id, me)).handle).toBe('New_Two')
  })

  it('a used invite is refused plainly, and a retried request from the admitted member is answered ok', async () => {
    const first = await replica()
    const second = await replica()
    const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
    const req = first.invites.joinRequest(token, 'First_1').request
    expect(await leader.invites.admit(req, { member: first.signer.memberKey, org: org.id })).toEqual({
      ok: true,
    })
    expect(await leader.invites.admit(req, { member: first.signer.memberKey, org: org.id })).toEqual({
      ok: true,
    })
    expect(await admitVia(leader, second, token, 'Second_1')).toMatchObject({
      ok: false,
      code: 'used',
      reason: 'this invite was already used',
    })
    expect((await keys(leader)).length).toBe(2)
  })

  it('refuses a request asked for by another key, or for another org, or on a node that is not in the org', async () => {
    const newcomer = await replica()
    const stranger = await replica()
    const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
    const { request } = newcomer.invites.joinRequest(token, 'New_1')
    expect(
      await leader.invites.admit(request, { member: stranger.signer.memberKey, org: org.id }),
    ).toMatchObject({ ok: false, code: 'bad-request' })
    expect(
      await leader.invites.admit(request, { member: newcomer.signer.memberKey, org: 'ab'.repeat(16) }),
    ).toMatchObject({ ok: false, code: 'bad-request' })
    expect(
      await stranger.invites.admit(request, { member: newcomer.signer.memberKey, org: org.id }),
    ).toMatchObject({ ok: false, code: 'not-member' })
    const tampered = new Uint8Array(request)
    tampered[3] = (tampered[3] as number) ^ 1
    expect(await leader.invites.admit(tampered)).toMatchObject({
      ok: false,
      code: 'bad-request',
      reason: "the join request's signature does not verify",
    })
    expect((await keys(leader)).length).toBe(1)
  })

  it('a used invite cannot be revoked (that would be a kick)', async () => {
    const newcomer = await replica()
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member' })
    expect((await admitVia(leader, newcomer, token, 'New_1')).ok).toBe(true)
    await expect(leader.invites.revokeInvite(org.id, invite.id)).rejects.toMatchObject({
      name: 'ChangeRefusedError',
      reason: 'that invite was already used',
    })
  })
})

describe('races, settled the same on every node', () => {
  it('two newcomers with one single-use invite, admitted by two members at once: exactly one joins, everywhere', async () => {
    const officer = await replica()
    const member = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    await enlist(member, 'member', 'Member_1')
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'recruit' })
    await sync(leader, officer)
    await sync(leader, member)
    const n1 = await replica()
    const n2 = await replica()
    expect(await admitVia(officer, n1, token, 'Racer_1')).toEqual({ ok: true })
    expect(await admitVia(member, n2, token, 'Racer_2')).toEqual({ ok: true })
    // Both admissions were valid where they were made: every node takes both changes.
    expect(reasons(await sync(officer, leader))).toEqual([])
    expect(reasons(await sync(member, leader))).toEqual([])
    for (const r of [officer, member, n1, n2]) expect(reasons(await sync(leader, r))).toEqual([])
    const everywhere = await Promise.all([leader, officer, member, n1, n2].map(keys))
    for (const k of everywhere) expect(k).toEqual(everywhere[0])
    const racers = [n1.signer.memberKey, n2.signer.memberKey]
    const joined = (everywhere[0] as string[]).filter((k) => racers.includes(k as MemberKey))
    expect(joined.length).toBe(1)
    const used = (await leader.invites.listInvites(org.id)).find((i) => i.id === invite.id)
    expect(used?.usedBy).toBe(joined[0])
    expect((await leader.org.getOrg(org.id)).memberCount).toBe(4)
    // The loser is not a member anywhere, its own node included: its writes are refused.
    const loser = joined[0] === n1.signer.memberKey ? n2 : n1
    const state = await loser.org.currentState(org.id)
    expect(state.isMember(loser.signer.memberKey)).toBe(false)
    const docs = await Promise.all([leader, officer, member, n1, n2].map((r) => r.org.roster(org.id)))
    for (const d of docs) expect(A.getHeads(d).sort()).toEqual(A.getHeads(docs[0] as A.Doc<RosterDoc>).sort())
    // With an invite of its own, the loser is admitted after all.
    const again = await leader.invites.createInvite(org.id, { rank: 'recruit' })
    expect(await admitVia(leader, loser, again.token, 'Racer_Again')).toEqual({ ok: true })
    for (const r of [officer, member]) expect(reasons(await sync(leader, r))).toEqual([])
    for (const r of [leader, officer, member, loser])
      expect((await r.org.member(org.id, loser.signer.memberKey)).handle).toBe('Racer_Again')
  })

  it('a revocation concurrent with an admission wins on every node', async () => {
    const member = await replica()
    await enlist(member, 'member', 'Member_1')
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'recruit' })
    await sync(leader, member)
    const newcomer = await replica()
    expect(await admitVia(member, newcomer, token, 'New_1')).toEqual({ ok: true })
    await leader.invites.revokeInvite(org.id, invite.id) // the leader has not seen the admission
    expect(reasons(await sync(member, leader))).toEqual([])
    for (const r of [member, newcomer]) await sync(leader, r)
    for (const r of [leader, member, newcomer]) {
      expect(await keys(r)).not.toContain(newcomer.signer.memberKey)
      expect((await r.org.currentState(org.id)).isMember(newcomer.signer.memberKey)).toBe(false)
    }
  })
})

describe('forged joins, refused on every node', () => {
  let rogue: Replica
  let witness: Replica
  let newcomer: Replica

  beforeEach(async () => {
    rogue = await replica(true) // modified software: its own store takes anything
    witness = await replica()
    newcomer = await replica()
    await enlist(rogue, 'member', 'Rogue_1')
    await enlist(witness, 'member', 'Witness_1')
  })

  /** What the leader and the witness say of everything `from` sends. */
  async function refusedEverywhere(from: Replica, reason: string | RegExp): Promise<void> {
    for (const honest of [leader, witness]) {
      const before = A.getHeads(await honest.org.roster(org.id))
      const result = await sync(from, honest)
      const got = reasons(result)
      if (typeof reason === 'string') expect(got).toContain(reason)
      else expect(got.some((r) => reason.test(r))).toBe(true)
      expect(A.getHeads(await honest.org.roster(org.id))).toEqual(before)
      expect(await keys(honest)).not.toContain(newcomer.signer.memberKey)
    }
  }

  it('an old-style self-join (the newcomer writes its own record with the invite) is refused', async () => {
    const lawless = await replica(true)
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member' })
    await sync(leader, lawless)
    const me = lawless.signer.memberKey
    await lawless.store.change<RosterDoc>(
      rosterId(org.id),
      { action: 'member.join', resource: `member:${org.id}/${me}`, details: { invite: token } },
      (d) => {
        memberField(d, 'mRank', me)[me] = str('member')
        memberField(d, 'mHandle', me)[me] = str('Self_1')
        memberField(d, 'mJoined', me)[me] = Date.now()
        memberField(d, 'mInvite', me)[me] = str(invite.id)
        d.invitesUsed[invite.id] = str(me)
      },
    )
    for (const honest of [leader, witness]) {
      expect(reasons(await sync(lawless, honest))).toContain('the author is not a member')
      expect(await keys(honest)).not.toContain(me)
    }
  })

  it('an admission with a request whose signature does not verify', async () => {
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member' })
    await sync(leader, rogue)
    const { request } = newcomer.invites.joinRequest(token, 'New_1')
    const bad = new Uint8Array(request)
    bad[0] = (bad[0] as number) ^ 1
    await writeAdmission(rogue, {
      request: joinRequestText(bad),
      newcomer: newcomer.signer.memberKey,
      rank: 'member',
      inviteId: invite.id,
    })
    await refusedEverywhere(rogue, "invalid admission: the join request's signature does not verify")
  })

  it("an admission of a key other than the request's", async () => {
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member' })
    await sync(leader, rogue)
    const other = await replica()
    const { request } = other.invites.joinRequest(token, 'Other_1')
    await writeAdmission(rogue, {
      request: joinRequestText(request),
      newcomer: newcomer.signer.memberKey,
      resourceKey: other.signer.memberKey,
      rank: 'member',
      inviteId: invite.id,
    })
    await refusedEverywhere(
      rogue,
      'invalid admission: an admission may only add the newcomer under the invite',
    )
  })

  it('an admission written by a non-member', async () => {
    const outsider = await replica(true)
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member' })
    await sync(leader, outsider)
    const { request } = newcomer.invites.joinRequest(token, 'New_1')
    await writeAdmission(outsider, {
      request: joinRequestText(request),
      newcomer: newcomer.signer.memberKey,
      rank: 'member',
      inviteId: invite.id,
    })
    await refusedEverywhere(outsider, 'the author is not a member')
  })

  it('an admission under a forged invite (signed by a member who may not invite)', async () => {
    const now = Date.now()
    const id = '33'.repeat(16)
    const token = signInvite(
      {
        id,
        orgId: org.id,
        inviter: rogue.signer.memberKey,
        rank: 'recruit',
        issuedAt: now,
        expiresAt: now + 60_000,
        bootstrap: [],
      },
      rogue.signer,
    )
    // An honest member's node refuses to admit with it...
    const { request } = newcomer.invites.joinRequest(token, 'New_1')
    expect(await witness.invites.admit(request)).toMatchObject({ ok: false, code: 'invalid' })
    // ...and a rogue admission with it is refused everywhere.
    await writeAdmission(rogue, {
      request: joinRequestText(request),
      newcomer: newcomer.signer.memberKey,
      rank: 'recruit',
      inviteId: id,
    })
    await refusedEverywhere(
      rogue,
      'invalid admission: the inviter may not invite (members:invite) at that time',
    )
  })

  it('an admission after the invite expired (on the admitting member’s signed clock)', async () => {
    // Made on a clock two hours behind, for an hour: expired by the time the rogue admits.
    clock.set(Date.now() - 2 * HOUR)
    const { token, invite } = await leader.invites.createInvite(org.id, { rank: 'member', expiresInHours: 1 })
    await sync(leader, rogue)
    const { request } = newcomer.invites.joinRequest(token, 'New_1')
    await writeAdmission(rogue, {
      request: joinRequestText(request),
      newcomer: newcomer.signer.memberKey,
      rank: 'member',
      inviteId: invite.id,
    })
    await refusedEverywhere(rogue, /^invalid admission: this invite expired on /)
  })

  it("a member rewriting a member's invite outside an admission", async () => {
    const k = rogue.signer.memberKey
    await rogue.store.change<RosterDoc>(
      rosterId(org.id),
      { action: 'member.notes', resource: `member:${org.id}/${k}` },
      (d) => {
        memberField(d, 'mInvite', k)[k] = str('44'.repeat(16))
      },
    )
    await refusedEverywhere(rogue, "a member's invite is written only by their admission")
  })

  it('a member adding a record for a new key outside an admission', async () => {
    const k = newcomer.signer.memberKey
    await rogue.store.change<RosterDoc>(
      rosterId(org.id),
      { action: 'member.rank', resource: `member:${org.id}/${k}` },
      (d) => {
        memberField(d, 'mRank', k)[k] = str('recruit')
      },
    )
    await refusedEverywhere(rogue, 'a member record is created only by an admission')
  })
})
