/**
 * The gate the org and invite services ask before a licensed write. The port is the org
 * side's (org/ knows nothing of licenses); `LicenseService` (services/licensing)
 * implements it, and its feature table must hold every `GatedFeature` (checked where it
 * `implements FeatureGate`).
 */

/** The licensed features the org services ask for. */
export type GatedFeature = 'multiple-orgs' | 'custom-ranks' | 'rbac'

/** Asked by the services before a gated write. Implemented by `LicenseService`. */
export interface FeatureGate {
  /** Throws `FeatureLockedError` unless `feature` is available to `orgId` now. */
  require(orgId: string, feature: GatedFeature): Promise<void>
  /** Whether any org this node holds has `feature` now (node-wide features). */
  anyOrgHas(feature: GatedFeature): Promise<boolean>
  /** Throws `SeatsExhaustedError` when the org's license has no seat for one more member. */
  requireSeat(orgId: string): Promise<void>
}

/** A gate that opens everything: for tools that judge documents without a node's license state. */
export const OPEN_GATE: FeatureGate = {
  require: async () => {},
  anyOrgHas: async () => true,
  requireSeat: async () => {},
}
