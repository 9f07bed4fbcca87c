/**
 * Removal that holds (rule 5): a member removed or re-ranked while offline keeps writing
 * at its old roster heads; every node accepts those writes (valid at the heads they
 * claim) but none of them has any effect on any node's views, every one is listed as
 * flagged, and nodes that applied them before hearing of the removal (and built on
 * them) agree with nodes that heard first.
 */
import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import type { ChangeHash, MemberKey } from '../../../crdt/index.ts'
import type { HangarDoc } from '../../../services/fleet/hangar-schema.ts'
import { hangarId } from '../../../services/fleet/index.ts'
import { rosterId } from '../../../services/org/org-service.ts'
import { bucketOf, type RosterDoc } from '../../../services/org/roster-schema.ts'
import { issueLicense } from '../../helpers/license.ts'
import { enlist, licenseOrg, type Replica, sync, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })
const SOON = Math.floor(Date.now() / 60_000) * 60_000 + 7 * 24 * 3_600_000

/** Everyone sends everything to everyone, twice. */
async function heal(rs: readonly Replica[]): Promise<void> {
  for (let round = 0; round < 2; round++)
    for (const a of rs) for (const b of rs) if (a !== b) await sync(a, b)
}

/** What the services show on one replica: members, ships (with loadouts), operations, flagged, removals. */
async function views(r: Replica, orgId: string, watch: readonly MemberKey[]) {
  const ships = []
  for (const s of await r.fleet.ships(orgId)) {
    const full = await r.fleet.ship(orgId, s.owner, s.id)
    ships.push({ id: s.id, owner: s.owner, model: s.model, loadouts: full.loadouts.map((l) => l.name) })
  }
  const state = await r.org.currentState(orgId)
  return {
    org: await r.org.getOrg(orgId),
    members: (await r.org.members(orgId)).map((m) => ({ key: m.memberKey, rank: m.rank, notes: m.notes })),
    ships,
    ops: (await r.ops.list(orgId)).map((o) => ({ id: o.id, participants: o.participants })),
    flagged: (await r.org.flagged(orgId)).map((f) => `${f.author.slice(0, 8)} ${f.seq} ${f.action} ${f.why}`),
    removed: watch.map((k) => state.isKicked(k)),
    rights: watch.map((k) => [...state.grantsOf(k)].sort().join()),
  }
}

describe('removal that holds', () => {
  it('a member kicked while offline writes a ship, a loadout, a sign-up and roster changes: none of it shows anywhere, all of it is flagged', async () => {
    const [leader, officer, kicked, member] = [
      await replica(),
      await replica(),
      await replica(),
      await replica(),
    ]
    const org = await leader.org.createOrg({ name: 'Strong Org', tag: 'STR', handle: 'Leader_1' })
    await enlist(leader, org.id, officer, 'officer', 'Officer_1')
    await enlist(leader, org.id, kicked, 'officer', 'Kicked_1')
    await enlist(leader, org.id, member, 'member', 'Member_1')
    const op = await leader.ops.createOperation(org.id, {
      title: 'Mining run',
      type: 'mining',
      scheduledAt: SOON,
      durationMin: 60,
      slots: [{ role: 'Miner' }],
    })
    const before = await kicked.fleet.addShip(org.id, { model: 'Prospector', manufacturer: 'MISC' })
    const all = [leader, officer, kicked, member]
    await heal(all)
    const K = kicked.signer.memberKey
    const M = member.signer.memberKey

    await leader.org.kick(org.id, K) // the kicked node is offline
    // The kicked node, never told, keeps using its rights at its old roster heads.
    const after = await kicked.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    await kicked.fleet.addLoadout(org.id, K, before.id, { name: 'Stolen', components: [] })
    await kicked.ops.signUp(org.id, op.id, { role: 'Miner' })
    await kicked.org.setNotes(org.id, M, 'written by a removed officer')
    await kicked.org.setRank(org.id, M, 'recruit')

    // Its writes reach the officer (not the kicker) first; the officer builds on them.
    expect((await sync(kicked, officer)).rejected).toEqual([])
    await officer.ops.confirm(org.id, op.id, K)
    await officer.org.setNotes(org.id, M, 'checked')
    // The member hears of the kick first, then gets the kicked node's writes: accepted (valid at their heads).
    await sync(leader, member)
    expect((await sync(kicked, member)).rejected).toEqual([])
    await heal([leader, officer, member])

    const honest = [leader, officer, member]
    const seen = await Promise.all(honest.map((r) => views(r, org.id, [K, M])))
    for (const v of seen.slice(1)) expect(v).toEqual(seen[0])
    const v = seen[0] as Awaited<ReturnType<typeof views>>
    expect(v.members.map((m) => m.key)).not.toContain(K)
    expect(v.members.find((m) => m.key === M)).toEqual({ key: M, rank: 'member', notes: 'checked' })
    expect(v.ships.map((s) => s.id)).toEqual([before.id])
    expect(v.ships[0]?.loadouts).toEqual([])
    expect(v.ships.map((s) => s.id)).not.toContain(after.id)
    expect(v.ops).toEqual([{ id: op.id, participants: [] }])
    expect(v.removed).toEqual([true, false])
    expect(v.rights[1]).toContain('fleet:view')
    expect(v.org.memberCount).toBe(3)
    const flagged = await leader.org.flagged(org.id)
    expect(flagged.map((f) => f.action).sort()).toEqual([
      'loadout.add',
      'member.notes',
      'member.rank',
      'op.signup',
      'ship.add',
    ])
    expect(flagged.every((f) => f.author === K && f.why === 'removed')).toBe(true)
    expect(new Set(flagged.map((f) => f.docId)).size).toBe(3) // hangar, operation, roster
    // Honest writes over what the masked ones wrote are accepted as usual.
    await leader.org.setNotes(org.id, M, 'reviewed')
    await leader.org.setRank(org.id, M, 'officer')
    await member.ops.signUp(org.id, op.id, { role: 'Miner' })
    for (const r of [officer, member]) expect((await sync(leader, r)).rejected).toEqual([])
    expect((await sync(member, officer)).rejected).toEqual([])
    expect((await officer.org.member(org.id, M)).notes).toBe('reviewed')
    expect((await officer.org.member(org.id, M)).rank).toBe('officer')
    expect((await officer.ops.get(org.id, op.id)).participants.map((p) => p.memberKey)).toEqual([M])
  }, 60_000)

  it('re-ranking a member whose head has not moved records it again (and is accepted everywhere)', async () => {
    const [leader, member] = [await replica(), await replica()]
    const org = await leader.org.createOrg({ name: 'Again Org', tag: 'AGN', handle: 'Leader_1' })
    await enlist(leader, org.id, member, 'member', 'Member_1')
    const M = member.signer.memberKey
    for (const rank of ['recruit', 'member', 'recruit']) await leader.org.setRank(org.id, M, rank)
    expect((await sync(leader, member)).rejected).toEqual([])
    expect((await member.org.member(org.id, M)).rank).toBe('recruit')
  }, 60_000)

  it('a demoted officer who never hears of it keeps using officer rights: no effect; what a member may do stays', async () => {
    const [leader, demoted, member] = [await replica(), await replica(), await replica()]
    const org = await leader.org.createOrg({ name: 'Rank Org', tag: 'RNK', handle: 'Leader_1' })
    await enlist(leader, org.id, demoted, 'officer', 'Officer_1')
    await enlist(leader, org.id, member, 'member', 'Member_1')
    await heal([leader, demoted, member])
    const D = demoted.signer.memberKey
    const M = member.signer.memberKey

    await leader.org.setRank(org.id, D, 'member')
    await demoted.org.setNotes(org.id, M, 'officer note')
    await demoted.ops.createOperation(org.id, {
      title: 'Raid',
      type: 'combat',
      scheduledAt: SOON,
      durationMin: 30,
    })
    const ship = await demoted.fleet.addShip(org.id, { model: 'Cutlass', manufacturer: 'Drake' })

    await sync(demoted, member) // before the demotion
    await sync(leader, member)
    await heal([leader, demoted, member])
    const honest = [leader, member]
    const seen = await Promise.all(honest.map((r) => views(r, org.id, [D])))
    expect(seen[1]).toEqual(seen[0])
    const v = seen[0] as Awaited<ReturnType<typeof views>>
    expect(v.members.find((m) => m.key === M)?.notes).toBe('')
    expect(v.members.find((m) => m.key === D)?.rank).toBe('member')
    expect(v.ops).toEqual([])
    expect(v.ships.map((s) => s.id)).toEqual([ship.id])
    expect(v.flagged.map((f) => f.split(' ').slice(2).join(' ')).sort()).toEqual([
      'member.notes demoted',
      'op.create demoted',
    ])
    await expect(leader.ops.list(org.id)).resolves.toEqual([])
  }, 60_000)

  it("a rank's permissions cut while a holder is offline: its later use of them has no effect", async () => {
    const [leader, officer, member] = [await replica(), await replica(), await replica()]
    const org = await leader.org.createOrg({ name: 'Cut Org', tag: 'CUT', handle: 'Leader_1' })
    await licenseOrg(leader, org.id, 'enterprise')
    await enlist(leader, org.id, officer, 'officer', 'Officer_1')
    await enlist(leader, org.id, member, 'member', 'Member_1')
    await heal([leader, officer, member])
    const M = member.signer.memberKey
    await leader.org.putRank(org.id, {
      id: 'officer',
      name: 'Officer',
      level: 50,
      permissions: ['fleet:*', 'ops:*', 'members:view', 'ranks:view', 'treasury:view'],
    })
    await officer.org.setNotes(org.id, M, 'still managing')
    const ship = await officer.fleet.addShip(org.id, { model: 'Vanguard', manufacturer: 'Aegis' })
    await sync(officer, member)
    await heal([leader, officer, member])
    const seen = await Promise.all([leader, member].map((r) => views(r, org.id, [officer.signer.memberKey])))
    expect(seen[1]).toEqual(seen[0])
    const v = seen[0] as Awaited<ReturnType<typeof views>>
    expect(v.members.find((m) => m.key === M)?.notes).toBe('')
    expect(v.ships.map((s) => s.id)).toEqual([ship.id])
    expect(v.flagged.map((f) => f.split(' ').slice(2).join(' '))).toEqual(['member.notes demoted'])
  }, 60_000)

  it('two officers kick each other concurrently: the more senior kick holds, the same everywhere', async () => {
    const [leader, a, b, witness] = [await replica(), await replica(), await replica(), await replica()]
    const org = await leader.org.createOrg({ name: 'Feud Org', tag: 'FEUD', handle: 'Leader_1' })
    await licenseOrg(leader, org.id, 'enterprise')
    await leader.org.putRank(org.id, {
      id: 'captain',
      name: 'Captain',
      level: 60,
      permissions: ['members:*', 'ranks:*', 'fleet:*', 'ops:*'],
    })
    await enlist(leader, org.id, a, 'officer', 'Officer_A')
    await enlist(leader, org.id, b, 'member', 'Member_B')
    await enlist(leader, org.id, witness, 'member', 'Witness_1')
    await heal([leader, a, b, witness])
    const A = a.signer.memberKey
    const B = b.signer.memberKey
    // The leader promotes B above A; B, seeing it, kicks A. A, not seeing it, kicks B.
    await leader.org.setRank(org.id, B, 'captain')
    await sync(leader, b)
    await b.org.kick(org.id, A)
    await a.org.kick(org.id, B)
    await a.fleet.addShip(org.id, { model: 'Avenger', manufacturer: 'Aegis' })
    // Different orders on different nodes.
    await sync(a, witness)
    await sync(b, witness)
    await sync(b, leader)
    await sync(a, leader)
    await heal([leader, witness, a, b])
    const seen = await Promise.all([leader, witness].map((r) => views(r, org.id, [A, B])))
    expect(seen[1]).toEqual(seen[0])
    const v = seen[0] as Awaited<ReturnType<typeof views>>
    expect(v.removed).toEqual([true, false])
    expect(v.members.find((m) => m.key === B)?.rank).toBe('captain')
    expect(v.ships).toEqual([])
    // The kick that lost has no effect on judging either: B, whom it named, writes on, accepted everywhere.
    const ship = await b.fleet.addShip(org.id, { model: 'Hammerhead', manufacturer: 'Aegis' })
    expect((await sync(b, witness)).rejected).toEqual([])
    expect((await witness.fleet.ships(org.id)).map((s) => s.id)).toEqual([ship.id])
    expect(v.flagged.map((f) => f.split(' ').slice(1).join(' ')).sort()).toEqual(
      [
        `${(await a.store.chains.head(org.id, A))?.seq} ship.add removed`,
        `${((await a.store.chains.head(org.id, A))?.seq ?? 0) - 1} member.kick removed`,
      ].sort(),
    )
  }, 60_000)

  it('a kick concurrent with a promotion: the member stays removed and its later writes have no effect', async () => {
    const [leader, officer, recruit] = [await replica(), await replica(), await replica()]
    const org = await leader.org.createOrg({ name: 'Race Org', tag: 'RACE', handle: 'Leader_1' })
    await enlist(leader, org.id, officer, 'officer', 'Officer_1')
    await enlist(leader, org.id, recruit, 'recruit', 'Recruit_1')
    await heal([leader, officer, recruit])
    const R = recruit.signer.memberKey
    await leader.org.kick(org.id, R)
    await officer.org.setRank(org.id, R, 'member')
    await sync(officer, recruit)
    await recruit.fleet.addShip(org.id, { model: 'Aurora', manufacturer: 'RSI' })
    await sync(recruit, officer)
    await heal([leader, officer, recruit])
    const seen = await Promise.all([leader, officer].map((r) => views(r, org.id, [R])))
    expect(seen[1]).toEqual(seen[0])
    const v = seen[0] as Awaited<ReturnType<typeof views>>
    expect(v.removed).toEqual([true])
    expect(v.members.map((m) => m.key)).not.toContain(R)
    expect(v.ships).toEqual([])
    expect(v.flagged.map((f) => f.split(' ').slice(2).join(' '))).toEqual(['ship.add removed'])
  }, 60_000)

  it('a member who leaves: later entries claiming older roster heads have no effect', async () => {
    const [leader, leaver] = [await replica(), await replica(true)]
    const org = await leader.org.createOrg({ name: 'Exit Org', tag: 'EXIT', handle: 'Leader_1' })
    await enlist(leader, org.id, leaver, 'member', 'Leaver_1')
    const kept = await leaver.fleet.addShip(org.id, { model: 'Nomad', manufacturer: 'Consolidated' })
    const oldHeads = A.getHeads(await leaver.org.roster(org.id)) as ChangeHash[]
    await leaver.org.leave(org.id)
    // Modified software writes on, claiming the roster heads from before it left.
    await leaver.store.change<HangarDoc>(
      hangarId(org.id, leaver.signer.memberKey),
      { action: 'ship.remove', resource: `ship:${org.id}/${kept.id}`, authHeads: oldHeads },
      (d) => {
        delete d.ships[kept.id]
      },
    )
    expect((await sync(leaver, leader)).rejected).toEqual([]) // valid at the heads it claims
    const v = await views(leader, org.id, [leaver.signer.memberKey])
    expect(v.removed).toEqual([true])
    expect(v.ships.map((s) => s.id)).toEqual([kept.id])
    expect(v.flagged.map((f) => f.split(' ').slice(2).join(' '))).toEqual(['ship.remove left'])
  }, 60_000)

  it('a remover cannot take back what it had seen: a recorded head below the roster it acted on counts from there', async () => {
    const [leader, officer, member] = [await replica(), await replica(true), await replica()]
    const org = await leader.org.createOrg({ name: 'Lie Org', tag: 'LIE', handle: 'Leader_1' })
    await enlist(leader, org.id, officer, 'officer', 'Officer_1')
    await enlist(leader, org.id, member, 'member', 'Member_1')
    const ship = await member.fleet.addShip(org.id, { model: 'Freelancer', manufacturer: 'MISC' })
    await member.org.setHandle(org.id, member.signer.memberKey, 'Member_2')
    await heal([leader, officer, member])
    // Modified software kicks the member recording head 0, as if it had seen nothing of theirs.
    const M = member.signer.memberKey
    await officer.store.change<RosterDoc>(
      rosterId(org.id),
      { action: 'member.kick', resource: `member:${org.id}/${M}` },
      (d) => {
        ;(d.kicked[bucketOf(M)] as Record<string, number>)[M] = 0
        ;(d.mHead[bucketOf(M)] as Record<string, number>)[M] = 0
      },
    )
    expect((await sync(officer, leader)).rejected).toEqual([])
    const v = await views(leader, org.id, [M])
    expect(v.removed).toEqual([true])
    expect(v.ships.map((s) => s.id)).toEqual([ship.id])
    expect(v.flagged).toEqual([])
  }, 60_000)

  it('a license installed by a removed member with org:manage has no effect', async () => {
    const [leader, director] = [await replica(), await replica()]
    const org = await leader.org.createOrg({ name: 'Paid Org', tag: 'PAID', handle: 'Leader_1' })
    await licenseOrg(leader, org.id, 'enterprise')
    await leader.org.putRank(org.id, {
      id: 'director',
      name: 'Director',
      level: 60,
      permissions: ['org:manage', 'members:view', 'fleet:view'],
    })
    await enlist(leader, org.id, director, 'director', 'Director_1')
    await heal([leader, director])
    await leader.org.kick(org.id, director.signer.memberKey)
    await director.licenses.install(org.id, issueLicense({ id: org.id, owner: org.owner }, 'pro'))
    expect((await sync(director, leader)).rejected).toEqual([])
    expect((await leader.licenses.status(org.id)).tier).toBe('enterprise')
    expect((await views(leader, org.id, [])).flagged.map((f) => f.split(' ').slice(2).join(' '))).toEqual([
      'license.install removed',
    ])
  }, 60_000)
})
