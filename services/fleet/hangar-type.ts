/**
 * Per-member hangar documents, `hangar:<orgId>.<memberKey>`: the rules (hangar-rules.ts)
 * and the hangar rows with their per-org totals (fleet-totals.ts).
 */
import { type DocumentType, leadingOrgId } from '../document-type.ts'
import { hangarIndexerWithTotals } from './fleet-totals.ts'
import { validateHangar } from './hangar-rules.ts'

export const hangarType: DocumentType = {
  name: 'hangar',
  orgOf: leadingOrgId,
  validate: (ctx, { auth }) => validateHangar(ctx, auth),
  indexers: [hangarIndexerWithTotals],
}
