/** An org's license document, `license:<orgId>` (installed licenses, revocations): license-doc.ts. */
import { type DocumentType, leadingOrgId } from '../document-type.ts'
import { validateLicenseDoc } from './license-doc.ts'

export const licenseType: DocumentType = {
  name: 'license',
  orgOf: leadingOrgId,
  validate: (ctx, { auth }) => validateLicenseDoc(ctx, auth),
}
