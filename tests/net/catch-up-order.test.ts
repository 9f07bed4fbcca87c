/**
 * A catch-up completes in one session whatever the order of authors: the responder sends
 * the org's roster first, in causal order, so a newcomer taking the history in small
 * gatherings never holds a hangar entry whose roster heads come later. Real stores over
 * an in-memory stream pair (the protocol is the same over libp2p).
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { streamPair } from '@libp2p/utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ChangeHash } from '../../crdt/index.ts'
import { requestSync, serveSync } from '../../net/sync/sync-protocol.ts'
import { type HangarDoc, hangarId } from '../../services/fleet/index.ts'
import { RosterEntries, rosterFirstOrder } from '../../services/mesh/catch-up-order.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { enlist, everything, makeReplica, type Replica } from '../helpers/replica.ts'
import { makeSigner, type TestSigner } from '../helpers/signer.ts'

const open: Replica[] = []
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
})

/** A fresh signer whose member key passes `ok`. */
function signerWhere(ok: (key: string) => boolean): TestSigner {
  for (;;) {
    const s = makeSigner()
    if (ok(s.memberKey)) return s
  }
}

async function replica(signer: TestSigner): Promise<Replica> {
  const r = await makeReplica(signer)
  open.push(r)
  return r
}

/**
 * An org whose members' keys all sort before the leader's (an unlucky order: authors are
 * served in key order), each member's ships recorded against a roster change the leader
 * made after they joined; and a member who joined first and holds none of it.
 */
async function unluckyOrg(members: number, shipsEach: number) {
  const leader = await replica(signerWhere((k) => k >= 'c'))
  const org = await leader.org.createOrg({ name: 'Order Org', tag: 'ORD', handle: 'Lead_1' })
  const newcomer = await replica(signerWhere((k) => k > leader.signer.memberKey))
  await enlist(leader, org.id, newcomer, 'member', 'Late_1')
  const others: Replica[] = []
  for (let i = 0; i < members; i++) {
    const m = await replica(signerWhere((k) => k < leader.signer.memberKey))
    await enlist(leader, org.id, m, 'member', `Pilot_${i}`)
    others.push(m)
  }
  await leader.org.updateOrg(org.id, { description: 'after everyone joined' })
  for (const m of others) {
    await m.store.receive(await everything(leader))
    for (let s = 0; s < shipsEach; s++)
      await m.fleet.addShip(org.id, { model: `Ship ${s}`, manufacturer: 'RSI' })
    await leader.store.receive(await everything(m))
  }
  return { leader, newcomer, org, others }
}

async function session(to: Replica, org: string, source: StoreSyncSource) {
  const [a, b] = await streamPair()
  const served = serveSync(b, to.signer.memberKey, source)
  const summary = await requestSync(
    a,
    org,
    new StoreSyncSource({ store: to.store, auth: to.validator.auth }),
    {
      gather: { entries: 5, bytes: 32 * 1024 * 1024 },
    },
  )
  await served
  return summary
}

describe('catch-up order', () => {
  it('a newcomer takes the whole history in one session, in small gatherings, authors in an unlucky order', async () => {
    const { leader, newcomer, org, others } = await unluckyOrg(4, 6)
    const source = new StoreSyncSource({ store: leader.store, auth: leader.validator.auth })
    const started = performance.now()
    const summary = await session(newcomer, org.id, source)
    expect(summary.rejected).toBe(0)
    expect(summary.offences).toBe(0)
    expect(performance.now() - started).toBeLessThan(10_000)
    for (const m of others) {
      const theirs = await newcomer.fleet.ships(org.id, { owner: m.signer.memberKey })
      expect(theirs).toHaveLength(6)
    }
    expect((await newcomer.org.members(org.id)).length).toBe(6)
  })

  it('without roster first the same session leaves the newcomer short (the order matters)', async () => {
    const { leader, newcomer, org } = await unluckyOrg(4, 6)
    const source = new StoreSyncSource({ store: leader.store, auth: leader.validator.auth })
    Object.defineProperty(source, 'catchUpOrder', { value: undefined })
    const summary = await session(newcomer, org.id, source)
    expect(summary.rejected).toBeGreaterThan(0)
    expect(summary.offences).toBe(0)
  })

  it('an entry stored before the bounds held, too large for a frame, is not sent: the session completes', async () => {
    const leader = await replica(signerWhere((k) => k < '8'))
    const org = await leader.org.createOrg({ name: 'Old Org', tag: 'OLD', handle: 'Lead_1' })
    const newcomer = await replica(makeSigner())
    await enlist(leader, org.id, newcomer, 'member', 'Late_1')
    const member = await replica(signerWhere((k) => k > leader.signer.memberKey))
    await enlist(leader, org.id, member, 'member', 'Pilot_1')
    await member.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
    await leader.store.receive(await everything(member))
    // The leader's node, on the old version with no bounds, wrote a 5 MB ship.
    const old = await makeReplica(leader.signer, { lawless: true })
    open.push(old)
    await old.store.receive(await everything(leader))
    await old.store.create<HangarDoc>(
      hangarId(org.id, leader.signer.memberKey),
      {
        action: 'ship.add',
        resource: 'ship',
        authHeads: A.getHeads(await old.org.roster(org.id)) as ChangeHash[],
      },
      (d) => {
        d.schema = 1
        d.org = new A.ImmutableString(org.id)
        d.owner = new A.ImmutableString(leader.signer.memberKey)
        d.ships = {
          x: { location: new A.ImmutableString(randomBytes(5 * 1024 * 1024).toString('base64')) },
        } as never
      },
    )
    const [a, b] = await streamPair()
    const served = serveSync(
      b,
      newcomer.signer.memberKey,
      new StoreSyncSource({ store: old.store, auth: old.validator.auth }),
    )
    const summary = await requestSync(
      a,
      org.id,
      new StoreSyncSource({ store: newcomer.store, auth: newcomer.validator.auth }),
    )
    await served
    expect(summary.offences).toBe(0)
    expect(await newcomer.fleet.ships(org.id, { owner: member.signer.memberKey })).toHaveLength(1)
  })

  it('roster entries found by one catch-up are kept: the next reads only entries stored since, and orders as a fresh read does', async () => {
    const { leader, org, others } = await unluckyOrg(2, 2)
    const store = leader.store
    const lead = leader.signer.memberKey
    const found = new RosterEntries()
    const none = new Map<string, number>()
    const first = await rosterFirstOrder(store, org.id, none, found)
    expect(first.length).toBeGreaterThan(0)
    expect(first).toEqual(await rosterFirstOrder(store, org.id, none))
    const heads = new Map<string, number>()
    for (const a of await store.chains.authors(org.id))
      heads.set(a, (await store.chains.head(org.id, a))?.seq ?? 0)

    // The leader changes the roster and a member's ship; the next catch-up reads the new entries only.
    await leader.org.updateOrg(org.id, { description: 'later' })
    const member = others[0] as Replica
    await member.store.receive(await everything(leader))
    await member.fleet.addShip(org.id, { model: 'Later', manufacturer: 'RSI' })
    await store.receive(await everything(member))
    const packed = vi.spyOn(store.chains, 'packed')
    const next = await rosterFirstOrder(store, org.id, none, found)
    const reads = packed.mock.calls.map(([, author, from]) => [author, from])
    packed.mockRestore()
    expect(reads.sort()).toEqual(
      [
        [lead, (heads.get(lead) ?? 0) + 1],
        [member.signer.memberKey, (heads.get(member.signer.memberKey) ?? 0) + 1],
      ].sort(),
    )
    expect(next).toEqual(await rosterFirstOrder(store, org.id, none))
    expect(next[next.length - 1]).toEqual([lead, (heads.get(lead) ?? 0) + 1])

    // Read first from a peer's heads, then for a peer further behind: the earlier entries are read then.
    const later = new RosterEntries()
    const ahead = new Map([[lead, 2]])
    expect(await rosterFirstOrder(store, org.id, ahead, later)).toEqual(
      await rosterFirstOrder(store, org.id, ahead),
    )
    expect(await rosterFirstOrder(store, org.id, none, later)).toEqual(next)
  })
})
