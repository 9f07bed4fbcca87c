/**
 * The addresses an invite carries: this node's, then those of the org's other members
 * connected now (as their nodes announced them), then this node's configured bootstrap
 * peers (an org's relays and always-on nodes: through them a newcomer reaches the DHT and
 * the org's rendezvous), so that any member online can admit the newcomer: the inviter
 * need not be online when the invite is accepted.
 */
import { type Host, memberKeyOf } from '../net/index.ts'

/** At most this many addresses in an invite (the token's own bound is 16). */
export const INVITE_ADDRESSES = 16
const OWN = 4
const PER_MEMBER = 3
const CONFIGURED = 4

export async function inviteAddresses(
  host: Host,
  isMember: (memberKey: string) => boolean,
  configured: readonly string[] = [],
): Promise<string[]> {
  const out = host.multiaddrs().slice(0, OWN)
  // Room kept for a few configured peers, whatever the number of members online.
  const memberRoom = INVITE_ADDRESSES - Math.min(configured.length, CONFIGURED)
  const withConfigured = () => {
    for (const a of configured) if (out.length < INVITE_ADDRESSES && !out.includes(a)) out.push(a)
    return out
  }
  const seen = new Set<string>()
  for (const conn of host.libp2p.getConnections()) {
    const peer = conn.remotePeer
    const id = peer.toString()
    const key = memberKeyOf(peer)
    if (conn.status !== 'open' || seen.has(id) || key === null || !isMember(key)) continue
    seen.add(id)
    let addrs: string[] = []
    try {
      addrs = (await host.libp2p.peerStore.get(peer)).addresses.map((a) => a.multiaddr.toString())
    } catch {
      continue // not in the peer store (yet): skip it
    }
    for (const a of addrs.filter((x) => !x.includes('/p2p-circuit')).slice(0, PER_MEMBER)) {
      if (out.length >= memberRoom) return withConfigured()
      out.push(a.includes('/p2p/') ? a : `${a}/p2p/${id}`)
    }
  }
  return withConfigured()
}
