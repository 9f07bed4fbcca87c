/**
 * A member's libp2p peer id, and back: the peer id of an Ed25519 key is the key itself
 * (an identity multihash of its protobuf form, in base58btc), so neither direction needs
 * libp2p loaded (a stopped node's `verseguy status` names its peer id).
 * tests/services/identity/peer-id.test.ts checks both against @libp2p/peer-id.
 */
import { base58btc } from 'multiformats/bases/base58'
import { fromHex, toHex } from '../../crdt/crypto.ts'
import type { MemberKey } from '../../crdt/ids.ts'

/** The multihash prefix of an Ed25519 peer id: identity, 36 bytes; protobuf key type 1, 32 bytes. */
const ED25519_PEER = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)

/** The libp2p peer id of a member key. */
export function peerIdOf(memberKey: MemberKey): string {
  const bytes = new Uint8Array(ED25519_PEER.length + 32)
  bytes.set(ED25519_PEER)
  bytes.set(fromHex(memberKey), ED25519_PEER.length)
  return base58btc.baseEncode(bytes)
}

/** The member key (hex) a peer id string carries, or null if it is malformed or not Ed25519. */
export function memberKeyOfPeerId(peerId: string): string | null {
  if (peerId.length > 64) return null
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(peerId)
  } catch {
    return null
  }
  if (bytes.length !== ED25519_PEER.length + 32) return null
  for (let i = 0; i < ED25519_PEER.length; i++) if (bytes[i] !== ED25519_PEER[i]) return null
  return toHex(bytes.subarray(ED25519_PEER.length))
}
