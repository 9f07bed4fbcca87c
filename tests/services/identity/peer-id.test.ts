/** Peer ids computed without libp2p agree with @libp2p/peer-id, both ways. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../crdt/crypto.ts'
import type { MemberKey } from '../../../crdt/index.ts'
import { memberKeyOfPeerId, peerIdOf } from '../../../services/identity/index.ts'

describe('peer ids', () => {
  it('are those libp2p makes of the same Ed25519 key, and give the key back', async () => {
    for (let i = 0; i < 50; i++) {
      const key = await generateKeyPair('Ed25519')
      const memberKey = toHex(key.publicKey.raw) as MemberKey
      const libp2p = peerIdFromPublicKey(key.publicKey).toString()
      expect(peerIdOf(memberKey)).toBe(libp2p)
      expect(memberKeyOfPeerId(libp2p)).toBe(memberKey)
    }
  })

  it('give no member key for other key types, malformed or oversized ids', async () => {
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    const good = peerIdOf('11'.repeat(32) as MemberKey)
    for (const id of [secp, '', 'not a peer id', '0OIl', good.slice(0, -1), `${good}1`, 'z'.repeat(10_000)])
      expect(memberKeyOfPeerId(id), id).toBeNull()
  })
})
