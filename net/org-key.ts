import { createHash } from 'node:crypto'

/** Domain separation for rendezvous keys; bump the version to move every org to new keys. */
export const ORG_RENDEZVOUS_DOMAIN = 'verseguy/org-rendezvous/v1\n'

/** The shortest mesh secret accepted: anything shorter could be guessed. */
export const MIN_MESH_SECRET_BYTES = 16

/**
 * The DHT key under which an org's nodes announce themselves:
 * `sha256(ORG_RENDEZVOUS_DOMAIN || orgId || "\n" || meshSecret)`.
 *
 * Only members hold the mesh secret (it travels in invites), so an outsider who knows
 * the org id still cannot derive the key and list the org's nodes. The newline after
 * the org id keeps the encoding unambiguous, which is why an org id may not contain one.
 *
 * @example
 * ```ts
 * await host.provide(orgRendezvousKey(orgId, secret), signal)
 * ```
 */
export function orgRendezvousKey(orgId: string, meshSecret: Uint8Array): Uint8Array {
  return orgDigest(ORG_RENDEZVOUS_DOMAIN, orgId, meshSecret)
}

/** Domain separation for gossip topic names. */
export const ORG_TOPIC_DOMAIN = 'verseguy/org-topic/v1\n'

/**
 * The gossipsub topic of an org: `/verseguy/org/<hex of the first 16 bytes of
 * sha256(ORG_TOPIC_DOMAIN || orgId || "\n" || meshSecret)>/1`. Like the rendezvous
 * key, an outsider who knows the org id cannot name the topic to subscribe to it.
 */
export function orgTopic(orgId: string, meshSecret: Uint8Array): string {
  const digest = orgDigest(ORG_TOPIC_DOMAIN, orgId, meshSecret)
  return `/verseguy/org/${Buffer.from(digest.subarray(0, 16)).toString('hex')}/1`
}

function orgDigest(domain: string, orgId: string, meshSecret: Uint8Array): Uint8Array {
  if (orgId.length === 0 || orgId.includes('\n')) {
    throw new TypeError('org id must be non-empty and must not contain a newline')
  }
  if (meshSecret.byteLength < MIN_MESH_SECRET_BYTES) {
    throw new TypeError(`mesh secret must be at least ${MIN_MESH_SECRET_BYTES} bytes`)
  }
  const digest = createHash('sha256')
    .update(domain, 'utf8')
    .update(orgId, 'utf8')
    .update('\n', 'utf8')
    .update(meshSecret)
    .digest()
  return new Uint8Array(digest)
}
