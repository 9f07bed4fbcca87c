/**
 * The admission protocol over real libp2p hosts on 127.0.0.1, between real stores: a
 * newcomer is admitted by a member's node and fetches the org; the request must be the
 * asking peer's own; hostile frames and floods cost the member's node nothing.
 */
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ADMIT_LIMITS,
  ADMIT_PROTOCOL,
  AdmitProtocolError,
  decodeAdmitMessage,
  encodeAdmitMessage,
} from '../../net/admit/messages.ts'
import {
  AdmitProtocol,
  createHost,
  type Host,
  memberKeyOf,
  SYNC_PROTOCOL,
  serveSync,
} from '../../net/index.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { makeReplica, type Replica } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const open: Replica[] = []
const hosts: Host[] = []
const protocols: AdmitProtocol[] = []
afterEach(async () => {
  for (const p of protocols.splice(0)) await p.stop()
  for (const h of hosts.splice(0)) await h.stop()
  for (const r of open.splice(0)) await r.close()
})

/** A replica and its host (same key), speaking the admission protocol. */
async function peer(): Promise<{ r: Replica; host: Host; admit: AdmitProtocol }> {
  const seed = new Uint8Array(randomBytes(32))
  const r = await makeReplica(makeSigner(seed))
  open.push(r)
  const host = await createHost({ seed, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  hosts.push(host)
  await host.start()
  const sync = new StoreSyncSource({ store: r.store, auth: r.validator.auth })
  const admit = new AdmitProtocol({
    transport: host,
    sync,
    source: { admit: (org, member, request) => r.invites.admit(request, { member, org }) },
  })
  protocols.push(admit)
  await admit.start()
  // The sync protocol too, for the fetch that follows an admission.
  await host.libp2p.handle(SYNC_PROTOCOL, (stream, conn) => {
    void serveSync(stream, memberKeyOf(conn.remotePeer) ?? '', sync).catch(() => {})
  })
  return { r, host, admit }
}

const signal = () => AbortSignal.timeout(20_000)

describe('admission protocol', () => {
  it('a member admits a newcomer over the network; the newcomer then holds the org as a member', async () => {
    const leader = await peer()
    const newcomer = await peer()
    const org = await leader.r.org.createOrg({ name: 'Net Org', tag: 'NET', handle: 'Lead_1' })
    const { token } = await leader.r.invites.createInvite(org.id, { rank: 'member' })
    const { request } = newcomer.r.invites.joinRequest(token, 'New_1')
    const addr = leader.host.multiaddrs()[0] as string
    expect(await newcomer.admit.join(addr, org.id, request, signal())).toEqual({ ok: true })
    const state = await newcomer.r.org.currentState(org.id)
    expect(state.isMember(newcomer.r.signer.memberKey)).toBe(true)
    // Asked again with the same invite by somebody else: refused with a code and words.
    const other = await peer()
    const again = other.r.invites.joinRequest(token, 'Other_1').request
    expect(await other.admit.join(addr, org.id, again, signal())).toEqual({
      ok: false,
      code: 'used',
      reason: 'this invite was already used',
    })
    expect(await other.r.org.listOrgs()).toEqual([])
  })

  it('asked by peer id, the newcomer fetches the org into the sync source it names, nothing into its own', async () => {
    const leader = await peer()
    const newcomer = await peer()
    const org = await leader.r.org.createOrg({ name: 'Net Org', tag: 'NET', handle: 'Lead_1' })
    const { token } = await leader.r.invites.createInvite(org.id, { rank: 'member' })
    const { request } = newcomer.r.invites.joinRequest(token, 'New_1')
    const staging = await makeReplica(newcomer.r.signer)
    open.push(staging)
    const into = new StoreSyncSource({ store: staging.store, auth: staging.validator.auth })
    // Where the leader listens, as the DHT would have said.
    await newcomer.host.libp2p.peerStore.merge(leader.host.libp2p.peerId, {
      multiaddrs: leader.host.libp2p.getMultiaddrs(),
    })
    expect(await newcomer.admit.join(leader.host.peerId, org.id, request, signal(), into)).toEqual({
      ok: true,
    })
    expect((await staging.org.currentState(org.id)).isMember(newcomer.r.signer.memberKey)).toBe(true)
    expect(await newcomer.r.org.listOrgs()).toEqual([])
  })

  it("a peer sending somebody else's request is refused: the request must be the asker's own", async () => {
    const leader = await peer()
    const thief = await peer()
    const org = await leader.r.org.createOrg({ name: 'Net Org', tag: 'NET', handle: 'Lead_1' })
    const { token } = await leader.r.invites.createInvite(org.id, { rank: 'member' })
    const victim = await makeReplica(makeSigner())
    open.push(victim)
    const { request } = victim.invites.joinRequest(token, 'Victim_1')
    const addr = leader.host.multiaddrs()[0] as string
    expect(await thief.admit.join(addr, org.id, request, signal())).toMatchObject({
      ok: false,
      code: 'bad-request',
    })
    expect((await leader.r.org.members(org.id)).length).toBe(1)
  })

  it('a malformed frame ends the exchange with nothing admitted; a flood is answered busy', async () => {
    const leader = await peer()
    const org = await leader.r.org.createOrg({ name: 'Net Org', tag: 'NET', handle: 'Lead_1' })
    const stranger = await createHost({ seed: new Uint8Array(randomBytes(32)), listen: [], mdns: false })
    hosts.push(stranger)
    await stranger.start()
    const addr = multiaddr(leader.host.multiaddrs()[0] as string)
    const ask = async (frame: Uint8Array) => {
      try {
        const conn = await stranger.libp2p.dial(addr, { signal: signal() })
        const stream = await conn.newStream(ADMIT_PROTOCOL, { signal: signal() })
        const lp = lpStream(stream, { maxDataLength: ADMIT_LIMITS.maxFrameBytes })
        await lp.write(frame)
        const answer = decodeAdmitMessage((await lp.read({ signal: signal() })).subarray())
        await stream.close()
        return answer
      } catch (err) {
        return err as Error
      }
    }
    const garbage = await ask(new Uint8Array(randomBytes(64)))
    expect(garbage).toBeInstanceOf(Error)
    await new Promise((r) => setTimeout(r, 100))
    const junkRequest = await ask(
      encodeAdmitMessage({ t: 'admit', org: org.id, request: new Uint8Array(100) }),
    )
    expect(junkRequest).toMatchObject({ t: 'no', code: 'bad-request' })
    const answers = []
    for (let i = 0; i < 6; i++)
      answers.push(await ask(encodeAdmitMessage({ t: 'admit', org: org.id, request: new Uint8Array(100) })))
    expect(answers.at(-1)).toMatchObject({ t: 'no', code: 'busy' })
    expect((await leader.r.org.members(org.id)).length).toBe(1)
  })
})

describe('admission messages', () => {
  it('decode only exact, bounded shapes', () => {
    const org = 'ab'.repeat(16)
    expect(decodeAdmitMessage(encodeAdmitMessage({ t: 'ok' }))).toEqual({ t: 'ok' })
    const bad = [
      { t: 'admit', org, request: new Uint8Array(ADMIT_LIMITS.maxRequestBytes + 1) },
      { t: 'admit', org: 'nope', request: new Uint8Array(1) },
      { t: 'admit', org, request: new Uint8Array(1), extra: 1 },
      { t: 'no', code: 'Not A Code', reason: 'x' },
      { t: 'no', code: 'used', reason: 'x'.repeat(ADMIT_LIMITS.maxReason + 1) },
      { t: 'ok', more: true },
      { t: 'what' },
    ]
    for (const m of bad) expect(() => decodeAdmitMessage(dagCbor.encode(m))).toThrow(AdmitProtocolError)
    expect(() => decodeAdmitMessage(new Uint8Array(ADMIT_LIMITS.maxFrameBytes + 1))).toThrow(/too large/)
  })
})
