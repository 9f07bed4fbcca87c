/** Operation documents, `op:<orgId>.<opId>`, judged by op-rules.ts. */
import { type DocumentType, leadingOrgId } from '../document-type.ts'
import { validateOperation } from './op-rules.ts'

export const opType: DocumentType = {
  name: 'op',
  orgOf: leadingOrgId,
  validate: (ctx, { auth }) => validateOperation(ctx, auth),
}
