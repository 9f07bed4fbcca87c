/** The in-memory network: the transport port's twin, for tests. */
export { DialRefusedError, MemoryNetwork, type MemoryNetworkInit } from './memory-network.ts'
export { MemoryTransport, StreamRefusedError } from './memory-transport.ts'
