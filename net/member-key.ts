/**
 * A peer's member key: the raw Ed25519 public key its peer id carries (the peer id of an
 * Ed25519 key embeds the key itself, so the name cannot claim another member's key).
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'

/** The member key (hex) of a libp2p `PeerId`, or null if it is not an Ed25519 one. */
export function memberKeyOf(peer: PeerId): string | null {
  const raw = peer.publicKey?.raw
  return raw === undefined || raw.length !== 32 ? null : Buffer.from(raw).toString('hex')
}

/** The member key (hex) of a peer id string, or null if it is malformed or not an Ed25519 one. */
export function memberKeyOfId(peerId: string): string | null {
  try {
    return memberKeyOf(peerIdFromString(peerId))
  } catch {
    return null
  }
}
