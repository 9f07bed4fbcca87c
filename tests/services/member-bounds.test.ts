/**
 * Issue 11 part 4, rosters, operations, entries and the write budget: a node that skips
 * its own checks (a lawless replica) writes past every bound; every honest node refuses
 * it through the real receive path, with kind `oversize`, and counts it as an offence of
 * the peer that sent it (hangars: tests/services/fleet/hangar-bounds.test.ts).
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { type ChangeHash, decodeEntry, ENTRY_LIMITS, MemoryStorage, WriteBudget } from '../../crdt/index.ts'
import { CHANGE_LIMITS } from '../../services/change-limits.ts'
import { type HangarDoc, hangarId } from '../../services/fleet/index.ts'
import { OP_LIMITS, type OperationDoc, opDocId } from '../../services/operations/op-schema.ts'
import { OperationsService } from '../../services/operations/operations-service.ts'
import { newInviteId, signInvite } from '../../services/org/invite.ts'
import { signJoinRequest } from '../../services/org/join-request.ts'
import { rosterId } from '../../services/org/org-service.ts'
import type { RosterDoc } from '../../services/org/roster-schema.ts'
import { ROSTER_LIMITS } from '../../services/org/validation.ts'
import { deliver, spyKinds } from '../helpers/refusals.ts'
import { makeReplica, type Replica, useReplicas } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const replica = useReplicas({ storage: 'memory' })
const S = (v: string) => new A.ImmutableString(v)
const heads = async (r: Replica, org: string) => A.getHeads(await r.org.roster(org)) as ChangeHash[]

const newId = () => randomBytes(8).toString('hex')

/** Founders' nodes opened here (closed after each test, with the replicas). */
const founders: Replica[] = []
afterEach(async () => {
  for (const r of founders.splice(0)) await r.close()
})

/**
 * An org founded by a node that turns lawless, an honest observer that receives what it
 * writes. With `members`, the founder's node first admits them with its own checks on
 * (which keep the roster's authorization state cached: each admission a lookup, where a
 * lawless store reads the whole roster again for the next one), then runs modified
 * software on the same data.
 */
async function lawlessOrg(members = 0) {
  const signer = makeSigner()
  const memory = new MemoryStorage()
  const honest = await makeReplica(signer, { memory })
  founders.push(honest)
  const observer = await replica()
  const o = await honest.org.createOrg({ name: 'Lawless Org', tag: 'LAW', handle: 'Boss_1' })
  // Members join as they must: each admitted by the founder with an invite of its own.
  const keys: string[] = []
  for (let i = 0; i < members; i++) {
    const newcomer = makeSigner()
    // The invite as createInvite signs it (without its per-call roster checks: a thousand of them).
    const now = Date.now()
    const token = signInvite(
      {
        id: newInviteId(),
        orgId: o.id,
        inviter: signer.memberKey,
        rank: 'member',
        issuedAt: now,
        expiresAt: now + 3_600_000,
        bootstrap: [],
      },
      signer,
    )
    const request = signJoinRequest({ orgId: o.id, token, handle: `Pilot_${i}` }, newcomer)
    const answer = await honest.invites.admit(request)
    if (!answer.ok) throw new Error(`not admitted: ${answer.reason}`)
    keys.push(newcomer.memberKey)
  }
  await honest.close()
  founders.splice(founders.indexOf(honest), 1)
  const founder = await makeReplica(signer, { lawless: true, memory })
  founders.push(founder)
  const ops = new OperationsService({
    store: founder.store,
    signer: founder.signer,
    auth: founder.validator.auth,
  })
  const op = await ops.createOperation(o.id, {
    title: 'Big op',
    type: 'mining',
    scheduledAt: Date.now() + 3_600_000,
    durationMin: 60,
    slots: Array.from({ length: OP_LIMITS.slotsPerOp }, () => ({ role: 'miner' })),
  })
  expect((await deliver(founder, observer, o.id)).rejected).toBe(0)
  const kinds = spyKinds(observer)
  const opChange = async (fn: (d: OperationDoc) => void) =>
    founder.store.change<OperationDoc>(
      opDocId(o.id, op.id),
      { action: 'op.update', resource: `op:${o.id}`, authHeads: await heads(founder, o.id) },
      fn,
    )
  return { founder, observer, org: o, keys, kinds, opChange }
}

describe('roster, operation and entry bounds hold for remote changes', () => {
  it('roster: an org description of 2 MB is refused', async () => {
    const { founder, observer, org: o, kinds } = await lawlessOrg()
    await founder.store.change<RosterDoc>(
      rosterId(o.id),
      { action: 'org.update', resource: `org:${o.id}` },
      (d) => {
        d.org.description = S('x'.repeat(2 * 1024 * 1024))
      },
    )
    const receipt = await deliver(founder, observer, o.id)
    expect(receipt.reasons).toContain(`changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`)
    expect(receipt.offences).toBeGreaterThan(0)
    expect(kinds).toEqual(['oversize'])
  })

  it(`roster: ranks past ${ROSTER_LIMITS.ranks} are refused`, async () => {
    const { founder, observer, org: o, kinds } = await lawlessOrg()
    await founder.store.change<RosterDoc>(
      rosterId(o.id),
      { action: 'rank.create', resource: `org:${o.id}` },
      (d) => {
        for (let i = 0; i < ROSTER_LIMITS.ranks; i++) {
          d.rankName[`r-${i}`] = S(`Rank ${i}`)
          d.rankLevel[`r-${i}`] = 2 + i
          d.rankPerms[`r-${i}`] = S('')
        }
      },
    )
    expect((await deliver(founder, observer, o.id)).reasons).toEqual([
      `an org has at most ${ROSTER_LIMITS.ranks} ranks`,
    ])
    expect(kinds).toEqual(['oversize'])
  })

  it(`operations: a slot past ${OP_LIMITS.slotsPerOp} is refused`, async () => {
    const { founder, observer, org: o, kinds, opChange } = await lawlessOrg()
    await opChange((d) => {
      d.slots[newId()] = { role: S('miner'), ship: null }
    })
    expect((await deliver(founder, observer, o.id)).reasons).toContain(
      `at most ${OP_LIMITS.slotsPerOp} slots`,
    )
    expect(kinds).toEqual(['oversize'])
  })

  it('roster and operations: text a little past its bound is refused as oversize', async () => {
    const a = await lawlessOrg()
    await a.founder.store.change<RosterDoc>(
      rosterId(a.org.id),
      { action: 'org.update', resource: 'org' },
      (d) => {
        d.org.description = S('x'.repeat(2001))
      },
    )
    expect((await deliver(a.founder, a.observer, a.org.id)).reasons).toEqual(['description is too long'])
    const b = await lawlessOrg()
    await b.opChange((d) => {
      d.title = S('x'.repeat(101))
    })
    expect((await deliver(b.founder, b.observer, b.org.id)).reasons).toEqual([
      'title must be 1 to 100 characters',
    ])
    expect([...a.kinds, ...b.kinds]).toEqual(['oversize', 'oversize'])
  })

  it('operations: a 2 MB title is refused', async () => {
    const { founder, observer, org: o, kinds, opChange } = await lawlessOrg()
    await opChange((d) => {
      d.title = S('x'.repeat(2 * 1024 * 1024))
    })
    expect((await deliver(founder, observer, o.id)).reasons[0]).toMatch(/^changes of one entry exceed/)
    expect(kinds).toEqual(['oversize'])
  })

  it(`operations: sign-ups past ${OP_LIMITS.signUpsPerOp} are refused`, { timeout: 120_000 }, async () => {
    const { founder, observer, org: o, keys, kinds, opChange } = await lawlessOrg(OP_LIMITS.signUpsPerOp + 1)
    for (let i = 0; i < keys.length; i += 300) {
      await opChange((d) => {
        for (const k of keys.slice(i, i + 300))
          d.participants[k] = { role: S('miner'), ship: null, slot: null, state: S('pending'), updatedAt: 1 }
      })
    }
    expect((await deliver(founder, observer, o.id)).reasons[0]).toBe(
      `at most ${OP_LIMITS.signUpsPerOp} sign-ups`,
    )
    expect(kinds).toEqual(['oversize'])
  })

  it('an entry past ENTRY_LIMITS is refused before anything else, as oversize', async () => {
    const observer = await replica()
    const bytes = new Uint8Array(ENTRY_LIMITS.maxBytes + 1)
    const signed = { bytes, signature: new Uint8Array(64) }
    expect(decodeEntry(signed)).toMatchObject({ ok: false, kind: 'oversize' })
    const result = await observer.store.receive({ entries: [signed], changes: [] })
    expect(result.rejected.map((r) => r.reason)).toEqual(['undecodable entry: entry too large'])
  })

  it('entries past an author’s write budget are refused as budget: no offence, and they are taken later', async () => {
    const leader = await replica()
    const org = await leader.org.createOrg({ name: 'Bounds Org', tag: 'BND', handle: 'Leader_1' })
    let now = 0
    const budget = new WriteBudget({ burstEntries: 3, entriesPerMinute: 60, now: () => now })
    const observer = await makeReplica(makeSigner(), { budget, storage: 'memory' })
    try {
      for (let i = 0; i < 4; i++)
        await leader.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI' })
      const first = await deliver(leader, observer, org.id)
      expect(first.accepted).toBe(3)
      expect(first.rejected).toBeGreaterThan(0)
      expect(first.offences).toBe(0)
      now += 60_000
      const later = await deliver(leader, observer, org.id)
      expect(later.rejected).toBe(0)
      const hangar = await observer.store.get<HangarDoc>(hangarId(org.id, leader.signer.memberKey))
      expect(Object.keys(hangar.ships)).toHaveLength(4)
      expect((await observer.store.chains.head(org.id, leader.signer.memberKey))?.seq).toBe(
        (await leader.store.chains.head(org.id, leader.signer.memberKey))?.seq,
      )
    } finally {
      await observer.close()
    }
  })
})
