/**
 * License, revocation and issuer-key files for the CLI's offline commands (keys, sign,
 * verify, revoke), without starting or loading the node.
 */
export {
  type ClockReset,
  decodeLicense,
  type LicenseStatus,
  type RevocationsStatus,
  readIssuerKey,
  readIssuerPublicKey,
  readLicense,
  signLicense,
  signRevocations,
  TrustStore,
  writeIssuerKeyFiles,
} from '../services/licensing/index.ts'
