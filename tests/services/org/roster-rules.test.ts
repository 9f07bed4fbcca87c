/**
 * Adversarial tests: a member with modified software (its own checks off) writes what
 * the rules forbid; an honest replica receiving it through the network's receive path
 * refuses it, stores nothing of it, and names the reason.
 */
import * as A from '@automerge/automerge'
import { beforeEach, describe, expect, it } from 'vitest'
import { type ChangeHash, parseDocId, type SignedEntry, signEntry } from '../../../crdt/index.ts'
import type { OrgSummary } from '../../../services/org/org-service.ts'
import { bucketOf, type RosterDoc } from '../../../services/org/roster-schema.ts'
import {
  everything,
  enlist as joinOrg,
  licenseOrg,
  type Replica,
  sync,
  useReplicas,
} from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })

let leader: Replica
let org: OrgSummary

/** Brings `who` into the test org at `rank`. */
const enlist = (who: Replica, rank: string, handle: string) => joinOrg(leader, org.id, who, rank, handle)

/** What the honest leader replica says about everything `from` sends. */
async function judgedBy(to: Replica, from: Replica) {
  const before = A.getHeads(await to.org.roster(org.id))
  const result = await sync(from, to)
  return { result, before, after: A.getHeads(await to.org.roster(org.id)) }
}

function reasons(result: { rejected: readonly { reason: string }[] }): string[] {
  return result.rejected.map((r) => r.reason)
}

beforeEach(async () => {
  leader = await replica()
  org = await leader.org.createOrg({ name: 'Honest Org', tag: 'HON', handle: 'Leader_1' })
  // Custom ranks and permission sets are Enterprise features on every node's own gate.
  await licenseOrg(leader, org.id, 'enterprise')
})

describe('roster rules, judged on every node', () => {
  it('a Member editing ranks is refused and nothing is stored', async () => {
    const member = await replica(true)
    await enlist(member, 'member', 'Member_1')
    await member.org.putRank(org.id, { id: 'ace', name: 'Ace', level: 5, permissions: ['fleet:view'] })
    const { result, before, after } = await judgedBy(leader, member)
    expect(reasons(result)).toContain('changing ranks needs ranks:manage')
    expect(after).toEqual(before)
    expect((await leader.org.ranks(org.id)).map((r) => r.id)).not.toContain('ace')
  })

  it('an Officer promoting himself is refused', async () => {
    const officer = await replica(true)
    await enlist(officer, 'officer', 'Officer_1')
    await officer.org.setRank(org.id, officer.signer.memberKey, 'leader')
    const { result, after, before } = await judgedBy(leader, officer)
    expect(reasons(result)).toContain('you cannot change your own rank')
    expect(after).toEqual(before)
  })

  it('an Officer assigning a rank at his own level, or creating one, is refused', async () => {
    const officer = await replica(true)
    const member = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    await enlist(member, 'member', 'Member_1')
    await sync(leader, officer)
    await officer.org.setRank(org.id, member.signer.memberKey, 'officer')
    expect(reasons((await judgedBy(leader, officer)).result)).toContain(
      'rank officer is at or above your own level',
    )
  })

  it('an Officer creating a rank at his own level is refused, below it is allowed', async () => {
    const officer = await replica(true)
    await enlist(officer, 'officer', 'Officer_1')
    await officer.org.putRank(org.id, {
      id: 'wing-lead',
      name: 'Wing Lead',
      level: 50,
      permissions: ['fleet:view'],
    })
    expect(reasons((await judgedBy(leader, officer)).result)[0]).toMatch(/at or above your own level/)

    const honestOfficer = await replica()
    await enlist(honestOfficer, 'officer', 'Officer_2')
    await honestOfficer.org.putRank(org.id, {
      id: 'pilot',
      name: 'Pilot',
      level: 20,
      permissions: ['fleet:view'],
    })
    expect((await judgedBy(leader, honestOfficer)).result.rejected).toEqual([])
    expect((await leader.org.ranks(org.id)).map((r) => r.id)).toContain('pilot')
  })

  it('a rank cannot be given permissions its maker lacks', async () => {
    const officer = await replica(true)
    await enlist(officer, 'officer', 'Officer_1')
    await officer.org.putRank(org.id, { id: 'boss', name: 'Boss', level: 20, permissions: ['org:delete'] })
    expect(reasons((await judgedBy(leader, officer)).result)).toContain(
      'a rank cannot be given permissions you do not have',
    )
  })

  it('a non-member write is refused', async () => {
    const outsider = await replica(true)
    await sync(leader, outsider)
    await outsider.org.updateOrg(org.id, { name: 'Hijacked Org' })
    const { result, before, after } = await judgedBy(leader, outsider)
    expect(reasons(result)[0]).toBe('the author is not a member')
    expect(after).toEqual(before)
    expect((await leader.org.getOrg(org.id)).name).toBe('Honest Org')
  })

  it('a forged signature is refused before any rule runs', async () => {
    const member = await replica()
    await enlist(member, 'member', 'Member_1')
    await member.org.setHandle(org.id, member.signer.memberKey, 'Renamed_1')
    const batch = await everything(member)
    const mine = batch.entries.map((e) => ({
      ...e,
      signature: e.signature.map((b, i) => (i === 0 ? b ^ 1 : b)),
    }))
    const result = await leader.store.receive({ entries: mine as SignedEntry[], changes: batch.changes })
    expect(reasons(result).some((r) => r.includes('bad signature'))).toBe(true)
    expect((await leader.org.member(org.id, member.signer.memberKey)).handle).toBe('Member_1')
  })

  it("a change carrying another member's authorship inside an attacker's entry is refused", async () => {
    const attacker = await replica(true)
    await enlist(attacker, 'member', 'Attacker')
    // An Automerge change that names the leader as its author, signed into the attacker's chain.
    const doc = A.load<RosterDoc>(A.save(await attacker.org.roster(org.id)), {
      actor: 'ab'.repeat(16),
      author: leader.signer.memberKey,
    })
    const forged = A.change(doc, (d) => {
      d.org.name = new A.ImmutableString('Owned by attacker')
    })
    const change = A.getLastLocalChange(forged) as Uint8Array
    const head = await attacker.store.chains.head(org.id, attacker.signer.memberKey)
    const entry = signEntry(
      {
        scope: org.id,
        author: attacker.signer.memberKey,
        seq: (head?.seq ?? 0) + 1,
        prev: head?.hash ?? null,
        time: Date.now(),
        action: 'org.update',
        resource: `org:${org.id}`,
        details: null,
        doc: parseDocId(`org:${org.id}`),
        changes: [A.decodeChange(change).hash as ChangeHash],
        authHeads: [],
      },
      attacker.signer,
    )
    const result = await leader.store.receive({ entries: [entry], changes: [change] })
    expect(reasons(result)[0]).toMatch(/another author than its entry/)
  })

  it('a replayed batch is recognised: nothing is applied twice', async () => {
    const member = await replica()
    await enlist(member, 'member', 'Member_1')
    const again = await sync(member, leader)
    expect(again.rejected).toEqual([])
    expect(again.duplicates).toBeGreaterThan(0)
    expect((await leader.org.members(org.id)).length).toBe(2)
  })

  it('a losing concurrent write by an unauthorized author is refused, and never surfaces later', async () => {
    const officer = await replica()
    const recruit = await replica(true)
    const target = await replica()
    await enlist(officer, 'officer', 'Officer_1')
    await enlist(recruit, 'recruit', 'Recruit_1')
    await enlist(target, 'member', 'Target_1')
    await sync(leader, officer)
    await sync(leader, recruit)
    // Concurrently: the officer writes notes on the target, the recruit (no right) too.
    await officer.org.setNotes(org.id, target.signer.memberKey, 'reliable pilot')
    await recruit.org.setNotes(org.id, target.signer.memberKey, 'written by a recruit')
    expect((await judgedBy(leader, officer)).result.rejected).toEqual([])
    expect(reasons((await judgedBy(leader, recruit)).result)).toContain('mNotes needs members:manage')
    // The officer clears the notes: the recruit's value must not appear underneath.
    await leader.org.setNotes(org.id, target.signer.memberKey, '')
    expect((await leader.org.member(org.id, target.signer.memberKey)).notes).toBe('')
  })
})

describe('removal', () => {
  it("a kicked member's later changes are refused", async () => {
    const member = await replica(true)
    await enlist(member, 'member', 'Member_1')
    await leader.org.kick(org.id, member.signer.memberKey)
    await sync(leader, member) // the member has seen the kick
    // Modified software skips the service's own checks and writes the roster directly.
    const key = member.signer.memberKey
    await member.store.change<RosterDoc>(
      parseDocId(`org:${org.id}`),
      { action: 'member.handle', resource: `member:${key}` },
      (d) => {
        ;(d.mHandle[bucketOf(key)] as Record<string, A.ImmutableString>)[key] = new A.ImmutableString(
          'Still_Here',
        )
      },
    )
    expect(reasons((await judgedBy(leader, member)).result)).toContain('the author was removed from the org')
    expect((await leader.org.getOrg(org.id)).memberCount).toBe(1)
  })

  it('changes made concurrently with a kick are accepted (valid at their dependencies)', async () => {
    const member = await replica()
    await enlist(member, 'member', 'Member_1')
    await leader.org.kick(org.id, member.signer.memberKey)
    // The member, not having seen the kick, renames himself.
    await member.org.setHandle(org.id, member.signer.memberKey, 'Concurrent_1')
    const { result } = await judgedBy(leader, member)
    expect(result.rejected).toEqual([])
    expect((await leader.org.flagged(org.id)).map((f) => f.author)).toEqual([member.signer.memberKey])
  })
})
