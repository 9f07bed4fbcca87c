/**
 * services/audit: the org's audit trail (its members' signed chain entries) listed with
 * filters and a cursor, verified per author with evidence, and exported as JSON Lines or
 * CSV (licensed: `audit-export`).
 */
export { type AuditEntry, type AuditFilter, auditEntry } from './audit-entry.ts'
export {
  AUDIT_CSV_COLUMNS,
  AUDIT_FORMATS,
  AUDIT_PAGE_DEFAULT,
  AUDIT_PAGE_MAX,
  type AuditFormat,
  type AuditPage,
  AuditService,
  type AuditServiceInit,
} from './audit-service.ts'
export type { AuditVerification, ChainVerdict, Evidence, IssueView } from './chain-verdicts.ts'
