import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { fromHex, type MemberKey } from '../../crdt/index.ts'

/** The libp2p peer id of a member key (identity multihash of the Ed25519 public key). */
export function peerIdOf(memberKey: MemberKey): string {
  return peerIdFromPublicKey(publicKeyFromRaw(fromHex(memberKey))).toString()
}
