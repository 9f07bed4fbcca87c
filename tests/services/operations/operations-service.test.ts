import { beforeEach, describe, expect, it } from 'vitest'
import { licenseOrg, sync } from '../../helpers/replica.ts'
import { enlist, founded, type OpsReplica, replica, SOON } from './ops-replica.ts'

let leader: OpsReplica
let orgId: string

beforeEach(async () => {
  const f = await founded()
  leader = f.leader
  orgId = f.org.id
})

const mining = {
  title: 'Aaron Halo run',
  description: 'Quantanium in the belt.\nBring a Prospector.',
  type: 'mining',
  scheduledAt: SOON,
  durationMin: 120,
}

async function withOfficerAndMember() {
  const officer = await replica()
  const member = await replica()
  await enlist(leader, orgId, officer, 'officer', 'Officer_1')
  await enlist(leader, orgId, member, 'member', 'Member_1')
  await sync(leader, officer)
  await sync(leader, member)
  return { officer, member }
}

describe('operations service', () => {
  it('an officer schedules an operation with slots; every replica sees the same', async () => {
    const { officer, member } = await withOfficerAndMember()
    const op = await officer.ops.createOperation(orgId, {
      ...mining,
      slots: [{ role: 'Miner' }, { role: 'Escort' }],
    })
    expect(op).toMatchObject({
      orgId,
      title: 'Aaron Halo run',
      type: 'mining',
      status: 'planned',
      leader: officer.signer.memberKey,
      creator: officer.signer.memberKey,
      scheduledAt: SOON,
      endsAt: SOON + 120 * 60_000,
      participants: [],
    })
    expect(op.id).toMatch(/^[0-9a-f]{32}$/)
    expect(op.slots.map((s) => s.role)).toEqual(['Escort', 'Miner'])
    expect((await sync(officer, leader)).rejected).toEqual([])
    expect((await sync(leader, member)).rejected).toEqual([])
    expect(await member.ops.get(orgId, op.id)).toEqual(op)
    expect((await member.ops.list(orgId)).map((o) => o.id)).toEqual([op.id])
  })

  it('a member signs up and withdraws himself; the leader confirms', async () => {
    const { officer, member } = await withOfficerAndMember()
    const op = await officer.ops.createOperation(orgId, { ...mining, slots: [{ role: 'Miner' }] })
    await sync(officer, member)
    const slot = op.slots[0]?.id
    const signed = await member.ops.signUp(orgId, op.id, { slot })
    expect(signed.participants).toEqual([
      expect.objectContaining({ memberKey: member.signer.memberKey, role: 'Miner', slot, state: 'pending' }),
    ])
    expect(signed.slots[0]?.takenBy).toBe(member.signer.memberKey)

    expect((await sync(member, officer)).rejected).toEqual([])
    const confirmed = await officer.ops.confirm(orgId, op.id, member.signer.memberKey)
    expect(confirmed.counts).toMatchObject({ confirmed: 1, pending: 0 })

    expect((await sync(officer, member)).rejected).toEqual([])
    const withdrawn = await member.ops.withdraw(orgId, op.id)
    expect(withdrawn.participants[0]).toMatchObject({ state: 'withdrawn', slot: null })
    expect(withdrawn.slots[0]?.takenBy).toBeNull()
    expect((await sync(member, officer)).rejected).toEqual([])
    expect(await officer.ops.get(orgId, op.id)).toEqual(withdrawn)
    await expect(member.ops.withdraw(orgId, op.id)).rejects.toMatchObject({ name: 'InvalidInputError' })
  })

  it("a taken slot, a ship not in one's hangar and closed sign-ups are refused locally", async () => {
    const { officer, member } = await withOfficerAndMember()
    const op = await officer.ops.createOperation(orgId, { ...mining, slots: [{ role: 'Miner' }] })
    const slot = op.slots[0]?.id
    await officer.ops.signUp(orgId, op.id, { slot })
    await sync(officer, member)
    await expect(member.ops.signUp(orgId, op.id, { slot })).rejects.toMatchObject({ field: 'slot' })
    await expect(
      member.ops.signUp(orgId, op.id, { role: 'Gunner', ship: '0123456789abcdef' }),
    ).rejects.toMatchObject({ field: 'ship' })
    const ship = await member.fleet.addShip(orgId, { model: 'Prospector', manufacturer: 'MISC' })
    const ok = await member.ops.signUp(orgId, op.id, { role: 'Gunner', ship: ship.id, tentative: true })
    expect(ok.participants.find((p) => p.memberKey === member.signer.memberKey)).toMatchObject({
      ship: ship.id,
      state: 'tentative',
    })
    await officer.ops.setStatus(orgId, op.id, 'open')
    await officer.ops.setStatus(orgId, op.id, 'locked')
    await sync(officer, member)
    await expect(member.ops.signUp(orgId, op.id, { role: 'Pilot' })).rejects.toThrow(/sign-ups are closed/)
    // Withdrawing is still possible once sign-ups are locked.
    expect((await member.ops.withdraw(orgId, op.id)).participants).toContainEqual(
      expect.objectContaining({ memberKey: member.signer.memberKey, state: 'withdrawn' }),
    )
    expect((await sync(member, officer)).rejected).toEqual([])
  })

  it('slots are added and removed; removing a slot frees its holder', async () => {
    const op = await leader.ops.createOperation(orgId, mining)
    const sid = await leader.ops.addSlot(orgId, op.id, { role: 'Pilot' })
    await leader.ops.signUp(orgId, op.id, { slot: sid })
    await leader.ops.removeSlot(orgId, op.id, sid)
    const after = await leader.ops.get(orgId, op.id)
    expect(after.slots).toEqual([])
    expect(after.participants[0]).toMatchObject({ role: 'Pilot', slot: null })
    await expect(leader.ops.removeSlot(orgId, op.id, sid)).rejects.toMatchObject({ field: 'slot' })
  })

  it('runs the lifecycle; invalid transitions are refused locally with a clear error', async () => {
    const op = await leader.ops.createOperation(orgId, { ...mining, status: 'draft' })
    await expect(leader.ops.setStatus(orgId, op.id, 'open')).rejects.toMatchObject({
      name: 'OperationConflictError',
      kind: 'conflict',
      field: 'status',
      message: expect.stringMatching(/cannot go from draft to open \(allowed: planned, cancelled\)/),
    })
    for (const s of ['planned', 'open', 'locked', 'open', 'in-progress', 'completed']) {
      expect((await leader.ops.setStatus(orgId, op.id, s)).status).toBe(s)
    }
    await expect(leader.ops.setStatus(orgId, op.id, 'cancelled')).rejects.toThrow(/completed is final/)
    const other = await leader.ops.createOperation(orgId, mining)
    await expect(leader.ops.setStatus(orgId, other.id, 'completed')).rejects.toThrow(
      /cannot go from planned to completed/,
    )
    await expect(leader.ops.setStatus(orgId, other.id, 'planned')).rejects.toThrow(/already planned/)
    await expect(leader.ops.setStatus(orgId, other.id, 'done')).rejects.toMatchObject({ field: 'status' })
    expect((await leader.ops.setStatus(orgId, other.id, 'cancelled')).status).toBe('cancelled')
  })

  it('refuses bad input naming the field, and writes nothing', async () => {
    const before = await leader.store.chains.head(orgId, leader.signer.memberKey)
    const cases: [Record<string, unknown>, string][] = [
      [{ ...mining, title: '   ' }, 'title'],
      [{ ...mining, title: 'x'.repeat(101) }, 'title'],
      [{ ...mining, description: 'x'.repeat(4001) }, 'description'],
      [{ ...mining, type: 'piracy' }, 'type'],
      [{ ...mining, scheduledAt: 'next tuesday' }, 'scheduledAt'],
      [{ ...mining, scheduledAt: -5 }, 'scheduledAt'],
      [{ ...mining, durationMin: 0 }, 'durationMin'],
      [{ ...mining, durationMin: 10_081 }, 'durationMin'],
      [{ ...mining, durationMin: 1.5 }, 'durationMin'],
      [{ ...mining, status: 'open' }, 'status'],
      [{ ...mining, leader: 'nobody' }, 'leader'],
      [{ ...mining, leader: 'ab'.repeat(32) }, 'leader'],
      [{ ...mining, slots: [{ role: '' }] }, 'slots.0.role'],
      [{ ...mining, slots: [{ role: 'Pilot', ship: 'Carrack!' }] }, 'slots.0.ship'],
    ]
    for (const [input, field] of cases) {
      await expect(leader.ops.createOperation(orgId, input as never)).rejects.toMatchObject({
        name: 'InvalidInputError',
        field,
      })
    }
    expect(await leader.ops.list(orgId)).toEqual([])
    expect(await leader.store.chains.head(orgId, leader.signer.memberKey)).toEqual(before)
    const op = await leader.ops.createOperation(orgId, {
      ...mining,
      scheduledAt: new Date(SOON).toISOString(),
    })
    expect(op.scheduledAt).toBe(SOON)
    await expect(leader.ops.updateOperation(orgId, op.id, {})).rejects.toMatchObject({ field: 'op' })
    await expect(leader.ops.get(orgId, 'nope')).rejects.toMatchObject({ field: 'op' })
    await expect(leader.ops.get(orgId, 'ab'.repeat(16))).rejects.toMatchObject({
      name: 'OperationNotFoundError',
    })
    await expect(leader.ops.signUp(orgId, op.id, {})).rejects.toMatchObject({ field: 'role' })
    await expect(leader.ops.confirm(orgId, op.id, leader.signer.memberKey)).rejects.toMatchObject({
      field: 'member',
    })
  })

  it('lists upcoming operations soonest first and past ones latest first', async () => {
    let now = SOON
    const r = await replica(false, () => now)
    const org = await r.org.createOrg({ name: 'Clocked Org', tag: 'CLK', handle: 'Clock_1' })
    const hour = 3_600_000
    const at = async (title: string, offset: number) =>
      (await r.ops.createOperation(org.id, { ...mining, title, scheduledAt: SOON + offset, durationMin: 60 }))
        .id
    const later = await at('Later', 5 * hour)
    const soon = await at('Soon', 1 * hour)
    const running = await at('Running', -0.5 * hour)
    const yesterday = await at('Yesterday', -24 * hour)
    const lastWeek = await at('Last week', -7 * 24 * hour)
    const cancelled = await at('Cancelled', 2 * hour)
    await r.ops.setStatus(org.id, cancelled, 'cancelled')
    expect((await r.ops.list(org.id, { when: 'upcoming' })).map((o) => o.id)).toEqual([running, soon, later])
    expect((await r.ops.list(org.id, { when: 'past' })).map((o) => o.id)).toEqual([
      cancelled,
      yesterday,
      lastWeek,
    ])
    expect((await r.ops.list(org.id)).map((o) => o.title)).toEqual([
      'Last week',
      'Yesterday',
      'Running',
      'Soon',
      'Cancelled',
      'Later',
    ])
    now += 6 * hour
    expect((await r.ops.list(org.id, { when: 'upcoming' })).map((o) => o.id)).toEqual([])
  })

  it('exports operations as iCalendar (RFC 5545)', async () => {
    const op = await leader.ops.createOperation(orgId, {
      ...mining,
      title: 'Halo run; part 1, west',
      scheduledAt: Date.UTC(2030, 0, 2, 18, 30),
      durationMin: 90,
    })
    const drill = await leader.ops.createOperation(orgId, {
      ...mining,
      title: 'Drill',
      type: 'training',
      scheduledAt: Date.UTC(2030, 0, 1, 12),
    })
    await leader.ops.setStatus(orgId, drill.id, 'cancelled')
    const ics = await leader.ops.exportIcs(orgId)
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true)
    expect(ics.trimEnd().endsWith('END:VCALENDAR')).toBe(true)
    const lines = ics.split('\r\n')
    expect(lines).toContain('VERSION:2.0')
    expect(lines).toContain('PRODID:-//Verse Guy//verseguy//EN')
    expect(lines).toContain('X-WR-CALNAME:Ops Org operations')
    const events = ics.split('BEGIN:VEVENT').slice(1)
    expect(events).toHaveLength(2)
    const [first, second] = events as [string, string]
    expect(first).toContain(`UID:${drill.id}@verseguy`)
    expect(first).toContain('STATUS:CANCELLED')
    expect(first).toContain('CATEGORIES:training')
    expect(second).toContain(`UID:${op.id}@verseguy`)
    expect(second).toContain('DTSTART:20300102T183000Z')
    expect(second).toContain('DTEND:20300102T200000Z')
    expect(second).toContain('SUMMARY:Halo run\\; part 1\\, west')
    expect(second).toContain('DESCRIPTION:Quantanium in the belt.\\nBring a Prospector.')
    expect(second).toContain('STATUS:TENTATIVE')
    expect(second).toContain('CATEGORIES:mining')
    expect(second).toContain('SEQUENCE:0')
    expect(first).toContain('SEQUENCE:1')
    // Lines are folded at 75 octets.
    expect(lines.every((l) => Buffer.byteLength(l) <= 75)).toBe(true)

    await leader.ops.setStatus(orgId, op.id, 'open')
    const one = await leader.ops.exportIcs(orgId, { opIds: [op.id] })
    expect(one.match(/BEGIN:VEVENT/g)).toHaveLength(1)
    expect(one).toContain('STATUS:CONFIRMED')
    await expect(leader.ops.exportIcs(orgId, { opIds: ['zz'] })).rejects.toMatchObject({ field: 'opIds.0' })
  })
  it('the leader signs another member up with one of their ships, and removes the sign-up', async () => {
    const { officer, member } = await withOfficerAndMember()
    const ship = await member.fleet.addShip(orgId, { model: 'Prospector', manufacturer: 'MISC' })
    await sync(member, leader)
    await sync(leader, officer)
    const op = await officer.ops.createOperation(orgId, { ...mining, slots: [{ role: 'Miner' }] })
    const slot = op.slots[0]?.id
    const key = member.signer.memberKey
    await expect(
      officer.ops.addSignUp(orgId, op.id, key, { slot, ship: '0123456789abcdef' }),
    ).rejects.toMatchObject({ field: 'ship' })
    await expect(
      officer.ops.addSignUp(orgId, op.id, 'ab'.repeat(32), { role: 'Miner' }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'member' })
    const added = await officer.ops.addSignUp(orgId, op.id, key, { slot, ship: ship.id })
    expect(added.participants).toEqual([
      expect.objectContaining({ memberKey: key, role: 'Miner', ship: ship.id, slot, state: 'confirmed' }),
    ])
    expect(added.slots[0]?.takenBy).toBe(key)
    const removed = await officer.ops.removeSignUp(orgId, op.id, key)
    expect(removed.participants).toEqual([])
    await expect(officer.ops.removeSignUp(orgId, op.id, key)).rejects.toMatchObject({ field: 'member' })
    await officer.ops.cancel(orgId, op.id)
    await expect(officer.ops.addSignUp(orgId, op.id, key, { role: 'Miner' })).rejects.toMatchObject({
      name: 'OperationConflictError',
      field: 'op',
    })
    expect((await sync(officer, leader)).rejected).toEqual([])
  })

  it('lists by status; a rank without ops:view sees no operation', async () => {
    const a = await leader.ops.createOperation(orgId, mining)
    const b = await leader.ops.createOperation(orgId, { ...mining, status: 'draft' })
    await leader.ops.cancel(orgId, a.id)
    expect((await leader.ops.list(orgId, { status: 'cancelled' })).map((o) => o.id)).toEqual([a.id])
    expect((await leader.ops.list(orgId, { status: 'draft' })).map((o) => o.id)).toEqual([b.id])
    await expect(leader.ops.list(orgId, { status: 'gone' })).rejects.toMatchObject({ field: 'status' })

    await licenseOrg(leader, orgId, 'enterprise')
    await leader.org.putRank(orgId, { id: 'guest', name: 'Guest', level: 5, permissions: ['members:view'] })
    const guest = await replica()
    await enlist(leader, orgId, guest, 'guest', 'Guest_1')
    for (const read of [
      () => guest.ops.list(orgId),
      () => guest.ops.get(orgId, a.id),
      () => guest.ops.exportIcs(orgId),
    ])
      await expect(read()).rejects.toMatchObject({
        name: 'PermissionDeniedError',
        permission: 'ops:view',
        rank: 'Guest',
      })
  })
})
