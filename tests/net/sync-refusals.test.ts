/**
 * What the sync protocol refuses, and how it says so: a removed member is told with the
 * `removed` code; a stalled peer's stream is closed after the frame timeout (either
 * side); a stranger's request names the org but is answered with nothing about it;
 * offences are counted on refusal kinds, never on the reasons' wording.
 */
import { lpStream, streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { type ChangeValidator, type MemberKey, packEntry, parseDocId } from '../../crdt/index.ts'
import { decodeMessage, encodeMessage } from '../../net/sync/messages.ts'
import { requestSync, SyncRefusedError, SyncStalledError, serveSync } from '../../net/sync/sync-protocol.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { AuthIndex } from '../../services/org/auth-index.ts'
import { enlist, everything, type Replica, useReplicas } from '../helpers/replica.ts'
import { TEST_SCOPE } from '../helpers/signer.ts'
import { batchOf, useStores } from '../helpers/store.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const replicas = useReplicas()
const stores = useStores(useTempDirs('vg-sync-refusals-'))
const source = (r: Replica) => new StoreSyncSource({ store: r.store, auth: r.validator.auth })

async function orgWithMember() {
  const leader = await replicas()
  const member = await replicas()
  const org = await leader.org.createOrg({ name: 'Refusals', tag: 'REF', handle: 'Lead_R' })
  await enlist(leader, org.id, member, 'member', 'Mem_R')
  return { leader, member, org }
}

describe('sync refusals', () => {
  it('a removed member is told plainly, with the removed code; a stranger gets not-member and nothing else', async () => {
    const { leader, member, org } = await orgWithMember()
    await leader.org.kick(org.id, member.signer.memberKey)
    expect(await source(leader).standing(org.id, member.signer.memberKey)).toBe('removed')
    const [a, b] = await streamPair()
    const served = serveSync(b, member.signer.memberKey, source(leader)).catch((e: unknown) => e)
    const refused = await requestSync(a, org.id, source(member)).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(SyncRefusedError)
    expect(refused).toMatchObject({ code: 'removed', org: org.id, message: 'you were removed from this org' })
    expect(await served).toMatchObject({ code: 'removed' })

    // A stranger asking for the org (it knows the id) is answered with the refusal only.
    const stranger = await replicas()
    expect(await source(leader).standing(org.id, stranger.signer.memberKey)).toBe('stranger')
    const [c, d] = await streamPair()
    const serving = serveSync(d, stranger.signer.memberKey, source(leader)).catch(() => {})
    const lp = lpStream(c)
    await lp.write(encodeMessage({ t: 'req', org: org.id, heads: [] }))
    const frames: unknown[] = []
    try {
      for (;;) frames.push(decodeMessage((await lp.read()).subarray()))
    } catch {}
    await serving
    expect(frames).toEqual([{ t: 'err', reason: 'not a member of this org', code: 'not-member' }])
  })

  it('heads name only authors the org knows; an org this node does not hold has none', async () => {
    const { leader, member, org } = await orgWithMember()
    // The member's own chain starts with its first action (its admission is the leader's entry).
    await member.fleet.addShip(org.id, { model: 'Aurora MR', manufacturer: 'RSI' })
    await leader.store.receive(await everything(member))
    // The leader also holds another org, with an author of its own that this org does not know.
    const other = await replicas()
    await other.org.createOrg({ name: 'Other', tag: 'OTH', handle: 'Lead_O' })
    await leader.store.receive(await everything(other))
    const heads = await source(leader).heads(org.id)
    expect([...heads.keys()].sort()).toEqual([leader.signer.memberKey, member.signer.memberKey].sort())
    expect((await source(leader).heads('0f'.repeat(16))).size).toBe(0)
  })

  it('a responder that stalls is cut off after the frame timeout, and so is a requester that sends nothing', async () => {
    const { member, org } = await orgWithMember()
    const [a, b] = await streamPair()
    // b never answers.
    const start = Date.now()
    const stalled = await requestSync(a, org.id, source(member), { frameTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    )
    expect(stalled).toBeInstanceOf(SyncStalledError)
    expect(Date.now() - start).toBeLessThan(3_000)
    void b

    const [c, d] = await streamPair()
    const t0 = Date.now()
    const silent = await serveSync(d, member.signer.memberKey, source(member), { frameTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    )
    expect(silent).toBeInstanceOf(SyncStalledError)
    expect(Date.now() - t0).toBeLessThan(3_000)
    void c
  })

  it('offences are counted on kinds: an innocent-sounding reason of an offending kind counts, and the reverse does not', async () => {
    const verdicts: { reason: string; kind: 'rule' | 'budget' }[] = [
      { reason: 'missing earlier entries (have up to 0)', kind: 'rule' },
      { reason: 'entry 1 does not verify: bad signature', kind: 'budget' },
    ]
    const offences: number[] = []
    for (const v of verdicts) {
      const author = await stores.open()
      const docId = parseDocId('org:kinds')
      await author.store.create(
        docId,
        { action: 'org.create', resource: docId },
        (d: Record<string, unknown>) => {
          d.name = 'Kinds'
        },
      )
      const validator: ChangeValidator = { validate: () => ({ ok: false, ...v }) }
      const b = await stores.open({ validator })
      const src = new StoreSyncSource({ store: b.store, auth: new AuthIndex({ roster: async () => null }) })
      const batch = await batchOf(author.store, author.signer.memberKey as MemberKey, docId)
      const r = await src.receive(TEST_SCOPE, {
        entries: batch.entries.map((e) => packEntry(e)),
        changes: batch.changes,
      })
      expect(r.rejected).toBe(1)
      expect(r.byKind.get(v.kind)).toBe(1)
      offences.push(r.offences)
    }
    expect(offences).toEqual([1, 0])
  })
})
