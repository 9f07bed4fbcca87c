export { FleetService, type FleetStats, hangarId } from './fleet-service.ts'
export { validateHangar } from './hangar-rules.ts'
export * from './hangar-schema.ts'
export type { LoadoutView, ShipView } from './ship-view.ts'
