/**
 * A newcomer's first gossip can reach a node before the admission that made it a member
 * (another member admitted it). The node refuses the gossip unread, catches up from the
 * members it is connected to, finds the admission, and counts no offence: an honest
 * newcomer is never banned for being quick. A true stranger still is (mesh-bombs).
 */
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { parseDocId } from '../../crdt/index.ts'
import { orgTopic } from '../../net/index.ts'
import { encodeMessage, SYNC_PROTOCOL } from '../../net/sync/messages.ts'
import { serveSync } from '../../net/sync/sync-protocol.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { signJoinRequest } from '../../services/org/join-request.ts'
import { type RosterDoc, text } from '../../services/org/roster-schema.ts'
import { useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'
import { everything, makeReplica, type Replica } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const mesh = useMeshNodes()
const replicas: Replica[] = []
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.close()
})

describe('a newcomer quicker than its admission', () => {
  it('its first gossip is refused, the node catches up from a member, and the newcomer is not penalised', async () => {
    // No periodic pulls during the test: the admission can only come by the catch-up the gossip prompts.
    const t = await mesh.node([], { syncIntervalSeconds: 600 })
    const org = await t.services.org.createOrg({ name: 'Quick Org', tag: 'QCK', handle: 'Lead_Q' })
    const roster = await t.documents.get<RosterDoc>(parseDocId(`org:${org.id}`))
    const topic = orgTopic(org.id, Buffer.from(text(roster.org.nonce) ?? '', 'hex'))

    // M, an officer, behind a bare host that serves its store but never gossips.
    const mSeed = new Uint8Array(randomBytes(32))
    const m = await makeReplica(makeSigner(mSeed))
    replicas.push(m)
    const officerInvite = await t.services.invites.createInvite(org.id, { rank: 'officer' })
    const asOfficer = await t.services.invites.admit(
      m.invites.joinRequest(officerInvite.token, 'Off_M').request,
    )
    expect(asOfficer.ok).toBe(true)
    await m.store.receive(await everything({ store: t.documents } as Replica))
    const mHost = await mesh.hostile(mSeed)
    const source = new StoreSyncSource({ store: m.store, auth: m.validator.auth })
    await mHost.libp2p.handle(SYNC_PROTOCOL, (stream) => {
      void serveSync(stream, t.services.org.me, source).catch(() => {})
    })
    await mHost.libp2p.dial(multiaddr(t.addresses()[0] as string))
    await waitFor('M connected to T', () => t.network.connectedPeers().includes(mHost.peerId))

    // M admits N; T has not heard of it.
    const nSeed = new Uint8Array(randomBytes(32))
    const n = makeSigner(nSeed)
    const { token } = await m.invites.createInvite(org.id, { rank: 'member' })
    const admitted = await m.invites.admit(signJoinRequest({ orgId: org.id, token, handle: 'New_N' }, n))
    expect(admitted.ok).toBe(true)
    expect((await t.services.org.members(org.id)).some((x) => x.memberKey === n.memberKey)).toBe(false)

    // N connects and gossips at once, three times.
    const nHost = await mesh.hostile(nSeed)
    await nHost.libp2p.dial(multiaddr(t.addresses()[0] as string))
    nHost.libp2p.services.pubsub.subscribe(topic)
    await waitFor('T on the topic, as N sees it', () =>
      nHost.libp2p.services.pubsub.getSubscribers(topic).some((p) => p.toString() === t.network.peerId),
    )
    for (let i = 0; i < 3; i++)
      await nHost.libp2p.services.pubsub
        .publish(topic, encodeMessage({ t: 'batch', entries: [], changes: [new Uint8Array([i])] }))
        .catch(() => {})

    await waitFor('the admission on T', async () =>
      (await t.services.org.members(org.id)).some((x) => x.memberKey === n.memberKey),
    )
    await new Promise((r) => setTimeout(r, 500))
    expect(t.network.isBanned(nHost.peerId)).toBe(false)
    expect(t.network.connectedPeers()).toContain(nHost.peerId)
  }, 60_000)
})
