/**
 * Sync 1.1.0's heads digest: two nodes in sync exchange one small frame each way and
 * nothing is read; a difference falls back to the full heads and catches up; a stranger's
 * digest is refused before any heads are read; a 1.0.0 responder refuses a digest; a
 * peer that answers "same" falsely holds back nothing from the full request that follows
 * (pull-schedule.ts bounds how long that takes); the source's heads are the same map
 * while nothing changed, and a new one after any change.
 */
import { lpStream, streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { headsDigest } from '../../net/sync/heads-digest.ts'
import { decodeMessage, encodeMessage } from '../../net/sync/messages.ts'
import { requestSync, SyncRefusedError, type SyncSource, serveSync } from '../../net/sync/sync-protocol.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { enlist, type Replica, useReplicas } from '../helpers/replica.ts'

const replicas = useReplicas()
const source = (r: Replica) => new StoreSyncSource({ store: r.store, auth: r.validator.auth })

async function orgInSync() {
  const leader = await replicas()
  const member = await replicas()
  const org = await leader.org.createOrg({ name: 'Digest Org', tag: 'DIG', handle: 'Lead_D' })
  await enlist(leader, org.id, member, 'member', 'Mem_D')
  await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
  // Brought level by a full pull (no digest).
  const [a, b] = await streamPair()
  const served = serveSync(b, member.signer.memberKey, source(leader), { digest: true })
  await requestSync(a, org.id, source(member))
  await served
  return { leader, member, org }
}

/** A source that counts the calls that read heads or entries. */
function counted(src: StoreSyncSource, calls: string[]): SyncSource {
  const count =
    <A extends unknown[], R>(name: string, f: (...a: A) => Promise<R>) =>
    (...a: A) => {
      calls.push(name)
      return f(...a)
    }
  return {
    mayServe: count('mayServe', src.mayServe.bind(src)),
    standing: count('standing', src.standing.bind(src)),
    heads: count('heads', src.heads.bind(src)),
    receive: count('receive', src.receive.bind(src)),
    entriesAfter: count('entriesAfter', src.entriesAfter.bind(src)),
    snapshot: count('snapshot', src.snapshot.bind(src)),
    catchUpOrder: count('catchUpOrder', src.catchUpOrder.bind(src)),
  }
}

describe('sync heads digest', () => {
  it('two nodes in sync exchange only the digest and `same`: nothing read, ordered or stored', async () => {
    const { leader, member, org } = await orgInSync()
    const calls: string[] = []
    // The requester's side, frame by frame.
    const [a, b] = await streamPair()
    const served = serveSync(b, member.signer.memberKey, counted(source(leader), calls), { digest: true })
    const lp = lpStream(a)
    const dig = encodeMessage({
      t: 'dig',
      org: org.id,
      digest: headsDigest(org.id, await source(member).heads(org.id)),
    })
    await lp.write(dig)
    expect(decodeMessage((await lp.read()).subarray())).toEqual({ t: 'same' })
    await a.close()
    expect(await served).toEqual({ sent: 0, peerAhead: false, ahead: new Map(), org: org.id })
    expect(calls).toEqual(['standing', 'mayServe', 'heads'])
    // The digest frame is small whatever the number of authors; the heads request is not.
    const heads = [...(await source(member).heads(org.id))]
    expect(dig.length).toBeLessThan(100)
    expect(dig.length).toBeLessThan(encodeMessage({ t: 'req', org: org.id, heads }).length)
    // Through requestSync: the pull is over after `same`, and nothing was received.
    const [c, d] = await streamPair()
    const again = serveSync(d, member.signer.memberKey, source(leader), { digest: true })
    const mine: string[] = []
    const summary = await requestSync(c, org.id, counted(source(member), mine), { digest: true })
    await again
    expect(summary).toMatchObject({ same: true, accepted: 0, batches: 0 })
    expect(mine).not.toContain('receive')
  })

  it('a difference either way falls back to the full heads: the requester catches up, the responder learns it is behind', async () => {
    const { leader, member, org } = await orgInSync()
    const session = async (from: Replica, to: Replica) => {
      const [a, b] = await streamPair()
      const served = serveSync(b, to.signer.memberKey, source(from), { digest: true })
      const summary = await requestSync(a, org.id, source(to), { digest: true })
      return { summary, served: await served }
    }
    await leader.fleet.addShip(org.id, { model: 'Cutter', manufacturer: 'Drake' })
    const caught = await session(leader, member)
    expect(caught.summary).toMatchObject({ same: false, rejected: 0 })
    expect(caught.summary.accepted).toBeGreaterThan(0)
    const lead = leader.signer.memberKey
    expect((await member.store.chains.head(org.id, lead))?.seq).toBe(
      (await leader.store.chains.head(org.id, lead))?.seq,
    )
    // The member is ahead now: the leader's request names it, the member's serve says so.
    await member.fleet.addShip(org.id, { model: 'Vulture', manufacturer: 'Drake' })
    const back = await session(member, leader)
    expect(back.summary.accepted).toBeGreaterThan(0)
    expect(back.served.sent).toBeGreaterThan(0)
    // Level again: the digests match.
    expect((await session(leader, member)).summary.same).toBe(true)
  })

  it("a stranger's digest is refused before any heads are read; a 1.0.0 responder refuses a digest", async () => {
    const { leader, org } = await orgInSync()
    const outsider = await replicas()
    const calls: string[] = []
    const [a, b] = await streamPair()
    const served = serveSync(b, outsider.signer.memberKey, counted(source(leader), calls), {
      digest: true,
    }).catch((e: unknown) => e)
    const refused = await requestSync(a, org.id, source(outsider), { digest: true }).catch((e: unknown) => e)
    expect(refused).toMatchObject({ name: 'SyncRefusedError', code: 'not-member' })
    expect(await served).toBeInstanceOf(SyncRefusedError)
    expect(calls).not.toContain('heads')
    expect(await outsider.store.list()).toEqual([])
    // Protocol 1.0.0 knows no digest: a bad request.
    const { member } = await orgInSync()
    const [c, d] = await streamPair()
    const old = serveSync(d, member.signer.memberKey, source(leader)).catch((e: unknown) => e)
    const r = await requestSync(c, org.id, source(member), { digest: true }).catch((e: unknown) => e)
    expect(r).toMatchObject({ name: 'SyncRefusedError', code: 'bad-request' })
    expect(await old).toBeInstanceOf(SyncRefusedError)
  })

  it('a peer that answers `same` falsely hides nothing from the full request that follows', async () => {
    const { leader, member, org } = await orgInSync()
    await leader.fleet.addShip(org.id, { model: 'Cutter', manufacturer: 'Drake' })
    const lead = leader.signer.memberKey
    const before = (await member.store.chains.head(org.id, lead))?.seq
    // The liar: `same` to any digest.
    const [a, b] = await streamPair()
    const liar = (async () => {
      const lp = lpStream(b)
      expect(decodeMessage((await lp.read()).subarray()).t).toBe('dig')
      await lp.write(encodeMessage({ t: 'same' }))
      await b.close()
    })()
    expect(await requestSync(a, org.id, source(member), { digest: true })).toMatchObject({ same: true })
    await liar
    expect((await member.store.chains.head(org.id, lead))?.seq).toBe(before)
    // The full check (the mesh sends one per org every FULL_CHECK_ROUNDS intervals) gets it.
    const [c, d] = await streamPair()
    const served = serveSync(d, member.signer.memberKey, source(leader), { digest: true })
    expect((await requestSync(c, org.id, source(member))).accepted).toBeGreaterThan(0)
    await served
    expect((await member.store.chains.head(org.id, lead))?.seq).toBeGreaterThan(before ?? 0)
  })

  it("the source's heads are the same map while nothing changed, and a new one after a change or a roster change", async () => {
    const { leader, member, org } = await orgInSync()
    const src = source(leader)
    const first = await src.heads(org.id)
    expect(await src.heads(org.id)).toBe(first)
    const digest = headsDigest(org.id, first)
    await leader.fleet.addShip(org.id, { model: 'Cutter', manufacturer: 'Drake' })
    const second = await src.heads(org.id)
    expect(second).not.toBe(first)
    expect(headsDigest(org.id, second)).not.toEqual(digest)
    // A roster change (the member removed): its chain no longer counts.
    await leader.org.kick(org.id, member.signer.memberKey)
    const third = await src.heads(org.id)
    expect(third).not.toBe(second)
    expect(headsDigest(org.id, third)).not.toEqual(headsDigest(org.id, second))
  })
})
