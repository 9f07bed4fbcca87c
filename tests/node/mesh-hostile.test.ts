/**
 * Hostile peers against a real node on 127.0.0.1: garbage and oversized sync frames,
 * forged entries gossiped by a member's node, valid-looking entries from a non-member,
 * an outsider on the org's topic. (Floods of sync requests are tested on the in-memory
 * network: tests/net/mesh/mesh-scheduling.test.ts.) The node neither crashes nor
 * stores anything of it, bans the peer (its connections close and it cannot dial back),
 * and keeps serving its members.
 */
import { randomBytes } from 'node:crypto'
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type DocId,
  ed25519PrivateKeyObject,
  ed25519Sign,
  encodeEntryBody,
  type MemberKey,
  packEntry,
  parseDocId,
} from '../../crdt/index.ts'
import { type Host, orgTopic } from '../../net/index.ts'
import { PULL_BACK_EVERY_MS } from '../../net/mesh/sync-scheduler.ts'
import { decodeMessage, encodeMessage, SYNC_PROTOCOL } from '../../net/sync/messages.ts'
import type { RosterDoc } from '../../services/org/roster-schema.ts'
import { text } from '../../services/org/roster-schema.ts'
import { expectBanned, useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'
import { makeReplica, type Replica } from '../helpers/replica.ts'
import { ScaledClock } from '../helpers/scaled-clock.ts'
import { makeSigner } from '../helpers/signer.ts'

/** The nodes' clock: real speed, but for waits on the node's own timers (see below). */
const clock = new ScaledClock()
const mesh = useMeshNodes({ clock })
const replicas: Replica[] = []
afterEach(async () => {
  clock.speed = 1
  for (const r of replicas.splice(0)) await r.close()
})
const node = mesh.node
const hostile = mesh.hostile

/** An org node with a ship, and what it holds (to prove nothing changes). */
async function target() {
  const n = await node()
  const org = await n.services.org.createOrg({ name: 'Target Org', tag: 'TGT', handle: 'Lead_T' })
  await n.services.fleet.addShip(org.id, { model: 'Hammerhead', manufacturer: 'Aegis' })
  const held = async () => {
    const chains = n.documents.chains
    const authors = (await chains.authors(org.id)).sort()
    const heads = await Promise.all(authors.map(async (a) => (await chains.head(org.id, a))?.hash))
    return JSON.stringify({ docs: (await n.documents.list()).sort(), authors, heads })
  }
  const addr = n.addresses()[0] as string
  return { n, org, addr, held, before: await held() }
}

async function syncStream(h: Host, addr: string): Promise<Stream> {
  return h.libp2p.dialProtocol(multiaddr(addr), SYNC_PROTOCOL)
}

describe('hostile peers', () => {
  it('garbage bytes on a sync stream get the peer banned; nothing is stored', async () => {
    const t = await target()
    const h = await hostile()
    const s = await syncStream(h, t.addr)
    s.send(Uint8Array.from([7, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]))
    await expectBanned(t.n, h)
    expect(await t.held()).toBe(t.before)
  })

  it('a frame claiming more than the size limit gets the peer banned', async () => {
    const t = await target()
    const h = await hostile()
    const s = await syncStream(h, t.addr)
    // A varint length of 64 MiB, then the start of that much data.
    s.send(Uint8Array.from([0x80, 0x80, 0x80, 0x20, ...randomBytes(1024)]))
    await expectBanned(t.n, h)
    expect(await t.held()).toBe(t.before)
  })

  it("a member's node gossiping forged entries is banned, and none of them is stored", async () => {
    const t = await target()
    const insider = await node([t.addr])
    const { token } = await t.n.services.invites.createInvite(t.org.id, {
      rank: 'member',
      bootstrap: [t.addr],
    })
    await insider.services.invites.accept(token, 'Mem_Insider', insider.admissions)
    await insider.mesh.syncAll()
    const me = insider.services.org.me
    await waitFor('the join on the target', async () =>
      (await t.n.services.org.members(t.org.id)).some((m) => m.memberKey === me),
    )
    // An honest first entry of its own (its admission is in the admitting member's chain).
    await insider.services.org.setHandle(t.org.id, me, 'Mem_Insider_2')
    await waitFor('the insider entry on the target', async () =>
      (await t.n.services.org.members(t.org.id)).some((m) => m.handle === 'Mem_Insider_2'),
    )
    const before = await t.held()
    // The insider's node is modified: it stops its own mesh and speaks gossip by hand.
    await insider.mesh.stop()
    const roster = await insider.documents.get<RosterDoc>(parseDocId(`org:${t.org.id}`))
    const topic = orgTopic(t.org.id, Buffer.from(text(roster.org.nonce) ?? '', 'hex'))
    const pubsub = insider.network.libp2p.services.pubsub
    pubsub.subscribe(topic)
    const targetPeer = t.n.network.peerId
    await waitFor('the target on the topic', () =>
      pubsub.getSubscribers(topic).some((p) => p.toString() === targetPeer),
    )
    // gossipsub caches scores for a heartbeat: wait until the target is no longer scored as
    // it was before the join (an outsider, sent nothing).
    const scores = pubsub as unknown as { score: { score(peer: string): number } }
    await waitFor('the target scored as a member', () => scores.score.score(targetPeer) >= 0)
    // The insider's next entry, signed by somebody else's key.
    const head = await insider.documents.chains.head(t.org.id, me)
    if (head === null) throw new Error('the insider has no chain')
    const bytes = encodeEntryBody({
      scope: t.org.id,
      author: me,
      seq: head.seq + 1,
      prev: head.hash,
      time: Date.now(),
      action: 'fleet.ship-add',
      resource: 'ship:forged',
      details: {},
      doc: null,
      changes: [],
      authHeads: [],
    })
    const forged = packEntry({
      bytes,
      signature: ed25519Sign(ed25519PrivateKeyObject(randomBytes(32)), bytes),
    })
    for (let i = 0; i < 3; i++)
      await pubsub.publish(topic, encodeMessage({ t: 'batch', entries: [forged], changes: [] }))
    const h = { peerId: insider.network.peerId, libp2p: insider.network.libp2p } as Host
    await expectBanned(t.n, h)
    expect((await t.n.documents.chains.head(t.org.id, me))?.seq).toBe(head.seq)
    expect(await t.held()).toBe(before)
  }, 60_000)

  it('a non-member holding valid-looking entries is never pulled from, and cannot read the org', async () => {
    const t = await target()
    // An outsider signs real entries and changes with its own key, for a hangar in the
    // target's org, in a store that accepts anything.
    const seed = new Uint8Array(randomBytes(32))
    const outsider = await makeReplica(makeSigner(seed), { lawless: true })
    replicas.push(outsider)
    const key = outsider.signer.memberKey as MemberKey
    const hangar = `hangar:${t.org.id}.${key}` as DocId
    await outsider.store.create(hangar, { action: 'fleet.ship-add', resource: `ship:${key}` }, (d: never) => {
      Object.assign(d, { schema: 1, org: t.org.id, owner: key, ships: {} })
    })
    const entries: Uint8Array[] = []
    for await (const e of outsider.store.chains.entries(t.org.id, key, { from: 1 }))
      entries.push(packEntry(e))
    const changes = await outsider.store.changes(hangar)
    const h = await hostile(seed)
    // It serves them to whoever pulls the org from it, and records what it is asked.
    const asked: unknown[] = []
    await h.libp2p.handle(SYNC_PROTOCOL, async (stream) => {
      try {
        const lp = lpStream(stream)
        asked.push(decodeMessage((await lp.read()).subarray()))
        await lp.write(encodeMessage({ t: 'batch', entries, changes }))
        await lp.write(encodeMessage({ t: 'done' }))
      } catch {}
    })
    // The target does not pull from a peer that is not a member.
    await t.n.mesh.pull(h.peerId)
    expect(asked).toEqual([])
    // It cannot read the org: a sync request is refused, and nothing is asked of it back.
    // The node's time runs four times as fast meanwhile: its pull-back interval and wait
    // pass in a quarter.
    clock.speed = 4
    for (let i = 0; i < 3; i++) {
      const lp = lpStream(await syncStream(h, t.addr))
      await lp.write(encodeMessage({ t: 'req', org: t.org.id, heads: [] }))
      expect(decodeMessage((await lp.read()).subarray())).toEqual({
        t: 'err',
        reason: 'not a member of this org',
        code: 'not-member',
      })
      await clock.sleep(PULL_BACK_EVERY_MS + 100) // pull-backs are at most one per 2 s (node time)
    }
    clock.speed = 1
    expect(asked).toEqual([])
    expect(await t.n.documents.has(hangar)).toBe(false)
    expect(await t.held()).toBe(t.before)
  })

  it('an outsider that learned the topic name is sent nothing, and what it publishes is refused', async () => {
    const t = await target()
    const roster = await t.n.documents.get<RosterDoc>(parseDocId(`org:${t.org.id}`))
    const topic = orgTopic(t.org.id, Buffer.from(text(roster.org.nonce) ?? '', 'hex'))
    const h = await hostile()
    await h.libp2p.dial(multiaddr(t.addr))
    const heard: Uint8Array[] = []
    const pubsub = h.libp2p.services.pubsub
    pubsub.addEventListener('message', (e) => {
      if (e.detail.topic === topic) heard.push(e.detail.data)
    })
    pubsub.subscribe(topic)
    await waitFor('the outsider seen on the topic', () =>
      t.n.network.libp2p.services.pubsub.getSubscribers(topic).some((p) => p.toString() === h.peerId),
    )
    // What it publishes is refused; what the org says never reaches it.
    await pubsub.publish(topic, encodeMessage({ t: 'batch', entries: [randomBytes(300)], changes: [] }))
    for (let i = 0; i < 5; i++)
      await t.n.services.fleet.addShip(t.org.id, { model: `Cutlass ${i}`, manufacturer: 'Drake' })
    await new Promise((r) => setTimeout(r, 2_000))
    expect(heard).toEqual([])
    // The node keeps it out of its topic mesh (gossipsub's own view).
    const router = t.n.network.libp2p.services.pubsub as unknown as { getMeshPeers(t: string): string[] }
    expect(router.getMeshPeers(topic)).not.toContain(h.peerId)
    expect((await t.n.services.fleet.ships(t.org.id)).length).toBe(6)
    expect((await t.n.documents.chains.authors(t.org.id)).length).toBe(1)
  })
})
