export { StoreSyncSource } from './store-sync-source.ts'
