/**
 * The mesh acceptance suite: one set of behaviours every transport must give the mesh
 * (catch-up sync, gossip delivery, anti-entropy when gossip is lost, hostile peers banned
 * at no cost, a partition that heals, a late joiner, a newcomer admitted over the admission
 * protocol). `meshAcceptance(makeWorld)` runs
 * it in a world (see `mesh-world.ts`): the in-memory network and real libp2p.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ed25519PrivateKeyObject, ed25519RawPublicKey } from '../../../crdt/index.ts'
import {
  type AdmitAnswer,
  AdmitProtocol,
  type MeshTransport,
  orgTopic,
  SYNC_PROTOCOL,
} from '../../../net/index.ts'
import { encodeMessage } from '../../../net/sync/messages.ts'
import { LedgerSource, packLedgerEntry } from './ledger-source.ts'
import { connectedNodes, type MeshNode, type MeshWorld } from './mesh-world.ts'

/** Real-time limit per test on libp2p; on the twin, virtual limits are what count. */
const TEST_MS = 60_000

export function meshAcceptance(makeWorld: () => MeshWorld): void {
  let world: MeshWorld
  afterEach(async () => {
    await world?.close()
  })
  const fresh = () => {
    world = makeWorld()
    return world
  }
  const everyone = (nodes: readonly MeshNode[], n: number) => () => nodes.every((x) => x.ledger.count() === n)

  describe(`mesh acceptance (${makeWorld().name})`, () => {
    it(
      'catch-up sync: a node that was apart receives everything another holds when they connect',
      async () => {
        const w = fresh()
        const [a, b] = [await w.node(), await w.node()] as [MeshNode, MeshNode]
        a.ledger.write(700) // more than one sync batch
        b.ledger.write(3)
        await w.connect(a.transport, b.transport)
        await w.until('both hold all 703 entries', everyone([a, b], 703), 10_000)
      },
      TEST_MS,
    )

    it(
      'gossip: a new entry reaches every node without a pull',
      async () => {
        const w = fresh()
        // Anti-entropy every ten minutes: none within the test.
        const nodes = await connectedNodes(w, 3, { syncIntervalMs: 600_000 })
        const [a] = nodes as [MeshNode]
        a.ledger.write(1)
        await w.until('the first entry everywhere', everyone(nodes, 1), 10_000)
        // Settled: the catch-ups of connecting are over.
        await w.elapse(500)
        const pulls = nodes.map((n) => n.pulls())
        for (const [i, n] of nodes.entries()) n.ledger.write(1, `g${i}`)
        await w.until('every gossiped entry on every node', everyone(nodes, 4), 5_000)
        expect(nodes.map((n) => n.pulls())).toEqual(pulls)
      },
      TEST_MS,
    )

    it(
      'anti-entropy: an entry whose gossip is lost reaches every node within a few rounds',
      async () => {
        const w = fresh()
        const nodes = await connectedNodes(w, 3)
        const [a] = nodes as [MeshNode]
        await w.elapse(500)
        a.loseGossip()
        a.ledger.write(2)
        await w.elapse(100)
        expect(nodes.map((n) => n.ledger.count())).toEqual([2, 0, 0])
        // Rounds come every 0.5–1.5 intervals, one peer each: a few intervals are plenty.
        await w.until('the entries on every node by pulls', everyone(nodes, 2), 8 * w.syncIntervalMs)
      },
      TEST_MS,
    )

    it(
      'a hostile peer sending malformed sync frames is banned; nothing is stored',
      async () => {
        const w = fresh()
        const [a] = await connectedNodes(w, 1)
        const h = await w.bare()
        await w.connect(h, (a as MeshNode).transport)
        const s = await h.openStream(
          (a as MeshNode).transport.peerId,
          SYNC_PROTOCOL,
          AbortSignal.timeout(5_000),
        )
        // A varint length of 64 MiB, then the start of that much data.
        s.send(Uint8Array.from([0x80, 0x80, 0x80, 0x20, ...randomBytes(1024)]))
        await expectBanned(w, a as MeshNode, h)
        expect((a as MeshNode).ledger.receives).toBe(0)
      },
      TEST_MS,
    )

    it(
      "a member's node gossiping forged entries is banned; none is stored",
      async () => {
        const w = fresh()
        const [a] = (await connectedNodes(w, 1)) as [MeshNode]
        // The member's own key, driven by hand: its entries are signed by another key.
        const seed = new Uint8Array(randomBytes(32))
        const author = ed25519RawPublicKey(ed25519PrivateKeyObject(seed))
        w.org.members.add(Buffer.from(author).toString('hex'))
        const h = await w.bare(seed)
        await w.connect(h, a.transport)
        const topic = orgTopic(w.org.id, w.org.secret)
        h.subscribe(topic, async () => 'ignore')
        const forger = new Uint8Array(randomBytes(32))
        let seq = 1
        await w.until(
          'the forger banned',
          async () => {
            if (a.transport.isBanned(h.peerId)) return true
            const entry = packLedgerEntry(forger, author, seq++, 'forged')
            await h
              .publish(topic, encodeMessage({ t: 'batch', entries: [entry], changes: [] }))
              .catch(() => {})
            return false
          },
          20_000,
        )
        await expectBanned(w, a, h)
        expect(a.ledger.count()).toBe(0)
      },
      TEST_MS,
    )

    it(
      'a non-member is never pulled from, and its gossip is refused unread, then banned',
      async () => {
        const w = fresh()
        const nodes = (await connectedNodes(w, 2)) as [MeshNode, MeshNode]
        const [a] = nodes
        const h = await w.bare()
        let asked = 0
        await h.handle(
          SYNC_PROTOCOL,
          (s) => {
            asked++
            s.abort(new Error('no'))
          },
          { maxInboundStreams: 8 },
        )
        await w.connect(h, a.transport)
        await w.elapse(3 * w.syncIntervalMs)
        expect(asked).toBe(0)
        const receives = a.ledger.receives
        const topic = orgTopic(w.org.id, w.org.secret)
        h.subscribe(topic, async () => 'ignore')
        const stranger = new Uint8Array(randomBytes(32))
        let seq = 1
        await w.until(
          'the outsider banned',
          async () => {
            if (a.transport.isBanned(h.peerId)) return true
            const author = ed25519RawPublicKey(ed25519PrivateKeyObject(stranger))
            const entry = packLedgerEntry(stranger, author, seq++, 'outsider')
            await h
              .publish(topic, encodeMessage({ t: 'batch', entries: [entry], changes: [] }))
              .catch(() => {})
            return false
          },
          20_000,
        )
        await expectBanned(w, a, h)
        // Its bytes cost no receive: refused before the receive path.
        expect(a.ledger.receives).toBe(receives)
        expect(asked).toBe(0)
      },
      TEST_MS,
    )

    it(
      'a partition heals and the two sides converge',
      async () => {
        const w = fresh()
        const nodes = (await connectedNodes(w, 3)) as [MeshNode, MeshNode, MeshNode]
        const [a, b, c] = nodes
        await w.partition([a], [b, c])
        a.ledger.write(5, 'left')
        b.ledger.write(7, 'right')
        await w.until('the right side in sync', () => c.ledger.count() === 7, 5_000)
        await w.elapse(2 * w.syncIntervalMs)
        expect(a.ledger.count()).toBe(5)
        expect(c.ledger.count()).toBe(7)
        await w.heal()
        await w.until('every node holds both sides', everyone(nodes, 12), 8 * w.syncIntervalMs)
      },
      TEST_MS,
    )

    it(
      "admission: a member's node admits a newcomer, which fetches the org on the same connection; a refused request gets nothing",
      async () => {
        const w = fresh()
        const [a] = (await connectedNodes(w, 1)) as [MeshNode]
        a.ledger.write(40)
        // The judge of join requests (the node's invite rules): one request is good.
        const good = new Uint8Array(randomBytes(32))
        const judged: string[] = []
        const member = new AdmitProtocol({
          transport: a.transport,
          sync: a.ledger,
          clock: w.clock,
          source: {
            admit: async (org, key, request): Promise<AdmitAnswer> => {
              judged.push(key)
              if (org !== w.org.id || !Buffer.from(request).equals(good))
                return { ok: false, code: 'invalid', reason: 'not a valid invite' }
              w.org.members.add(key)
              return { ok: true }
            },
          },
        })
        const seed = new Uint8Array(randomBytes(32))
        const ledger = new LedgerSource(seed, w.org)
        const newcomer = new AdmitProtocol({
          transport: await w.bare(seed),
          sync: ledger,
          clock: w.clock,
          source: { admit: async () => ({ ok: false, code: 'not-member', reason: 'not a member' }) },
        })
        await member.start()
        await newcomer.start()
        try {
          const at = w.address(a.transport)
          const refused = await newcomer.join(at, w.org.id, new Uint8Array(32), AbortSignal.timeout(20_000))
          expect(refused).toEqual({ ok: false, code: 'invalid', reason: 'not a valid invite' })
          expect(ledger.count()).toBe(0)
          expect(w.org.members.has(ledger.memberKey)).toBe(false)
          // The member's node judged the asking peer's own key.
          expect(judged).toEqual([ledger.memberKey])
          expect(await newcomer.join(at, w.org.id, good, AbortSignal.timeout(20_000))).toEqual({ ok: true })
          expect(w.org.members.has(ledger.memberKey)).toBe(true)
          // The fetch that follows the admission brought the whole org.
          expect(ledger.count()).toBe(40)
        } finally {
          await newcomer.stop()
          await member.stop()
        }
      },
      TEST_MS,
    )

    it(
      'a late joiner catches up on everything, and its first entry reaches everyone',
      async () => {
        const w = fresh()
        const nodes = await connectedNodes(w, 3)
        for (const [i, n] of nodes.entries()) n.ledger.write(10 * (i + 1), `n${i}`)
        await w.until('the three in sync', everyone(nodes, 60), 10_000)
        const late = await w.node()
        await w.connect(late.transport, (nodes[0] as MeshNode).transport)
        await w.until('the late joiner caught up', () => late.ledger.count() === 60, 10_000)
        late.ledger.write(1, 'late')
        await w.until('its entry everywhere', everyone([...nodes, late], 61), 10_000)
      },
      TEST_MS,
    )
  })
}

/** `a` banned `h`: no connection either way, and a dial back is refused. */
async function expectBanned(w: MeshWorld, a: MeshNode, h: MeshTransport): Promise<void> {
  await w.until(
    'the hostile peer disconnected',
    () => !a.transport.connectedPeers().includes(h.peerId),
    10_000,
  )
  expect(a.transport.isBanned(h.peerId)).toBe(true)
  await w.connect(h, a.transport).catch(() => {})
  await w.elapse(300)
  expect(a.transport.connectedPeers()).not.toContain(h.peerId)
  expect(a.mesh.peers().find((p) => p.peerId === h.peerId)?.banned).toBe(true)
}
