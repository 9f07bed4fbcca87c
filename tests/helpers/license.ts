/**
 * A test issuer: its own key pair and trust store, so tests issue licenses the way the
 * vendor does, and nodes verify them the way they verify the vendor's.
 */
import { randomBytes } from 'node:crypto'
import {
  FEATURES,
  generateIssuerKey,
  type LicenseFields,
  publicKeyOf,
  type RevocationFields,
  signLicense,
  signRevocations,
  TIER_FEATURES,
  type Tier,
  TrustStore,
} from '../../services/licensing/index.ts'

export const testIssuer = generateIssuerKey('Test Issuer').signer
export const TEST_TRUST = new TrustStore([publicKeyOf(testIssuer)])
export const DAY = 86_400_000

/** License fields for an org, valid for 30 days from `now`, with `overrides`. */
export function licenseFields(
  org: { id: string; owner: string },
  tier: Tier = 'pro',
  overrides: Partial<LicenseFields> = {},
  now = Date.now(),
): LicenseFields {
  return {
    v: 1,
    id: randomBytes(16).toString('hex'),
    keyId: testIssuer.keyId,
    issuer: testIssuer.issuer,
    org: org.id,
    founder: org.owner,
    tier,
    features: [...TIER_FEATURES[tier]].sort(),
    seats: 100,
    issuedAt: now,
    notBefore: now - DAY,
    expires: now + 30 * DAY,
    grace: 7 * DAY,
    ...overrides,
  }
}

export function issueLicense(
  org: { id: string; owner: string },
  tier: Tier = 'pro',
  overrides: Partial<LicenseFields> = {},
  now = Date.now(),
): string {
  return signLicense(licenseFields(org, tier, overrides, now), testIssuer)
}

export function issueRevocations(
  seq: number,
  revoked: string[],
  overrides: Partial<RevocationFields> = {},
): string {
  return signRevocations(
    {
      v: 1,
      keyId: testIssuer.keyId,
      issuer: testIssuer.issuer,
      seq,
      issuedAt: Date.now(),
      revoked: [...revoked].sort(),
      ...overrides,
    },
    testIssuer,
  )
}

export { FEATURES }
