/** The in-memory network: the transport port's twin, for tests. */
export { DialRefusedError, StreamRefusedError } from './errors.ts'
export { MemoryNetwork, type MemoryNetworkInit } from './memory-network.ts'
export { MemoryTransport } from './memory-transport.ts'
