/**
 * What a peer outside the org learns from the org's nodes, on 127.0.0.1: an outsider
 * connected to two members records everything it is sent for a minute of org activity
 * (ships added on both sides, sync rounds every second) and gets nothing about the org:
 * no sync request, no heads, no gossip, no topic that names it. The minute is the nodes'
 * (a `ScaledClock` run four times as fast as real time meanwhile: every round and ship of
 * it happens, over real connections, in a quarter of the wait). And a removed member's
 * node is told plainly that it was removed.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../../net/sync/messages.ts'
import type { VerseGuyNode } from '../../node/index.ts'
import { useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'
import { ScaledClock } from '../helpers/scaled-clock.ts'

const clock = new ScaledClock()
const mesh = useMeshNodes({ clock })
afterEach(() => {
  clock.speed = 1
})
/** A minute of the nodes' time… */
const ACTIVITY_MS = 60_000
/** …run this many times as fast as real time. */
const SPEED = 4

/** A leader's node and a member's node (joined with an invite), syncing every second. */
async function twoMembers() {
  const leader = await mesh.node([], { syncIntervalSeconds: 1 })
  const org = await leader.services.org.createOrg({ name: 'Quiet Org', tag: 'QUIET', handle: 'Lead_Q' })
  const addr = leader.addresses()[0] as string
  const member = await mesh.node([addr], { syncIntervalSeconds: 1 })
  const { token } = await leader.services.invites.createInvite(org.id, { rank: 'member', bootstrap: [addr] })
  await member.services.invites.accept(token, 'Mem_Q', member.admissions)
  await member.mesh.syncAll()
  await waitFor('the join on the leader', async () =>
    (await leader.services.org.members(org.id)).some((m) => m.memberKey === member.services.org.me),
  )
  return { leader, member, org }
}

describe('what outsiders learn', () => {
  it(
    'an outsider recording everything it is sent for a minute of org activity learns nothing about the org',
    async () => {
      const { leader, member, org } = await twoMembers()
      const outsider = await mesh.hostile()
      const streams: { protocol: string; bytes: number[] }[] = []
      await outsider.libp2p.handle(SYNC_PROTOCOL, async (stream) => {
        const record = { protocol: SYNC_PROTOCOL, bytes: [] as number[] }
        streams.push(record)
        try {
          const lp = lpStream(stream)
          for (;;) record.bytes.push(...(await lp.read()).subarray())
        } catch {}
      })
      const gossip: Uint8Array[] = []
      outsider.libp2p.services.pubsub.addEventListener('message', (e) => gossip.push(e.detail.data))
      for (const n of [leader, member]) await outsider.libp2p.dial(multiaddr(n.addresses()[0] as string))

      const nodes: VerseGuyNode[] = [leader, member]
      // A ship every two seconds of the nodes' time, for (at least) a minute of it.
      clock.speed = SPEED
      for (let i = 0; i < ACTIVITY_MS / 2_000; i++) {
        const n = nodes[i % 2] as VerseGuyNode
        await n.services.fleet.addShip(org.id, { model: `Cutlass ${i}`, manufacturer: 'Drake' })
        await clock.sleep(2_000)
      }
      clock.speed = 1
      // The members kept syncing with each other all along.
      await waitFor('the members converged', async () => {
        const [a, b] = await Promise.all([leader, member].map((n) => n.services.fleet.ships(org.id)))
        return a?.length === b?.length
      })
      // Still connected (not banned: it did nothing), and sent nothing.
      expect(leader.network.connectedPeers()).toContain(outsider.peerId)
      expect(streams).toEqual([])
      expect(gossip).toEqual([])
      // The topics it can see name neither the org nor its members.
      const topics = [
        ...(outsider.libp2p.services.pubsub as unknown as { topics: Map<string, Set<string>> }).topics.keys(),
      ]
      const secrets = [org.id, leader.services.org.me, member.services.org.me]
      for (const topic of topics) for (const s of secrets) expect(topic).not.toContain(s)
    },
    ACTIVITY_MS / SPEED + 60_000,
  )

  it('a removed member is neither served nor pulled from, and its node says it was removed', async () => {
    const { leader, member, org } = await twoMembers()
    await leader.services.org.kick(org.id, member.services.org.me)
    await member.mesh.syncAll()
    await waitFor('the member told it was removed', () =>
      member.mesh.peers().some((p) => p.peerId === leader.network.peerId && p.removedFrom.includes(org.id)),
    )
    const status = member.mesh.peers().find((p) => p.peerId === leader.network.peerId)
    expect(status?.lastError).toBe(`this node was removed from org ${org.id}`)
    // What the removed member writes now does not reach the leader.
    const before = (await leader.services.fleet.ships(org.id)).length
    await member.services.fleet.addShip(org.id, { model: 'Prospector', manufacturer: 'MISC' }).catch(() => {})
    await member.mesh.syncAll()
    await leader.mesh.syncAll()
    await new Promise((r) => setTimeout(r, 1_000))
    expect((await leader.services.fleet.ships(org.id)).length).toBe(before)
  })
})
