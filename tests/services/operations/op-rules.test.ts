/**
 * Adversarial tests: a member with modified software (its own checks off) writes what
 * the operation rules forbid; an honest replica receiving it through the network's
 * receive path refuses it, stores nothing of it, and names the reason.
 */
import * as A from '@automerge/automerge'
import { beforeEach, describe, expect, it } from 'vitest'
import { type ChangeHash, ChangeRefusedError, signEntry } from '../../../crdt/index.ts'
import {
  deriveOpId,
  newOpNonce,
  OP_SCHEMA,
  type OperationDoc,
  type OperationView,
  opDocId,
  type ParticipantRecord,
} from '../../../services/operations/index.ts'
import { rosterId } from '../../../services/org/org-service.ts'
import { sync } from '../../helpers/replica.ts'
import { actionOf, enlist, founded, type OpsReplica, reasons, replica, SOON } from './ops-replica.ts'

const S = (v: string) => new A.ImmutableString(v)

let leader: OpsReplica
let orgId: string
let officer: OpsReplica

const patrol = { title: 'Stanton patrol', type: 'combat', scheduledAt: SOON, durationMin: 90 }

beforeEach(async () => {
  const f = await founded()
  leader = f.leader
  orgId = f.org.id
  officer = await replica()
  await enlist(leader, orgId, officer, 'officer', 'Officer_1')
})

/** A member (lawless when asked) who holds the op. */
async function memberWithOp(
  lawless: boolean,
  rank = 'member',
): Promise<{ m: OpsReplica; op: OperationView }> {
  const m = await replica(lawless)
  await enlist(leader, orgId, m, rank, `${rank}_${Math.random().toString(36).slice(2, 8)}`)
  const op = await officer.ops.createOperation(orgId, { ...patrol, slots: [{ role: 'Pilot' }] })
  await officer.ops.setStatus(orgId, op.id, 'open')
  expect((await sync(officer, leader)).rejected).toEqual([])
  await sync(leader, m)
  return { m, op }
}

/** Writes straight into the op document, as modified software could. */
async function forge(r: OpsReplica, opId: string, fn: (d: OperationDoc) => void, action = 'op.update') {
  await r.store.change<OperationDoc>(opDocId(orgId, opId), await actionOf(r, orgId, action), fn)
}

/** A first change laid out as the service writes it (plus `extra`), made by `r` whatever its rank. */
async function forgeCreate(r: OpsReplica, extra: Record<string, unknown> = {}): Promise<string> {
  const key = r.signer.memberKey
  const nonce = newOpNonce()
  const id = deriveOpId(orgId, key, nonce)
  await r.store.create<OperationDoc>(opDocId(orgId, id), await actionOf(r, orgId, 'op.create'), (d) => {
    Object.assign(d, {
      schema: OP_SCHEMA,
      org: S(orgId),
      id: S(id),
      nonce: S(nonce),
      title: S(patrol.title),
      description: S(''),
      type: S(patrol.type),
      scheduledAt: patrol.scheduledAt,
      durationMin: patrol.durationMin,
      leader: S(key),
      creator: S(key),
      status: S('planned'),
      createdAt: Date.now(),
      slots: {},
      participants: {},
      ...extra,
    })
  })
  return id
}

/** What the honest replica says about everything `from` sends, and whether the op changed. */
async function judged(to: OpsReplica, from: OpsReplica, opId: string) {
  const id = opDocId(orgId, opId)
  const before = (await to.store.has(id)) ? A.getHeads(await to.store.get(id)) : null
  const result = await sync(from, to)
  const after = (await to.store.has(id)) ? A.getHeads(await to.store.get(id)) : null
  return { reasons: reasons(result), unchanged: JSON.stringify(before) === JSON.stringify(after) }
}

function record(state: string): ParticipantRecord {
  return { role: S('Pilot'), ship: null, slot: null, state: S(state), updatedAt: Date.now() }
}

describe('operation rules, judged on every node', () => {
  it('a Recruit creating an operation (no ops:create) is refused', async () => {
    const recruit = await replica(true)
    await enlist(leader, orgId, recruit, 'recruit', 'Recruit_1')
    const id = await forgeCreate(recruit)
    const { reasons: r, unchanged } = await judged(leader, recruit, id)
    expect(r).toContain('creating an operation needs ops:create')
    expect(unchanged).toBe(true)
    expect(await leader.ops.list(orgId)).toEqual([])
    // On an honest node the same write fails before anything is stored.
    const honest = await replica()
    await enlist(leader, orgId, honest, 'recruit', 'Recruit_2')
    await expect(honest.ops.createOperation(orgId, patrol)).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      permission: 'ops:create',
      rank: 'Recruit',
    })
    // Past its service, its store refuses the same change.
    await expect(forgeCreate(honest)).rejects.toThrow(ChangeRefusedError)
    expect(await honest.ops.list(orgId)).toEqual([])
  })

  it('a member confirming himself is refused; his own sign-up is kept', async () => {
    const { m, op } = await memberWithOp(true)
    await m.ops.signUp(orgId, op.id, { role: 'Pilot' })
    // Its own node refuses early, naming the permission; modified software writes it anyway.
    await expect(m.ops.confirm(orgId, op.id, m.signer.memberKey)).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      permission: 'ops:manage',
    })
    await forge(m, op.id, (d) => {
      ;(d.participants[m.signer.memberKey] as ParticipantRecord).state = S('confirmed')
    })
    const { reasons: r } = await judged(leader, m, op.id)
    expect(r).toContain('confirming a sign-up needs the leader or ops:manage')
    expect((await leader.ops.get(orgId, op.id)).participants).toEqual([
      expect.objectContaining({ memberKey: m.signer.memberKey, state: 'pending' }),
    ])
  })

  it('a member signing up someone else is refused', async () => {
    const { m, op } = await memberWithOp(true)
    const victim = leader.signer.memberKey
    await forge(m, op.id, (d) => {
      d.participants[victim] = record('pending')
    })
    const { reasons: r, unchanged } = await judged(leader, m, op.id)
    expect(r).toContain('signing up someone else needs the leader or ops:manage')
    expect(unchanged).toBe(true)
  })

  it("a member changing another member's sign-up is refused", async () => {
    const { m, op } = await memberWithOp(true)
    await officer.ops.signUp(orgId, op.id, { role: 'Gunner' })
    await sync(officer, leader)
    await sync(leader, m)
    await forge(m, op.id, (d) => {
      ;(d.participants[officer.signer.memberKey] as ParticipantRecord).state = S('withdrawn')
    })
    expect((await judged(leader, m, op.id)).reasons).toContain(
      "changing another member's sign-up needs the leader or ops:manage",
    )
  })

  it('a member editing the title is refused; the leader of the op may, even as a Member', async () => {
    const { m, op } = await memberWithOp(true)
    await expect(m.ops.updateOperation(orgId, op.id, { title: 'Hijacked' })).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      rank: 'Member',
    })
    await forge(m, op.id, (d) => {
      d.title = S('Hijacked')
    })
    const { reasons: r, unchanged } = await judged(leader, m, op.id)
    expect(r).toContain('changing the operation needs its leader or ops:manage')
    expect(unchanged).toBe(true)
    expect((await leader.ops.get(orgId, op.id)).title).toBe('Stanton patrol')

    // Made leader of the op, a plain Member may edit it.
    const lead = await replica()
    await enlist(leader, orgId, lead, 'member', 'Wing_Lead')
    await sync(leader, officer)
    await officer.ops.updateOperation(orgId, op.id, { leader: lead.signer.memberKey })
    await sync(officer, lead)
    await lead.ops.updateOperation(orgId, op.id, { title: 'Stanton patrol, wing 2' })
    expect((await sync(lead, leader)).rejected).toEqual([])
    expect((await leader.ops.get(orgId, op.id)).title).toBe('Stanton patrol, wing 2')
  })

  it('an invalid status jump by the op leader is refused remotely and locally', async () => {
    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_2')
    const op = await rogue.ops.createOperation(orgId, patrol)
    await forge(rogue, op.id, (d) => {
      d.status = S('completed')
    })
    const { reasons: r } = await judged(leader, rogue, op.id)
    expect(r).toContain('status cannot go from planned to completed')
    expect((await leader.ops.get(orgId, op.id)).status).toBe('planned')
    // An honest node bypassing its service still cannot write it.
    await expect(
      forge(leader, op.id, (d) => {
        d.status = S('completed')
      }),
    ).rejects.toThrow(/status cannot go from planned to completed/)
  })

  it('a cancelled operation stays cancelled; only its leader or ops:manage may cancel it', async () => {
    const { m, op } = await memberWithOp(true)
    await forge(m, op.id, (d) => {
      d.status = S('cancelled')
    })
    const byMember = await judged(leader, m, op.id)
    expect(byMember.reasons).toContain('changing the operation needs its leader or ops:manage')
    expect(byMember.unchanged).toBe(true)

    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_3')
    const own = await rogue.ops.createOperation(orgId, patrol)
    await rogue.ops.cancel(orgId, own.id)
    expect((await sync(rogue, leader)).rejected).toEqual([])
    expect((await leader.ops.get(orgId, own.id)).status).toBe('cancelled')
    // Its leader's modified node revives it: refused everywhere.
    await forge(rogue, own.id, (d) => {
      d.status = S('planned')
    })
    const revived = await judged(leader, rogue, own.id)
    expect(revived.reasons).toContain('status cannot go from cancelled to planned')
    expect(revived.unchanged).toBe(true)
    expect((await leader.ops.get(orgId, own.id)).status).toBe('cancelled')
  })

  it("a member's modified node cannot remove someone else's sign-up; the leader's can, and sign others up", async () => {
    const { m, op } = await memberWithOp(true)
    const other = await replica()
    await enlist(leader, orgId, other, 'member', 'Member_7')
    await sync(leader, officer)
    await officer.ops.addSignUp(orgId, op.id, other.signer.memberKey, { role: 'Gunner' })
    await officer.ops.addSignUp(orgId, op.id, m.signer.memberKey, { role: 'Pilot', tentative: true })
    expect((await sync(officer, leader)).rejected).toEqual([])
    await sync(leader, m)
    // The member's own node refuses both early, naming the permission.
    await expect(m.ops.removeSignUp(orgId, op.id, other.signer.memberKey)).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      permission: 'ops:manage',
    })
    await expect(
      m.ops.addSignUp(orgId, op.id, leader.signer.memberKey, { role: 'Pilot' }),
    ).rejects.toMatchObject({ name: 'PermissionDeniedError' })
    // Its modified software writes them anyway: every honest node refuses.
    await forge(m, op.id, (d) => {
      delete d.participants[other.signer.memberKey]
    })
    const removed = await judged(leader, m, op.id)
    expect(removed.reasons).toContain('removing a sign-up needs the leader or ops:manage')
    expect(removed.unchanged).toBe(true)
    expect((await leader.ops.get(orgId, op.id)).participants.map((p) => p.memberKey)).toContain(
      other.signer.memberKey,
    )
    // The leader's removal is taken everywhere.
    await officer.ops.removeSignUp(orgId, op.id, other.signer.memberKey)
    expect((await sync(officer, leader)).rejected).toEqual([])
    const view = await leader.ops.get(orgId, op.id)
    expect(view.participants.map((p) => [p.memberKey, p.state])).toEqual([[m.signer.memberKey, 'tentative']])
  })

  it("even the leader's node may sign up members only", async () => {
    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_4')
    const own = await rogue.ops.createOperation(orgId, patrol)
    const stranger = (await replica()).signer.memberKey
    await expect(rogue.ops.addSignUp(orgId, own.id, stranger, { role: 'Pilot' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'member',
    })
    await forge(rogue, own.id, (d) => {
      d.participants[stranger] = record('confirmed')
    })
    const { reasons: r } = await judged(leader, rogue, own.id)
    expect(r).toContain('only members can be signed up')
    expect((await leader.ops.get(orgId, own.id)).participants).toEqual([])
  })

  it('text and list objects are refused: fields are scalars and maps', async () => {
    const { m, op } = await memberWithOp(true)
    await forge(m, op.id, (d) => {
      ;(d.participants as Record<string, unknown>)[m.signer.memberKey] = {
        role: 'Pilot', // a plain string becomes collaborative text
        ship: null,
        slot: null,
        state: S('pending'),
        updatedAt: Date.now(),
      }
    })
    expect((await judged(leader, m, op.id)).reasons).toContain(
      'op makeText is not allowed: fields are scalars and maps',
    )
    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_3')
    await sync(leader, rogue)
    await forge(rogue, op.id, (d) => {
      ;(d as unknown as Record<string, unknown>).tags = ['a']
    })
    expect((await judged(leader, rogue, op.id)).reasons).toContain(
      'op makeList is not allowed: fields are scalars and maps',
    )
  })

  it('a member may not set root fields that never change, nor sign up while sign-ups are closed', async () => {
    const { m, op } = await memberWithOp(true)
    await officer.ops.setStatus(orgId, op.id, 'locked')
    await sync(officer, leader)
    await sync(leader, m)
    await forge(m, op.id, (d) => {
      d.participants[m.signer.memberKey] = record('pending')
    })
    expect((await judged(leader, m, op.id)).reasons).toContain(
      'sign-ups are closed (the operation is locked)',
    )

    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_4')
    await sync(leader, rogue)
    await forge(rogue, op.id, (d) => {
      d.creator = S(rogue.signer.memberKey)
    })
    expect((await judged(leader, rogue, op.id)).reasons).toContain('creator cannot change after creation')
  })

  it('a confirmed member changing his role must go back to pending', async () => {
    const { m, op } = await memberWithOp(true)
    await m.ops.signUp(orgId, op.id, { role: 'Pilot' })
    await sync(m, officer)
    await officer.ops.confirm(orgId, op.id, m.signer.memberKey)
    await sync(officer, m)
    expect((await sync(officer, leader)).rejected).toEqual([])
    await forge(m, op.id, (d) => {
      ;(d.participants[m.signer.memberKey] as ParticipantRecord).role = S('Captain')
    })
    expect((await judged(leader, m, op.id)).reasons).toContain(
      'changing a confirmed sign-up must set it back to pending or tentative',
    )
  })

  it("a kicked member's sign-up is refused; an entry without roster heads too", async () => {
    const { m, op } = await memberWithOp(true)
    await leader.org.kick(orgId, m.signer.memberKey)
    await sync(leader, m) // m has seen the kick: its roster heads include it
    await forge(m, op.id, (d) => {
      d.participants[m.signer.memberKey] = record('pending')
    })
    expect((await judged(leader, m, op.id)).reasons).toContain('the author is not a member')

    const other = await memberWithOp(true)
    await other.m.store.change<OperationDoc>(
      opDocId(orgId, other.op.id),
      { action: 'op.signup', resource: 'op:x' },
      (d) => {
        d.participants[other.m.signer.memberKey] = record('pending')
      },
    )
    expect((await judged(leader, other.m, other.op.id)).reasons).toContain(
      'the entry records no roster heads to judge it by',
    )
  })

  it('a second first change for an existing operation is refused', async () => {
    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_5')
    const { m, op } = await memberWithOp(false)
    // The rogue creates his own document under the same id, from nothing.
    const doc = await leader.store.get<OperationDoc>(opDocId(orgId, op.id))
    const copy = A.toJS(doc) as unknown as Record<string, unknown>
    await rogue.store.create<OperationDoc>(
      opDocId(orgId, op.id),
      await actionOf(rogue, orgId, 'op.create'),
      (d) => {
        Object.assign(d, copy, { title: S('Mine now'), creator: S(rogue.signer.memberKey) })
      },
    )
    const { reasons: r, unchanged } = await judged(m, rogue, op.id)
    expect(r).toContain('an operation has exactly one first change')
    expect(unchanged).toBe(true)
  })

  it('an operation id not bound to its creator is refused', async () => {
    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_6')
    const op = await officer.ops.createOperation(orgId, patrol)
    // The rogue learns the id and races his own first change for it to a node that lacks it.
    const doc = await officer.store.get<OperationDoc>(opDocId(orgId, op.id))
    const copy = A.toJS(doc) as unknown as Record<string, unknown>
    await rogue.store.create<OperationDoc>(
      opDocId(orgId, op.id),
      await actionOf(rogue, orgId, 'op.create'),
      (d) => {
        Object.assign(d, copy, { creator: S(rogue.signer.memberKey) })
      },
    )
    expect((await judged(leader, rogue, op.id)).reasons).toContain(
      'invalid operation creation: the operation id is not bound to its creator',
    )
  })
})

describe('an operation time zone, optional and checked on every node', () => {
  it('is kept when valid, refused remotely when not an IANA name, and cleared with null', async () => {
    const op = await officer.ops.createOperation(orgId, { ...patrol, timeZone: 'Europe/Berlin' })
    expect(op.timeZone).toBe('Europe/Berlin')
    expect((await sync(officer, leader)).rejected).toEqual([])
    expect((await leader.ops.get(orgId, op.id)).timeZone).toBe('Europe/Berlin')
    // Operations made without one (and before the field existed) read as none.
    expect((await officer.ops.createOperation(orgId, patrol)).timeZone).toBeNull()

    const rogue = await replica(true)
    await enlist(leader, orgId, rogue, 'officer', 'Officer_7')
    const bad = await forgeCreate(rogue, { timeZone: S('Berlin; DROP') })
    const created = await judged(leader, rogue, bad)
    expect(created.reasons).toContain(
      'invalid operation creation: timeZone must be an IANA time zone name (Europe/Berlin) or null',
    )
    expect(created.unchanged).toBe(true)
    // (Each forgery from a rogue of its own: a refused entry leaves a gap in its author's chain.)
    const rogue2 = await replica(true)
    await enlist(leader, orgId, rogue2, 'officer', 'Officer_8')
    const stray = await forgeCreate(rogue2, { zone: S('Europe/Berlin') })
    expect((await judged(leader, rogue2, stray)).reasons).toContain(
      'invalid operation creation: wrong top-level layout',
    )

    const rogue3 = await replica(true)
    await enlist(leader, orgId, rogue3, 'officer', 'Officer_9')
    await sync(leader, rogue3)
    await forge(rogue3, op.id, (d) => {
      d.timeZone = S(`Europe/${'x'.repeat(80)}`)
    })
    const edited = await judged(leader, rogue3, op.id)
    expect(edited.reasons).toContain('timeZone must be an IANA time zone name (Europe/Berlin) or null')
    expect(edited.unchanged).toBe(true)

    const cleared = await officer.ops.updateOperation(orgId, op.id, { timeZone: null })
    expect(cleared.timeZone).toBeNull()
    expect((await sync(officer, leader)).rejected).toEqual([])
    expect((await leader.ops.get(orgId, op.id)).timeZone).toBeNull()
  })

  it('is checked against Intl where it is typed, naming the field', async () => {
    await expect(
      officer.ops.createOperation(orgId, { ...patrol, timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'timeZone',
    })
    const op = await officer.ops.createOperation(orgId, patrol)
    await expect(officer.ops.updateOperation(orgId, op.id, { timeZone: 42 })).rejects.toMatchObject({
      field: 'timeZone',
    })
    expect((await officer.ops.updateOperation(orgId, op.id, { timeZone: 'UTC' })).timeZone).toBe('UTC')
  })
})

describe('judged at the change itself', () => {
  it("an op leader's edit made before he was replaced stays valid everywhere", async () => {
    const lead = await replica()
    const other = await replica()
    await enlist(leader, orgId, lead, 'member', 'Wing_Lead')
    await enlist(leader, orgId, other, 'member', 'Wing_Two')
    await sync(leader, officer)
    const op = await officer.ops.createOperation(orgId, { ...patrol, leader: lead.signer.memberKey })
    await sync(officer, lead)
    // Concurrently: the officer hands the op to another member; the old leader edits it.
    await officer.ops.updateOperation(orgId, op.id, { leader: other.signer.memberKey })
    await lead.ops.updateOperation(orgId, op.id, { description: 'Meet at Port Olisar' })
    expect((await sync(officer, leader)).rejected).toEqual([])
    expect((await sync(lead, leader)).rejected).toEqual([])
    expect(await leader.ops.get(orgId, op.id)).toMatchObject({
      leader: other.signer.memberKey,
      description: 'Meet at Port Olisar',
    })
    // Having seen the change, the old leader may no longer edit.
    await sync(leader, lead)
    await expect(lead.ops.updateOperation(orgId, op.id, { title: 'Still mine' })).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      permission: 'ops:manage',
    })
    await expect(
      lead.store.change<OperationDoc>(
        opDocId(orgId, op.id),
        await actionOf(lead, orgId, 'op.update'),
        (d) => {
          d.title = S('Still mine')
        },
      ),
    ).rejects.toThrow(/changing the operation needs its leader or ops:manage/)
  })

  it('an entry covering several changes is judged change by change', async () => {
    const { m, op } = await memberWithOp(true)
    const key = m.signer.memberKey
    const docId = opDocId(orgId, op.id)
    /** One entry of `m` covering changes made one after another on its copy of the op. */
    const entryOf = async (...steps: ((d: OperationDoc) => void)[]) => {
      let doc = A.load<OperationDoc>(A.save(await m.store.get(docId)), { actor: `${key}${'0a'.repeat(8)}` })
      const changes: Uint8Array[] = []
      for (const step of steps) {
        doc = A.change(doc, step)
        changes.push(A.getLastLocalChange(doc) as Uint8Array)
      }
      const head = await m.store.chains.head(orgId, key)
      const entry = signEntry(
        {
          scope: orgId,
          author: key,
          seq: (head?.seq ?? 0) + 1,
          prev: head?.hash ?? null,
          time: Date.now(),
          action: 'op.signup',
          resource: `op:${orgId}/${op.id}`,
          details: null,
          doc: docId,
          changes: changes.map((c) => A.decodeChange(c).hash as ChangeHash),
          authHeads: A.getHeads(await m.store.get(rosterId(orgId))) as ChangeHash[],
        },
        m.signer,
      )
      return { entries: [entry], changes }
    }
    const signUp = (d: OperationDoc) => {
      d.participants[key] = record('pending')
    }
    const selfConfirm = await entryOf(signUp, (d) => {
      ;(d.participants[key] as ParticipantRecord).state = S('confirmed')
    })
    expect(reasons(await leader.store.receive(selfConfirm))).toEqual([
      'confirming a sign-up needs the leader or ops:manage',
    ])
    const honest = await entryOf(signUp, (d) => {
      ;(d.participants[key] as ParticipantRecord).state = S('tentative')
    })
    expect((await leader.store.receive(honest)).rejected).toEqual([])
    expect((await leader.ops.get(orgId, op.id)).participants).toEqual([
      expect.objectContaining({ memberKey: key, state: 'tentative' }),
    ])
  })

  it('a late joiner takes an org with its operations in one batch', async () => {
    const m = await replica()
    await enlist(leader, orgId, m, 'member', 'Member_9')
    await sync(leader, officer)
    const op = await officer.ops.createOperation(orgId, patrol)
    await officer.ops.setStatus(orgId, op.id, 'open')
    await sync(officer, m)
    await m.ops.signUp(orgId, op.id, { role: 'Pilot' })
    const late = await replica()
    expect((await sync(m, late)).rejected).toEqual([])
    // Not a member, the late node may not read it through the service; it holds the same document.
    const docId = opDocId(orgId, op.id)
    expect(A.toJS(await late.store.get(docId))).toEqual(A.toJS(await m.store.get(docId)))
    await expect(late.ops.get(orgId, op.id)).rejects.toMatchObject({ name: 'PermissionDeniedError' })
  })
})

describe('convergence', () => {
  it('two members signing up concurrently converge to identical documents', async () => {
    const a = await replica()
    const b = await replica()
    await enlist(leader, orgId, a, 'member', 'Alpha_1')
    await enlist(leader, orgId, b, 'member', 'Bravo_1')
    const op = await officer.ops.createOperation(orgId, { ...patrol, slots: [{ role: 'Pilot' }] })
    await officer.ops.setStatus(orgId, op.id, 'open')
    await sync(officer, leader)
    await sync(leader, a)
    await sync(leader, b)
    // Concurrently: both sign up, the leader renames the op, the officer adds a slot.
    await a.ops.signUp(orgId, op.id, { role: 'Pilot', slot: op.slots[0]?.id })
    await b.ops.signUp(orgId, op.id, { role: 'Gunner', tentative: true })
    await leader.ops.updateOperation(orgId, op.id, { title: 'Stanton patrol (full)' })
    await officer.ops.addSlot(orgId, op.id, { role: 'Medic' })
    for (const [from, to] of [
      [a, b],
      [b, a],
      [officer, a],
      [leader, b],
      [a, leader],
      [b, officer],
      [leader, officer],
      [officer, leader],
      [leader, a],
      [leader, b],
    ] as const) {
      expect((await sync(from, to)).rejected).toEqual([])
    }
    const id = opDocId(orgId, op.id)
    const docs = await Promise.all([a, b, leader, officer].map((r) => r.store.get<OperationDoc>(id)))
    const heads = docs.map((d) => [...A.getHeads(d)].sort())
    for (const h of heads) expect(h).toEqual(heads[0])
    const views = await Promise.all([a, b, leader, officer].map((r) => r.ops.get(orgId, op.id)))
    for (const v of views) expect(v).toEqual(views[0])
    expect(views[0]).toMatchObject({ title: 'Stanton patrol (full)', counts: { pending: 1, tentative: 1 } })
    expect(views[0]?.slots.map((s) => s.role)).toEqual(['Medic', 'Pilot'])
    for (const d of docs) expect(A.toJS(d)).toEqual(A.toJS(docs[0] as A.Doc<OperationDoc>))
  })
})
