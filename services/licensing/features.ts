/**
 * Tiers and the features they unlock (the product's table), which `LicenseService` checks
 * for the org side's `FeatureGate` before a gated write. A gated feature without a valid
 * license turns read-only: the data it made stays, shown as before.
 */
export const TIERS = ['free', 'pro', 'enterprise'] as const
export type Tier = (typeof TIERS)[number]

export const FEATURES = [
  // Free
  'org',
  'fleet',
  'ops',
  'local-auth',
  // Pro
  'custom-ranks',
  'fleet-analytics',
  'op-templates',
  'multiple-orgs',
  'treasury',
  'recruitment',
  // Enterprise
  'rbac',
  'audit-export',
  'compliance-reports',
  'api',
  'branding',
  'p2p-networking',
] as const
export type Feature = (typeof FEATURES)[number]

const FREE: readonly Feature[] = ['org', 'fleet', 'ops', 'local-auth']
const PRO: readonly Feature[] = [
  ...FREE,
  'custom-ranks',
  'fleet-analytics',
  'op-templates',
  'multiple-orgs',
  'treasury',
  'recruitment',
]
const ENTERPRISE: readonly Feature[] = [
  ...PRO,
  'rbac',
  'audit-export',
  'compliance-reports',
  'api',
  'branding',
  'p2p-networking',
]

/** What each tier includes; a license lists its entitlements explicitly (these by default). */
export const TIER_FEATURES: Readonly<Record<Tier, readonly Feature[]>> = {
  free: FREE,
  pro: PRO,
  enterprise: ENTERPRISE,
}

/** Features that work with no license at all. */
export const FREE_FEATURES: ReadonlySet<Feature> = new Set(FREE)

export function isFeature(value: unknown): value is Feature {
  return typeof value === 'string' && (FEATURES as readonly string[]).includes(value)
}
