/**
 * net: the network layer. The mesh over its transport port (libp2p host or in-memory
 * network), hosts, discovery, the org rendezvous key, the sync and admission protocols.
 */

export {
  type AdmitAnswer,
  AdmitProtocol,
  type AdmitProtocolInit,
  type AdmitSource,
  type AdmitTransport,
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
  type Provider,
} from './host.ts'
export { memberKeyOf, memberKeyOfId } from './member-key.ts'
export { Mesh, type MeshInit, type MeshSource, type PeerStatus } from './mesh/mesh.ts'
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
  type SyncTiming,
  serveSync,
} from './sync/sync-protocol.ts'
export {
  type FoundProvider,
  type GossipVerdict,
  type MeshStream,
  type MeshTransport,
  type PeerScorer,
  SCORE_THRESHOLDS,
  type StreamHandler,
  type TopicValidator,
  type TransportEvents,
} from './transport.ts'
