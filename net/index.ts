/**
 * net: the libp2p layer. Hosts, discovery, the org rendezvous key; the sync protocols
 * build on `Host.libp2p`.
 */

export {
  type AdmitAnswer,
  AdmitProtocol,
  type AdmitProtocolInit,
  type AdmitSource,
} from './admit/admit-protocol.ts'
export { ADMIT_LIMITS, ADMIT_PROTOCOL, AdmitProtocolError } from './admit/messages.ts'
export { dhtKeyCid } from './dht-key.ts'
export {
  DiscoveryDialer,
  type DiscoveryDialerComponents,
  type DiscoveryDialerInit,
} from './discovery-dialer.ts'
export * from './gossipsub.ts'
export {
  createHost,
  DHT_PROTOCOL,
  type Host,
  type HostEvents,
  type HostInit,
  type HostServices,
  MDNS_SERVICE_TAG,
  type PeerScorer,
  type Provider,
} from './host.ts'
export { Mesh, type MeshInit, type MeshSource, memberKeyOf, type PeerStatus } from './mesh.ts'
export {
  MIN_MESH_SECRET_BYTES,
  ORG_RENDEZVOUS_DOMAIN,
  ORG_TOPIC_DOMAIN,
  orgRendezvousKey,
  orgTopic,
} from './org-key.ts'
export { SYNC_LIMITS, SYNC_PROTOCOL, SyncProtocolError } from './sync/messages.ts'
export {
  requestSync,
  type SyncReceipt,
  SyncRefusedError,
  type SyncSource,
  type SyncSummary,
  serveSync,
} from './sync/sync-protocol.ts'
