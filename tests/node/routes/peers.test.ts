/**
 * `/api/v1/peers`: dial a second loopback node by its address; ban it (its connection
 * drops and it is refused either way) and unban it; bad addresses and peer ids are 400
 * naming the field. Real nodes; the API is this node's own routes over its libp2p host
 * (`MeshView.host`, which verseguy-node.ts passes from its host).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { createApi } from '../../../node/api.ts'
import type { VerseGuyNode } from '../../../node/index.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes()
const TOKEN = 't'.repeat(43)

/** The node's API routes, with the host's dial and ban list in the mesh view. */
function apiOf(node: VerseGuyNode) {
  const app = createApi({
    token: TOKEN,
    port: () => 80,
    services: () => node.services,
    status: () => node.status(),
    reloadTrust: async () => [],
    calendar: () => {
      throw new Error('no calendar in this test')
    },
    mesh: () => ({
      mesh: node.mesh,
      join: node.admissions,
      addresses: node.addresses(),
      inviteReach: async () => ({ bootstrap: [] }),
      host: node.network,
    }),
  })
  return async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: { host: '127.0.0.1:80', authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> },
    }
  }
}

describe('/api/v1/peers: dial, ban, unban', () => {
  it('dials a node by address, bans it (connection dropped, refused both ways), unbans it', async () => {
    const [a, b] = (await nodes.startNodes(2)) as [TestNode, TestNode]
    const api = apiOf(a.node)
    const bId = b.node.network.peerId
    const bAddr = b.node.addresses()[0] as string

    const dialed = await api('POST', '/peers/dial', { address: bAddr })
    expect(dialed).toEqual({ status: 200, body: { peerId: bId, connected: true } })
    expect(a.node.network.connectedPeers()).toContain(bId)

    const banned = await api('POST', `/peers/${bId}/ban`)
    expect(banned).toEqual({ status: 200, body: { peerId: bId, banned: true, until: null } })
    await waitFor('the banned peer disconnected', () => !a.node.network.connectedPeers().includes(bId))
    const again = await api('POST', '/peers/dial', { address: bAddr })
    expect(again.status).toBe(503)
    expect(again.body.error).toMatchObject({ code: 'peer-unreachable' })
    // The banned node cannot come back on its own either.
    await b.node.network.libp2p.dial(multiaddr(a.node.addresses()[0] as string)).catch(() => {})
    await new Promise((r) => setTimeout(r, 300))
    expect(a.node.network.connectedPeers()).not.toContain(bId)

    const lifted = await api('DELETE', `/peers/${bId}/ban`)
    expect(lifted).toEqual({ status: 200, body: { peerId: bId, banned: false, until: null } })
    expect((await api('POST', '/peers/dial', { address: bAddr })).body).toEqual({
      peerId: bId,
      connected: true,
    })

    const timed = await api('POST', `/peers/${bId}/ban?minutes=5`)
    expect(timed.body).toMatchObject({ banned: true, until: expect.any(Number) })
    await api('DELETE', `/peers/${bId}/ban`)
  })

  it('a bad address or peer id is 400 naming it; this node cannot ban itself', async () => {
    const a = await nodes.start('peers-bad')
    const api = apiOf(a.node)
    for (const address of ['not a multiaddr', '/ip4/127.0.0.1/tcp/4001', '', 42])
      expect((await api('POST', '/peers/dial', { address })).body.error, String(address)).toMatchObject({
        code: 'invalid-input',
        field: 'address',
      })
    expect((await api('POST', '/peers/dial', {})).body.error).toMatchObject({ field: 'address' })
    expect((await api('POST', '/peers/QmNotAPeer/ban')).body.error).toMatchObject({ field: 'peer' })
    expect((await api('DELETE', '/peers/QmNotAPeer/ban')).body.error).toMatchObject({ field: 'peer' })
    const self = await api('POST', `/peers/${a.node.network.peerId}/ban`)
    expect(self.body.error).toMatchObject({
      field: 'peer',
      message: expect.stringContaining('this node itself'),
    })
    const otherId = (await nodes.start('peers-other')).node.network.peerId
    expect((await api('POST', `/peers/${otherId}/ban?minutes=0`)).body.error).toMatchObject({
      field: 'minutes',
    })
    expect(a.node.network.isBanned(otherId)).toBe(false)
  })
})
