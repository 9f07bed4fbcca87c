/** services/mesh: the node's documents as the sync protocol sees them. */
export { StoreSyncSource } from './store-sync-source.ts'
