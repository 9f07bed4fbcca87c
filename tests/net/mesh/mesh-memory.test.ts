/**
 * The mesh acceptance suite on the in-memory network, on a `ManualClock`: anti-entropy
 * rounds, ban expiry and timeouts take no real time.
 */
import { meshAcceptance } from './mesh-acceptance.ts'
import { memoryWorld } from './mesh-world.ts'

meshAcceptance(memoryWorld)
