/**
 * Issue 11 part 4, hangars: a member's node that skips its own checks (a lawless replica)
 * writes past every hangar bound; every honest node refuses it through the real receive
 * path, with kind `oversize`, and counts it as an offence of the peer that sent it.
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { beforeEach, describe, expect, it } from 'vitest'
import type { ChangeHash, RefusalKind } from '../../../crdt/index.ts'
import { CHANGE_LIMITS } from '../../../services/change-limits.ts'
import { HANGAR_LIMITS } from '../../../services/fleet/hangar-limits.ts'
import { type HangarDoc, hangarId } from '../../../services/fleet/index.ts'
import type { OrgSummary } from '../../../services/org/org-service.ts'
import { deliver, spyKinds } from '../../helpers/refusals.ts'
import { enlist, everything, type Replica, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })
const S = (v: string) => new A.ImmutableString(v)
const heads = async (r: Replica, org: string) => A.getHeads(await r.org.roster(org)) as ChangeHash[]

function ship(id: string, fields: Record<string, unknown> = {}) {
  return {
    id: S(id),
    model: S('Cutlass Black'),
    manufacturer: S('Drake'),
    name: S(''),
    role: S(''),
    pledgeDate: null,
    cost: 0,
    insurance: S('none'),
    status: S('available'),
    location: S(''),
    visibility: S('org'),
    addedAt: 1_700_000_000_000,
    loadouts: {},
    activeLoadout: null,
    ...fields,
  }
}
const newId = () => randomBytes(8).toString('hex')

let leader: Replica
let org: OrgSummary

beforeEach(async () => {
  leader = await replica()
  org = await leader.org.createOrg({ name: 'Bounds Org', tag: 'BND', handle: 'Leader_1' })
})

describe('hangar bounds hold for remote changes', () => {
  let lawless: Replica
  let kinds: RefusalKind[]
  beforeEach(async () => {
    lawless = await replica(true)
    await enlist(leader, org.id, lawless, 'member', 'Lawless_1')
    kinds = spyKinds(leader)
  })

  /** The lawless member writes into its own hangar, skipping every check of its own. */
  async function write(fn: (d: HangarDoc) => void): Promise<void> {
    const id = hangarId(org.id, lawless.signer.memberKey)
    const action = { action: 'ship.add', resource: 'ship', authHeads: await heads(lawless, org.id) }
    if (await lawless.store.has(id)) await lawless.store.change<HangarDoc>(id, action, fn)
    else
      await lawless.store.create<HangarDoc>(id, action, (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(lawless.signer.memberKey)
        d.ships = {}
        fn(d)
      })
  }

  /** Fills the lawless member's hangar to one ship short of the bound, 111 ships a change. */
  async function fillToOneShort(): Promise<string[]> {
    const ids: string[] = []
    const perChange = 111
    for (let n = 0; n < HANGAR_LIMITS.shipsPerHangar - 1; n += perChange) {
      await write((d) => {
        for (let i = 0; i < Math.min(perChange, HANGAR_LIMITS.shipsPerHangar - 1 - n); i++) {
          const id = newId()
          ids.push(id)
          d.ships[id] = ship(id) as never
        }
      })
    }
    return ids
  }

  it('ships with 2 MB names: refused as oversize, the sender penalised, nothing stored', async () => {
    // One per change (a change of several is past the receive path's own 4 MB bound).
    await write((d) => {
      for (let i = 0; i < 1; i++) {
        const id = newId()
        d.ships[id] = ship(id, { name: S('x'.repeat(2 * 1024 * 1024)) }) as never
      }
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.accepted).toBe(0)
    expect(receipt.offences).toBeGreaterThan(0)
    expect(receipt.reasons).toContain(`changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`)
    expect(kinds).toEqual(['oversize'])
    expect(await leader.store.has(hangarId(org.id, lawless.signer.memberKey))).toBe(false)
  })

  it('a ship name of 81 characters: refused as oversize', async () => {
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id, { name: S('x'.repeat(HANGAR_LIMITS.name + 1)) }) as never
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toEqual([`ship name must be at most ${HANGAR_LIMITS.name} characters`])
    expect(receipt.offences).toBe(1)
    expect(kinds).toEqual(['oversize'])
  })

  it('a pledge id of 41 characters: refused as oversize', async () => {
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id, { pledgeId: S('9'.repeat(HANGAR_LIMITS.pledgeId + 1)) }) as never
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toEqual([
      `ship pledgeId must be text of at most ${HANGAR_LIMITS.pledgeId} characters`,
    ])
    expect(kinds).toEqual(['oversize'])
  })

  it('a pledge id that is not text: refused', async () => {
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id, { pledgeId: 40010001 }) as never
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toEqual([
      `ship pledgeId must be text of at most ${HANGAR_LIMITS.pledgeId} characters`,
    ])
    expect(kinds).toEqual(['rule'])
  })

  it('15,000 ships in one change, or a change of 2,200 small ops: refused', async () => {
    await write((d) => {
      for (let i = 0; i < 15_000; i++) d.ships[newId()] = { model: S('Aurora') } as never
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toContain(`changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`)
    const many = await replica(true)
    await enlist(leader, org.id, many, 'member', 'Lawless_4')
    await many.store.create<HangarDoc>(
      hangarId(org.id, many.signer.memberKey),
      { action: 'ship.add', resource: 'ship', authHeads: await heads(many, org.id) },
      (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(many.signer.memberKey)
        d.ships = {}
        for (let i = 0; i < 1_100; i++) d.ships[newId()] = { model: S('A') } as never
      },
    )
    expect((await deliver(many, leader, org.id)).reasons).toContain(
      `a change has more than ${CHANGE_LIMITS.opsPerChange} ops`,
    )
    expect(receipt.offences).toBeGreaterThan(0)
    expect(kinds).toEqual(['oversize', 'oversize'])
  })

  it(`more than ${HANGAR_LIMITS.shipsPerHangar} ships in a hangar, over several changes: the change past the bound is refused`, async () => {
    const perChange = 120
    for (let n = 0; n <= HANGAR_LIMITS.shipsPerHangar; n += perChange) {
      await write((d) => {
        for (let i = 0; i < perChange; i++) {
          const id = newId()
          d.ships[id] = ship(id) as never
        }
      })
    }
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons[0]).toBe(`at most ${HANGAR_LIMITS.shipsPerHangar} ships in a hangar`)
    expect(kinds).toEqual(['oversize'])
    const held = await leader.store.get<HangarDoc>(hangarId(org.id, lawless.signer.memberKey))
    expect(Object.keys(held.ships).length).toBe(
      perChange * Math.floor(HANGAR_LIMITS.shipsPerHangar / perChange),
    )
  })

  it("a batch judged at each change's deps: a later removal in the batch never makes room for an earlier addition", async () => {
    // Changes later in a batch may be applied ahead to the working copy (one Automerge
    // call for many entries); the count is still taken at each change's own deps.
    const ids = await fillToOneShort()
    expect((await deliver(lawless, leader, org.id)).reasons).toEqual([])
    const last = newId()
    await write((d) => {
      d.ships[last] = ship(last) as never // the bound exactly
    })
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id) as never // one past it
    })
    await write((d) => {
      for (const id of ids.slice(0, 5)) delete d.ships[id]
    })
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons[0]).toBe(`at most ${HANGAR_LIMITS.shipsPerHangar} ships in a hangar`)
    const held = await leader.store.get<HangarDoc>(hangarId(org.id, lawless.signer.memberKey))
    expect(Object.keys(held.ships).length).toBe(HANGAR_LIMITS.shipsPerHangar)
    expect(held.ships[last]).toBeDefined()
  })

  it('a catch-up from nothing: keys removed in the batch make room again, and the bound still holds', async () => {
    // A receiver with no history of the hangar counts keys without Automerge while every
    // key ever added fits the bound; past that it counts them at each change's deps.
    const ids = await fillToOneShort()
    await write((d) => {
      for (const id of ids.slice(0, 5)) delete d.ships[id]
    })
    const room: string[] = []
    await write((d) => {
      for (let i = 0; i < 6; i++) {
        const id = newId()
        room.push(id)
        d.ships[id] = ship(id) as never // up to the bound exactly
      }
    })
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id) as never // one past it
    })
    expect(await leader.store.has(hangarId(org.id, lawless.signer.memberKey))).toBe(false)
    const receipt = await deliver(lawless, leader, org.id)
    expect(receipt.reasons).toEqual([`at most ${HANGAR_LIMITS.shipsPerHangar} ships in a hangar`])
    expect(kinds).toEqual(['oversize'])
    const held = await leader.store.get<HangarDoc>(hangarId(org.id, lawless.signer.memberKey))
    expect(Object.keys(held.ships).length).toBe(HANGAR_LIMITS.shipsPerHangar)
    for (const id of room) expect(held.ships[id]).toBeDefined()
  })

  it('too many loadouts on a ship, or components in a loadout: refused', async () => {
    const sid = newId()
    await write((d) => {
      d.ships[sid] = ship(sid) as never
    })
    expect((await deliver(lawless, leader, org.id)).rejected).toBe(0)
    await write((d) => {
      const s = d.ships[sid] as unknown as { loadouts: Record<string, unknown> }
      for (let i = 0; i <= HANGAR_LIMITS.loadoutsPerShip; i++) {
        const lid = newId()
        s.loadouts[lid] = { id: S(lid), name: S(`L${i}`), components: {} }
      }
    })
    expect((await deliver(lawless, leader, org.id)).reasons).toContain(
      `at most ${HANGAR_LIMITS.loadoutsPerShip} loadouts on a ship`,
    )

    const other = await replica(true)
    await enlist(leader, org.id, other, 'member', 'Lawless_2')
    const id = hangarId(org.id, other.signer.memberKey)
    await other.store.create<HangarDoc>(
      id,
      { action: 'ship.add', resource: 'ship', authHeads: await heads(other, org.id) },
      (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(other.signer.memberKey)
        const lid = newId()
        const components: Record<string, unknown> = {}
        for (let i = 0; i <= HANGAR_LIMITS.componentsPerLoadout; i++)
          components[`slot ${i}`] = { item: S('Gun'), manufacturer: S('') }
        d.ships = {
          [sid]: ship(sid, { loadouts: { [lid]: { id: S(lid), name: S('PvP'), components } } }),
        } as never
      },
    )
    expect((await deliver(other, leader, org.id)).reasons).toContain(
      `at most ${HANGAR_LIMITS.componentsPerLoadout} components in a loadout`,
    )
    expect(kinds).toEqual(['oversize', 'oversize'])
  })

  it('fields outside the layout, or an entry whose changes pass the byte bound: refused', async () => {
    await write((d) => {
      const id = newId()
      d.ships[id] = ship(id, { secret: S('hidden payload') }) as never
    })
    expect((await deliver(lawless, leader, org.id)).reasons).toContain('secret is not a field of a ship')

    const big = await replica(true)
    await enlist(leader, org.id, big, 'member', 'Lawless_3')
    await big.store.create<HangarDoc>(
      hangarId(org.id, big.signer.memberKey),
      { action: 'ship.add', resource: 'ship', authHeads: await heads(big, org.id) },
      (d) => {
        d.schema = 1
        d.org = S(org.id)
        d.owner = S(big.signer.memberKey)
        const id = newId()
        // Random text does not compress: the change itself is past the bound.
        d.ships = {
          [id]: ship(id, { location: S(randomBytes(CHANGE_LIMITS.bytesPerEntry).toString('base64')) }),
        } as never
      },
    )
    expect((await deliver(big, leader, org.id)).reasons).toContain(
      `changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`,
    )
    expect(kinds).toEqual(['rule', 'oversize'])
  })

  it('a ship deleted while an officer edits it: every node takes both, whatever the order', async () => {
    const owner = await replica()
    await enlist(leader, org.id, owner, 'member', 'Owner_1')
    const s = await owner.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    await leader.store.receive(await everything(owner))
    await owner.fleet.removeShip(org.id, owner.signer.memberKey, s.id)
    await leader.fleet.updateShip(org.id, owner.signer.memberKey, s.id, { location: 'Lorville' })
    const x = await replica()
    const y = await replica()
    expect((await x.store.receive(await everything(owner))).rejected).toEqual([])
    expect((await x.store.receive(await everything(leader))).rejected).toEqual([])
    expect((await y.store.receive(await everything(leader))).rejected).toEqual([])
    expect((await y.store.receive(await everything(owner))).rejected).toEqual([])
    const hangar = hangarId(org.id, owner.signer.memberKey)
    expect(A.getHeads(await x.store.get(hangar)).sort()).toEqual(A.getHeads(await y.store.get(hangar)).sort())
  })

  it('local input still gets the same clear errors', async () => {
    await expect(
      leader.fleet.addShip(org.id, { model: 'x'.repeat(81), manufacturer: 'RSI' }),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'ship.model',
    })
    const s = await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    for (let i = 0; i < HANGAR_LIMITS.loadoutsPerShip; i++)
      await leader.fleet.addLoadout(org.id, leader.signer.memberKey, s.id, { name: `L${i}`, components: [] })
    await expect(
      leader.fleet.addLoadout(org.id, leader.signer.memberKey, s.id, { name: 'one more', components: [] }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'loadout' })
  })
})
