import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { fromHex, type MemberKey } from '../../crdt/index.ts'

/** The libp2p peer id of a member key (identity multihash of the Ed25519 public key). */
export function peerIdOf(memberKey: MemberKey): string {
  return peerIdFromPublicKey(publicKeyFromRaw(fromHex(memberKey))).toString()
}

/** The member key (hex) a peer id string carries, or null if it is malformed or not Ed25519. */
export function memberKeyOfPeerId(peerId: string): string | null {
  try {
    const raw = peerIdFromString(peerId).publicKey?.raw
    return raw === undefined || raw.length !== 32 ? null : Buffer.from(raw).toString('hex')
  } catch {
    return null
  }
}
