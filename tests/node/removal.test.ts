/**
 * Removal that holds, on real nodes over 127.0.0.1: a member kicked while it is cut off
 * from the org keeps writing; when it reaches a member other than the kicker, that node
 * neither serves it nor takes anything from it, its node says plainly that it was
 * removed, and none of what it wrote shows anywhere.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import type { VerseGuyNode } from '../../node/index.ts'
import { useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'

const mesh = useMeshNodes()

async function join(leader: VerseGuyNode, node: VerseGuyNode, orgId: string, rank: string, handle: string) {
  const addr = leader.addresses()[0] as string
  const { token } = await leader.services.invites.createInvite(orgId, { rank, bootstrap: [addr] })
  await node.services.invites.accept(token, handle, node.admissions)
  await waitFor(`${handle} on the leader`, async () =>
    (await leader.services.org.members(orgId)).some((m) => m.memberKey === node.services.org.me),
  )
}

/** Cuts `node` off from `others` (both ways), as if it were offline. */
async function cutOff(node: VerseGuyNode, others: VerseGuyNode[]): Promise<void> {
  for (const o of others) {
    await o.network.ban(node.network.peerId, 10 * 60_000)
    await node.network.ban(o.network.peerId, 10 * 60_000)
  }
}

describe('removal on real nodes', () => {
  it('a member kicked while cut off writes on; another member refuses it, it is told, and none of it shows', async () => {
    const a = await mesh.node([], { syncIntervalSeconds: 1 })
    const org = await a.services.org.createOrg({ name: 'Kick Org', tag: 'KICK', handle: 'Lead_A' })
    const b = await mesh.node([a.addresses()[0] as string], { syncIntervalSeconds: 1 })
    const c = await mesh.node([a.addresses()[0] as string], { syncIntervalSeconds: 1 })
    await join(a, b, org.id, 'officer', 'Off_B')
    await join(a, c, org.id, 'member', 'Mem_C')
    const cKey = c.services.org.me
    await c.services.fleet.addShip(org.id, { model: 'Cutlass Black', manufacturer: 'Drake' })
    const everywhere = async (n: VerseGuyNode) => (await n.services.fleet.ships(org.id)).length === 1
    await waitFor("C's first ship on A", () => everywhere(a))
    await waitFor("C's first ship on B", () => everywhere(b))

    // C is cut off; the leader kicks it, and B hears of the kick from the leader.
    await cutOff(c, [a, b])
    await a.services.org.kick(org.id, cKey)
    await waitFor('the kick on B', async () =>
      (await b.services.org.members(org.id)).every((m) => m.memberKey !== cKey),
    )

    // C never heard: it keeps writing at its old roster heads.
    const ship = await c.services.fleet.addShip(org.id, { model: 'Prospector', manufacturer: 'MISC' })
    await c.services.fleet.addLoadout(org.id, cKey, ship.id, { name: 'Mining', components: [] })
    expect(await c.services.fleet.ships(org.id)).toHaveLength(2)

    // The leader goes away; C comes back and reaches B, which is not the kicker.
    await a.stop()
    b.network.unban(c.network.peerId)
    c.network.unban(b.network.peerId)
    await c.network.libp2p.dial(multiaddr(b.addresses()[0] as string))
    await c.mesh.syncAll()
    await waitFor('C told it was removed', () =>
      c.mesh.peers().some((p) => p.peerId === b.network.peerId && p.removedFrom.includes(org.id)),
    )
    // B took nothing from C: only C's ship from before the kick, nothing flagged to mask.
    await b.mesh.syncAll()
    await new Promise((r) => setTimeout(r, 2_000))
    const onB = await b.services.fleet.ships(org.id)
    expect(onB.map((s) => s.model)).toEqual(['Cutlass Black'])
    expect((await b.services.org.members(org.id)).map((m) => m.memberKey)).not.toContain(cKey)
    expect(b.mesh.peers().find((p) => p.peerId === c.network.peerId)?.banned).toBe(false)
  }, 120_000)
})
