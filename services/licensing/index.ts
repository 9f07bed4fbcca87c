export { IssuerKeyError, LicenseInvalidError, SeatsExhaustedError } from './errors.ts'
export {
  FEATURES,
  type Feature,
  FREE_FEATURES,
  isFeature,
  TIER_FEATURES,
  TIERS,
  type Tier,
} from './features.ts'
export {
  generateIssuerKey,
  type IssuerPublicKey,
  type IssuerSigner,
  keyIdOf,
  publicKeyOf,
  readIssuerKey,
  readIssuerPublicKey,
  TrustStore,
  writeIssuerKeyFiles,
} from './issuer-keys.ts'
export {
  CLOCK_RESET_ACTION,
  type ClockReading,
  type ClockReset,
  ROLLBACK_TOLERANCE_MS,
} from './license-clock.ts'
export { type LicenseDoc, licenseDocId, validateLicenseDoc } from './license-doc.ts'
export {
  decodeLicense,
  decodeRevocations,
  LICENSE_DOMAIN,
  type LicenseFields,
  REVOCATIONS_DOMAIN,
  type RevocationFields,
  readLicense,
  readRevocations,
  type SignedLicense,
  type SignedRevocations,
  signLicense,
  signRevocations,
  verifyLicenseSignature,
} from './license-format.ts'
export { LicenseService, type LicenseStatus, type RevocationsStatus, tierFor } from './license-service.ts'
export { evaluateLicense, LICENSE_STATES, type LicenseState, type LicenseVerdict } from './license-status.ts'
export { licenseType } from './license-type.ts'
