/**
 * Removal that holds (rule 5): the membership resolver and the masked views it gives the
 * services (through `AuthIndex.membership`).
 */
export { causalOrder, foldChanges } from './causal-fold.ts'
export { type MaskedEntry, MembershipResolver, type Resolution } from './membership-resolver.ts'
export type { RemovalEvent } from './removal-events.ts'
