/**
 * Run-length and deflate bombs against a real node on 127.0.0.1, by every path (gossip,
 * pull response, snapshot) from an outsider and from a member: the node's memory stays
 * within 100 MB of where it was, its API keeps answering within 200 ms, nothing of it is
 * stored, and the sender is banned.
 */
import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type ChangeHash,
  type DocId,
  type EntryHash,
  type MemberKey,
  packEntry,
  parseDocId,
  type SignedEntry,
  signEntry,
} from '../../crdt/index.ts'
import { changeChunkHash } from '../../crdt/store/change-bounds.ts'
import { type Host, orgTopic } from '../../net/index.ts'
import { PULL_BACK_EVERY_MS } from '../../net/mesh/sync-scheduler.ts'
import { encodeMessage, SYNC_PROTOCOL } from '../../net/sync/messages.ts'
import type { VerseGuyNode } from '../../node/index.ts'
import { orgOfDoc } from '../../services/document-types.ts'
import { hangarId } from '../../services/fleet/fleet-service.ts'
import { type RosterDoc, text } from '../../services/org/roster-schema.ts'
import { changeBombs, snapshotBomb } from '../helpers/automerge-bombs.ts'
import { expectBanned, useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'
import { everything, makeReplica, type Replica } from '../helpers/replica.ts'
import { ScaledClock } from '../helpers/scaled-clock.ts'
import { entryBody, makeSigner } from '../helpers/signer.ts'

/** The nodes' clock: real speed, but for waits on the node's own timers (see below). */
const clock = new ScaledClock()
const mesh = useMeshNodes({ clock })
const replicas: Replica[] = []
afterEach(async () => {
  clock.speed = 1
  for (const r of replicas.splice(0)) await r.close()
})
const MB = 1024 * 1024

/** An org node with a ship; its roster topic. */
async function target() {
  const n = await mesh.node()
  const org = await n.services.org.createOrg({ name: 'Bomb Target', tag: 'BMB', handle: 'Lead_B' })
  await n.services.fleet.addShip(org.id, { model: 'Hammerhead', manufacturer: 'Aegis' })
  const roster = await n.documents.get<RosterDoc>(parseDocId(`org:${org.id}`))
  const topic = orgTopic(org.id, Buffer.from(text(roster.org.nonce) ?? '', 'hex'))
  return { n, org, topic }
}

/**
 * A member whose node skips its own checks: a store that accepts anything (a replica)
 * behind a bare host with the same key. It joined with a real invite.
 */
async function insider(t: VerseGuyNode, orgId: string): Promise<{ r: Replica; h: Host }> {
  const seed = new Uint8Array(randomBytes(32))
  const r = await makeReplica(makeSigner(seed), { lawless: true })
  replicas.push(r)
  const { token } = await t.services.invites.createInvite(orgId, { rank: 'member' })
  // Admitted by the org's node, as the admission protocol would ask it to.
  const answer = await t.services.invites.admit(r.invites.joinRequest(token, 'Mem_Bomb').request)
  expect(answer.ok).toBe(true)
  await r.store.receive(await everything({ store: t.documents } as Replica))
  await r.fleet.addShip(orgId, { model: 'Cutlass', manufacturer: 'Drake' })
  const back = await t.documents.receive(await everything(r))
  expect(back.rejected).toEqual([])
  const h = await mesh.hostile(seed)
  await h.libp2p.dial(multiaddr(t.addresses()[0] as string))
  return { r, h }
}

/** The author's next entry, covering `change` in `doc`. */
async function nextEntry(r: Replica, doc: DocId, change: Uint8Array): Promise<SignedEntry> {
  const key = r.signer.memberKey
  const scope = orgOfDoc(doc) as string
  const head = await r.store.chains.head(scope, key)
  const hash = changeChunkHash(change) as ChangeHash
  return signEntry(
    entryBody(key, (head?.seq ?? 0) + 1, head?.hash ?? null, { scope, doc, changes: [hash], authHeads: [] }),
    r.signer,
  )
}

/**
 * Runs `attack` while polling the node's API every 50 ms: the slowest answer, and how far
 * RSS grew from before the attack.
 */
async function underAttack(n: VerseGuyNode, attack: () => Promise<void>) {
  await mesh.apiLatency(n) // warm
  const rss = process.memoryUsage().rss
  let slowest = 0
  let peak = rss
  let running = true
  const poll = (async () => {
    while (running) {
      slowest = Math.max(slowest, await mesh.apiLatency(n))
      peak = Math.max(peak, process.memoryUsage().rss)
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  try {
    await attack()
  } finally {
    running = false
    await poll
  }
  return { slowest, grew: peak - rss }
}

function expectHeld(r: { slowest: number; grew: number }) {
  expect(r.slowest).toBeLessThan(200)
  expect(r.grew).toBeLessThan(100 * MB)
}

async function onTopic(t: VerseGuyNode, h: Host, topic: string) {
  h.libp2p.services.pubsub.subscribe(topic)
  await waitFor('the target on the topic', () =>
    h.libp2p.services.pubsub.getSubscribers(topic).some((p) => p.toString() === t.network.peerId),
  )
}

describe('bombs against a real node', () => {
  it('gossip from an outsider: refused unread, banned', async () => {
    const t = await target()
    const h = await mesh.hostile()
    await h.libp2p.dial(multiaddr(t.n.addresses()[0] as string))
    await onTopic(t.n, h, t.topic)
    const stranger = makeSigner()
    const bombs = Object.values(changeBombs(`${stranger.memberKey}0102030405060708`))
    const held = await underAttack(t.n, async () => {
      for (const bomb of bombs.slice(0, 3)) {
        const entry = signEntry(
          entryBody(stranger.memberKey, 1, null, {
            scope: t.org.id,
            doc: hangarId(t.org.id, stranger.memberKey),
            changes: [changeChunkHash(bomb) as ChangeHash],
            authHeads: [],
          }),
          stranger,
        )
        await h.libp2p.services.pubsub
          .publish(t.topic, encodeMessage({ t: 'batch', entries: [packEntry(entry)], changes: [bomb] }))
          .catch(() => {})
      }
      await expectBanned(t.n, h)
    })
    expectHeld(held)
    expect(await t.n.documents.chains.head(t.org.id, stranger.memberKey)).toBeNull()
  })

  it('gossip from a member: each bomb refused as oversize before it expands; banned', async () => {
    const t = await target()
    const { r, h } = await insider(t.n, t.org.id)
    await onTopic(t.n, h, t.topic)
    const key = r.signer.memberKey as MemberKey
    const before = (await t.n.documents.chains.head(t.org.id, key))?.seq
    const bombs = Object.values(changeBombs(`${key}0102030405060708`))
    const held = await underAttack(t.n, async () => {
      for (const bomb of bombs.slice(0, 3)) {
        const entry = await nextEntry(r, hangarId(t.org.id, key), bomb)
        await h.libp2p.services.pubsub
          .publish(t.topic, encodeMessage({ t: 'batch', entries: [packEntry(entry)], changes: [bomb] }))
          .catch(() => {})
      }
      await expectBanned(t.n, h)
    })
    expectHeld(held)
    expect((await t.n.documents.chains.head(t.org.id, key))?.seq).toBe(before)
  })

  it('an outsider with bombs ready to answer a pull is never asked: asking for the org gets it refused, nothing more', async () => {
    const t = await target()
    const seed = new Uint8Array(randomBytes(32))
    const h = await mesh.hostile(seed)
    const stranger = makeSigner(seed) // its own chain, as asked
    const bombs = Object.values(changeBombs(`${stranger.memberKey}0102030405060708`))
    const asked: number[] = []
    await h.libp2p.handle(SYNC_PROTOCOL, async (stream) => {
      try {
        const lp = lpStream(stream)
        asked.push((await lp.read()).byteLength)
        const entries: Uint8Array[] = []
        let prev: EntryHash | null = null
        for (const [i, bomb] of bombs.entries()) {
          const e = signEntry(
            entryBody(stranger.memberKey, i + 1, prev, {
              scope: t.org.id,
              doc: hangarId(t.org.id, stranger.memberKey),
              changes: [changeChunkHash(bomb) as ChangeHash],
              authHeads: [],
            }),
            stranger,
          )
          prev = e.hash
          entries.push(packEntry(e))
        }
        await lp.write(encodeMessage({ t: 'batch', entries, changes: bombs }))
        await lp.write(encodeMessage({ t: 'done' }))
      } catch {}
    })
    const held = await underAttack(t.n, async () => {
      // It asks for the org (refused); the target asks it nothing back. The node's time runs
      // four times as fast meanwhile: its pull-back interval and wait pass in a quarter.
      clock.speed = 4
      for (let i = 0; i < 4; i++) {
        const lp = lpStream(
          await h.libp2p.dialProtocol(multiaddr(t.n.addresses()[0] as string), SYNC_PROTOCOL),
        )
        await lp.write(encodeMessage({ t: 'req', org: t.org.id, heads: [] }))
        await lp.read().catch(() => {})
        await clock.sleep(PULL_BACK_EVERY_MS + 100) // past the pull-back interval (node time)
      }
      clock.speed = 1
      await t.n.mesh.pull(h.peerId)
    })
    expectHeld(held)
    expect(asked).toEqual([])
    expect(await t.n.documents.chains.head(t.org.id, stranger.memberKey)).toBeNull()
  }, 60_000)

  it('a pull answered with bombs by a member: refused as oversize; banned after three', async () => {
    const t = await target()
    const { r, h } = await insider(t.n, t.org.id)
    const key = r.signer.memberKey as MemberKey
    const before = (await t.n.documents.chains.head(t.org.id, key))?.seq
    const bombs = Object.values(changeBombs(`${key}0102030405060708`))
    let served = 0
    await h.libp2p.handle(SYNC_PROTOCOL, async (stream) => {
      try {
        const lp = lpStream(stream)
        await lp.read()
        const bomb = bombs[served++ % bombs.length] as Uint8Array
        const entry = await nextEntry(r, hangarId(t.org.id, key), bomb)
        await lp.write(encodeMessage({ t: 'batch', entries: [packEntry(entry)], changes: [bomb] }))
        await lp.write(encodeMessage({ t: 'done' }))
      } catch {}
    })
    const held = await underAttack(t.n, async () => {
      for (let i = 0; i < 3 && !t.n.network.isBanned(h.peerId); i++) await t.n.mesh.pull(h.peerId)
      await expectBanned(t.n, h)
    })
    expectHeld(held)
    expect(served).toBeGreaterThanOrEqual(3)
    expect((await t.n.documents.chains.head(t.org.id, key))?.seq).toBe(before)
  })

  it('a pull answered with a snapshot bomb by a member: the snapshot is refused, not loaded; banned after three', async () => {
    const t = await target()
    const { r, h } = await insider(t.n, t.org.id)
    const key = r.signer.memberKey as MemberKey
    const hangar = hangarId(t.org.id, key)
    snapshotBomb(await r.store.get(hangar), 'deflate') // the bomb's payload made before the attack
    let served = 0
    await h.libp2p.handle(SYNC_PROTOCOL, async (stream) => {
      try {
        const lp = lpStream(stream)
        await lp.read()
        // A real new ship each time (so the snapshot stands for new entries), then the bomb.
        await r.fleet.addShip(t.org.id, { model: `Cutlass ${served}`, manufacturer: 'Drake' })
        const all = await everything(r)
        const kind = served++ % 2 === 0 ? 'rle' : 'deflate'
        const bomb = snapshotBomb(await r.store.get(hangar), kind)
        await lp.write(
          encodeMessage({ t: 'batch', entries: all.entries.map((e) => packEntry(e)), changes: all.changes }),
        )
        await lp.write(encodeMessage({ t: 'snap', doc: hangar, bytes: bomb }))
        await lp.write(encodeMessage({ t: 'done' }))
      } catch {}
    })
    const held = await underAttack(t.n, async () => {
      for (let i = 0; i < 3 && !t.n.network.isBanned(h.peerId); i++) await t.n.mesh.pull(h.peerId)
      await expectBanned(t.n, h)
    })
    expectHeld(held)
    // The honest part (the ships) arrived; the snapshot was never loaded in their place.
    expect((await t.n.services.fleet.ships(t.org.id)).length).toBe(2 + served)
  })
})
