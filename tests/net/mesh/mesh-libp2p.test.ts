/**
 * The mesh acceptance suite on real libp2p hosts over 127.0.0.1 (TCP, Noise, Yamux,
 * gossipsub, the connection gater), kept small: at most four nodes, a 1 s sync interval.
 */
import { meshAcceptance } from './mesh-acceptance.ts'
import { libp2pWorld } from './mesh-world.ts'

meshAcceptance(libp2pWorld)
