/**
 * The catch-up protocol between real stores: bounded batches, resume after a dropped
 * stream, members only, hostile frames. Over an in-memory stream pair, then over real
 * libp2p hosts on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import * as dagCbor from '@ipld/dag-cbor'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { ed25519PrivateKeyObject, ed25519RawPublicKey, toHex } from '../../crdt/index.ts'
import { createHost, type Host } from '../../net/index.ts'
import { encodeMessage, SYNC_LIMITS, SYNC_PROTOCOL, SyncProtocolError } from '../../net/sync/messages.ts'
import { requestSync, SyncRefusedError, serveSync } from '../../net/sync/sync-protocol.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { enlist, makeReplica, type Replica } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const open: Replica[] = []
const hosts: Host[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop()
  for (const r of open.splice(0)) await r.close()
})

async function replica(seed?: Uint8Array): Promise<Replica> {
  const r = await makeReplica(makeSigner(seed))
  open.push(r)
  return r
}
const source = (r: Replica) => new StoreSyncSource({ store: r.store, auth: r.validator.auth })

/** A leader with an org and `ships` ship changes, and a member who joined before them. */
async function orgWithHistory(ships: number, seeds: { leader?: Uint8Array; member?: Uint8Array } = {}) {
  const leader = await replica(seeds.leader)
  const member = await replica(seeds.member)
  const org = await leader.org.createOrg({ name: 'Sync Org', tag: 'SYNC', handle: 'Lead_1' })
  await enlist(leader, org.id, member, 'member', 'Mem_1')
  const ship = await leader.fleet.addShip(org.id, { model: 'Carrack', manufacturer: 'Anvil' })
  for (let i = 1; i < ships; i++)
    await leader.fleet.updateShip(org.id, leader.signer.memberKey, ship.id, { name: `Carrack ${i}` })
  return { leader, member, org }
}

async function heads(r: Replica, docId: string): Promise<string[]> {
  return A.getHeads(await r.store.get(docId as never))
}

describe('sync protocol', () => {
  it('a member catches up on 2,000 changes in bounded batches and converges', async () => {
    const { leader, member, org } = await orgWithHistory(2_000)
    const [a, b] = await streamPair()
    const served = serveSync(b, member.signer.memberKey, source(leader))
    const summary = await requestSync(a, org.id, source(member))
    await served
    expect(summary.rejected).toBe(0)
    expect(summary.accepted).toBeGreaterThanOrEqual(2_000)
    expect(summary.batches).toBeGreaterThanOrEqual(Math.ceil(2_000 / SYNC_LIMITS.maxBatchEntries))
    const hangar = `hangar:${org.id}.${leader.signer.memberKey}`
    expect(await heads(member, hangar)).toEqual(await heads(leader, hangar))
    // Nothing left to send the second time.
    const [c, d] = await streamPair()
    const again = serveSync(d, member.signer.memberKey, source(leader))
    expect(await requestSync(c, org.id, source(member))).toMatchObject({ accepted: 0, batches: 0 })
    await again
  })

  it("the responder sends the hangar's snapshot; a snapshot with history no entry covers is ignored", async () => {
    for (const forge of [false, true]) {
      const { leader, member, org } = await orgWithHistory(400)
      const hangar = `hangar:${org.id}.${leader.signer.memberKey}`
      const src = source(leader)
      const asked: string[] = []
      const serving = {
        mayServe: src.mayServe.bind(src),
        standing: src.standing.bind(src),
        heads: src.heads.bind(src),
        entriesAfter: src.entriesAfter.bind(src),
        receive: src.receive.bind(src),
        // Honest, or with an extra ship that no entry covers.
        snapshot: async (o: string, doc: string, max: number) => {
          asked.push(doc)
          const bytes = await src.snapshot(o, doc, max)
          if (!forge || bytes === null) return bytes
          const forged = A.change(A.load<{ ships: Record<string, unknown> }>(bytes), (d) => {
            d.ships.mallory = { model: 'Idris', manufacturer: 'Aegis' }
          })
          return A.save(forged)
        },
      }
      const [a, b] = await streamPair()
      const served = serveSync(b, member.signer.memberKey, serving)
      expect(await requestSync(a, org.id, source(member))).toMatchObject({ rejected: 0, offences: 0 })
      await served
      expect(asked).toEqual([hangar])
      expect(await heads(member, hangar)).toEqual(await heads(leader, hangar))
      const ships = A.toJS(await member.store.get<{ ships: Record<string, unknown> }>(hangar as never)).ships
      expect(Object.keys(ships)).toHaveLength(1)
      expect(ships.mallory).toBeUndefined()
    }
  })

  it('a dropped stream loses nothing: the next request resumes from what arrived', async () => {
    const { leader, member, org } = await orgWithHistory(2_500)
    const [a, b] = await streamPair()
    const src = source(member)
    let batches = 0
    // The leader sends its last batch only once the cut is made: else a quick responder
    // has sent everything before it, and the requester reads it all from its buffer.
    let cutMade = () => {}
    const made = new Promise<void>((resolve) => {
      cutMade = resolve
    })
    const lead = source(leader)
    const gated = {
      mayServe: lead.mayServe.bind(lead),
      standing: lead.standing.bind(lead),
      heads: lead.heads.bind(lead),
      catchUpOrder: lead.catchUpOrder.bind(lead),
      snapshot: lead.snapshot.bind(lead),
      receive: lead.receive.bind(lead),
      entriesAfter: async (...args: Parameters<StoreSyncSource['entriesAfter']>) => {
        if (args[2] >= 2_000) await made
        return lead.entriesAfter(...args)
      },
    }
    const cut = {
      ...src,
      mayServe: src.mayServe.bind(src),
      standing: src.standing.bind(src),
      heads: src.heads.bind(src),
      entriesAfter: src.entriesAfter.bind(src),
      snapshot: src.snapshot.bind(src),
      receive: async (o: string, batch: Parameters<StoreSyncSource['receive']>[1]) => {
        const r = await src.receive(o, batch)
        if (++batches === 1) {
          a.abort(new Error('connection lost'))
          cutMade()
        }
        return r
      },
    }
    serveSync(b, member.signer.memberKey, gated).catch(() => {})
    // Stores every 1,000 entries (a real catch-up gathers up to 20,000).
    await expect(
      requestSync(a, org.id, cut, { gather: { entries: 1_000, bytes: 1 << 24 } }),
    ).rejects.toThrow()
    const partial = (await member.store.chains.head(org.id, leader.signer.memberKey))?.seq ?? 0
    const full = (await leader.store.chains.head(org.id, leader.signer.memberKey))?.seq ?? 0
    expect(partial).toBeGreaterThan(0)
    expect(partial).toBeLessThan(full)
    const [c, d] = await streamPair()
    const served = serveSync(d, member.signer.memberKey, source(leader))
    const summary = await requestSync(c, org.id, src)
    await served
    expect(summary.rejected).toBe(0)
    expect((await member.store.chains.head(org.id, leader.signer.memberKey))?.seq).toBe(full)
  })

  it('two nodes in sync: the answer is `done` alone, nothing read or ordered; a requester ahead is told apart', async () => {
    const { leader, member, org } = await orgWithHistory(20)
    const calls: string[] = []
    const counted = (r: Replica) => {
      const src = source(r)
      return {
        mayServe: src.mayServe.bind(src),
        standing: src.standing.bind(src),
        heads: src.heads.bind(src),
        receive: src.receive.bind(src),
        entriesAfter: async (...args: Parameters<StoreSyncSource['entriesAfter']>) => {
          calls.push('entriesAfter')
          return src.entriesAfter(...args)
        },
        snapshot: async (...args: Parameters<StoreSyncSource['snapshot']>) => {
          calls.push('snapshot')
          return src.snapshot(...args)
        },
        catchUpOrder: async (...args: Parameters<StoreSyncSource['catchUpOrder']>) => {
          calls.push('catchUpOrder')
          return src.catchUpOrder(...args)
        },
      }
    }
    const session = async (from: Replica, to: Replica) => {
      const [a, b] = await streamPair()
      const served = serveSync(b, to.signer.memberKey, counted(from))
      const summary = await requestSync(a, org.id, source(to))
      return { summary, served: await served }
    }
    // Catching up reads entries and orders the roster first.
    expect((await session(leader, member)).summary.accepted).toBeGreaterThan(0)
    expect(calls).toContain('entriesAfter')
    expect(calls).toContain('catchUpOrder')
    calls.length = 0
    // In sync: nothing read, nothing ordered, nothing sent, and the peer is not ahead.
    const again = await session(leader, member)
    expect(again.summary).toMatchObject({ accepted: 0, rejected: 0, batches: 0 })
    expect(again.served).toEqual({ sent: 0, peerAhead: false, ahead: new Map(), org: org.id })
    expect(calls).toEqual([])
    // The member changes something: the leader, asked by it, learns it is ahead.
    await member.fleet.addShip(org.id, { model: 'Cutter', manufacturer: 'Drake' })
    const ahead = await session(leader, member)
    const seq = (await member.store.chains.head(org.id, member.signer.memberKey))?.seq
    expect(ahead.served).toEqual({
      sent: 0,
      peerAhead: true,
      ahead: new Map([[member.signer.memberKey, seq]]),
      org: org.id,
    })
    expect(calls).toEqual([])
  })

  it("a receipt says whether the org's roster changed (members are counted again only then)", async () => {
    const { leader, member, org } = await orgWithHistory(1)
    const from = source(leader)
    const to = source(member)
    const lead = leader.signer.memberKey
    const next = async () => {
      const after = (await member.store.chains.head(org.id, lead))?.seq ?? 0
      return from.entriesAfter(org.id, lead, after, { limit: 100, maxBytes: 1 << 20 })
    }
    await to.receive(org.id, await next())
    await leader.fleet.addShip(org.id, { model: 'Vulture', manufacturer: 'Drake' })
    expect(await to.receive(org.id, await next())).toMatchObject({ accepted: 1, roster: false })
    // A rank change is a roster change.
    await leader.org.setRank(org.id, member.signer.memberKey, 'officer')
    const r = await to.receive(org.id, await next())
    expect(r.accepted).toBeGreaterThan(0)
    expect(r.roster).toBe(true)
  })

  it('a non-member gets nothing', async () => {
    const { leader, org } = await orgWithHistory(5)
    const outsider = await replica()
    const [a, b] = await streamPair()
    const served = serveSync(b, outsider.signer.memberKey, source(leader)).catch((e: Error) => e)
    await expect(requestSync(a, org.id, source(outsider))).rejects.toThrow(SyncRefusedError)
    expect(await served).toBeInstanceOf(SyncRefusedError)
    expect(await outsider.store.list()).toEqual([])
  })

  it('garbage and oversized frames end the session without crashing or storing anything', async () => {
    const { leader, member, org } = await orgWithHistory(3)
    const before = await leader.store.chains.head(org.id, member.signer.memberKey)
    // Garbage instead of a request.
    const [a, b] = await streamPair()
    const served = serveSync(b, member.signer.memberKey, source(leader)).catch((e: Error) => e)
    a.send(Uint8Array.from([5, 1, 2, 3, 4, 5]))
    expect(await served).toBeInstanceOf(SyncProtocolError)
    // A frame claiming more than the limit.
    const [c, d] = await streamPair()
    const served2 = serveSync(d, member.signer.memberKey, source(leader)).catch((e: Error) => e)
    c.send(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]))
    expect(await served2).toBeInstanceOf(SyncProtocolError)
    expect(await leader.store.chains.head(org.id, member.signer.memberKey)).toEqual(before)
  })

  it('a malformed snapshot frame (wrong shape or over the limit) is a protocol error; nothing is stored', async () => {
    const bad = [
      { t: 'snap', doc: 42, bytes: new Uint8Array(4) },
      { t: 'snap', doc: 'x'.repeat(SYNC_LIMITS.maxDocName + 1), bytes: new Uint8Array(4) },
      { t: 'snap', doc: 'hangar:x', bytes: new Uint8Array(SYNC_LIMITS.maxSnapshotBytes + 1) },
      { t: 'snap', doc: 'hangar:x', bytes: new Uint8Array(4), extra: 1 },
    ]
    for (const frame of bad) {
      const { member, org } = await orgWithHistory(1)
      const before = await member.store.list()
      const [a, b] = await streamPair()
      const peer = (async () => {
        const { lpStream } = await import('@libp2p/utils')
        const lp = lpStream(b, { maxDataLength: SYNC_LIMITS.maxFrameBytes + 1024 })
        await lp.read()
        await lp.write(dagCbor.encode(frame))
      })()
      await expect(requestSync(a, org.id, source(member))).rejects.toBeInstanceOf(SyncProtocolError)
      await peer
      expect(await member.store.list()).toEqual(before)
    }
  })

  it('forged entries in a batch are refused and counted, and nothing of them is stored', async () => {
    const { leader, member, org } = await orgWithHistory(3)
    const authors = (await member.store.chains.authors(org.id)).length
    const [a, b] = await streamPair()
    const forger = (async () => {
      const { lpStream } = await import('@libp2p/utils')
      const lp = lpStream(b)
      await lp.read()
      const entry = new Uint8Array(200)
      entry.set(randomBytes(64))
      await lp.write(encodeMessage({ t: 'batch', entries: [entry], changes: [randomBytes(50)] }))
      await lp.write(encodeMessage({ t: 'done' }))
    })()
    const summary = await requestSync(a, org.id, source(member))
    await forger
    expect(summary.accepted).toBe(0)
    expect(summary.rejected).toBeGreaterThan(0)
    expect((await member.store.chains.authors(org.id)).length).toBe(authors)
    void leader
  })

  it('runs over real libp2p hosts on 127.0.0.1, the member known by its peer id', async () => {
    const seeds = { leader: new Uint8Array(randomBytes(32)), member: new Uint8Array(randomBytes(32)) }
    const { leader, member, org } = await orgWithHistory(300, seeds)
    const hostFor = async (seed: Uint8Array) => {
      const h = await createHost({ seed, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
      hosts.push(h)
      await h.start()
      return h
    }
    const lh = await hostFor(seeds.leader)
    const mh = await hostFor(seeds.member)
    const served: Promise<unknown>[] = []
    await lh.libp2p.handle(SYNC_PROTOCOL, (stream, connection) => {
      const key = connection.remotePeer.publicKey?.raw
      served.push(serveSync(stream, key === undefined ? '' : toHex(key), source(leader)).catch((e) => e))
    })
    const stream = await mh.libp2p.dialProtocol(multiaddr(lh.multiaddrs()[0] as string), SYNC_PROTOCOL)
    const summary = await requestSync(stream, org.id, source(member))
    await Promise.all(served)
    expect(summary.rejected).toBe(0)
    const hangar = `hangar:${org.id}.${leader.signer.memberKey}`
    expect(await heads(member, hangar)).toEqual(await heads(leader, hangar))
    expect(toHex(ed25519RawPublicKey(ed25519PrivateKeyObject(seeds.member)))).toBe(member.signer.memberKey)
  })
})
