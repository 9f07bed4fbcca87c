export {
  HangarOutOfReachError,
  ImportFileError,
  ImportTooLargeError,
  LoadoutNotFoundError,
  ShipNotFoundError,
} from './errors.ts'
export { FleetService, type FleetStats, hangarId } from './fleet-service.ts'
export { hangarIndexerWithTotals } from './fleet-totals.ts'
export { hangarIndexer } from './hangar-index.ts'
export { validateHangar } from './hangar-rules.ts'
export * from './hangar-schema.ts'
export { hangarType } from './hangar-type.ts'
export type { ImportedShipView, ImportResult } from './import/hangar-import.ts'
export { SKIP_REASONS, type SkippedEntry, type SkipReason } from './import/import-plan.ts'
export { IMPORT_LIMITS } from './import/imported-ship.ts'
export { parseImport } from './import/parse-import.ts'
export { readImportFile } from './import/read-import-file.ts'
export type { ShipFilter } from './ship-query.ts'
export type { LoadoutView, ShipSummary, ShipView } from './ship-view.ts'
