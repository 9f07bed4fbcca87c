/**
 * The one place that imports a gossipsub implementation. `@chainsafe/libp2p-gossipsub`
 * (named in the design) targets libp2p 2; for libp2p 3 we use js-libp2p's own port,
 * `@libp2p/gossipsub`. Switching back is this one import.
 */
export {
  type GossipSub,
  type GossipsubMessage,
  type GossipsubOpts,
  gossipsub,
  type Message as GossipMessage,
  type PublishResult,
  TopicValidatorResult,
} from '@libp2p/gossipsub'
