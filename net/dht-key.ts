import { hash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'

/** Multihash code of SHA2-256. */
const SHA2_256 = 0x12

/**
 * The CID the DHT stores provider records under for an arbitrary key: CIDv1, `raw`
 * codec, SHA2-256 multihash of the key bytes.
 */
export function dhtKeyCid(key: Uint8Array): CID {
  const digest = hash('sha256', key, 'buffer')
  return CID.createV1(raw.code, createDigest(SHA2_256, new Uint8Array(digest)))
}
