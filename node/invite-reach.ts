/**
 * How an invite to an org reaches it: addresses to dial (the running node's own, its
 * connected members', the configured bootstrap peers: invite-addresses.ts; a stopped
 * node's configured peers alone) and the org's rendezvous key, under which any member's
 * node online is found in the DHT, so that the invite works when the inviter is gone.
 */
import { orgRendezvousKey } from '../net/org-key.ts'

/** At most this many addresses in an invite (the token's own bound). */
const INVITE_ADDRESSES = 16

export function inviteReach(
  org: string,
  addresses: readonly string[],
  meshSecret: Uint8Array | null,
): { bootstrap: string[]; rendezvous?: string } {
  const bootstrap = addresses.slice(0, INVITE_ADDRESSES)
  if (meshSecret === null) return { bootstrap }
  return { bootstrap, rendezvous: Buffer.from(orgRendezvousKey(org, meshSecret)).toString('hex') }
}
