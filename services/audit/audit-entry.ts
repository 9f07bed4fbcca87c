/**
 * One chain entry as the audit trail shows it: who (author, seq), what (action,
 * resource, document, details), when (the author's clock), and the hashes that link it.
 */
import type { Entry, JsonValue } from '../../crdt/index.ts'

export interface AuditEntry {
  readonly author: string
  readonly seq: number
  /** Milliseconds since the epoch, as the author's clock said (order within a chain is seq). */
  readonly time: number
  readonly action: string
  readonly resource: string
  /** The document the entry's changes belong to, or null. */
  readonly doc: string | null
  readonly details: JsonValue
  /** How many Automerge changes the entry covers. */
  readonly changes: number
  readonly hash: string
  /** The hash of the author's previous entry (null for seq 1). */
  readonly prev: string | null
}

export function auditEntry(e: Entry): AuditEntry {
  return {
    author: e.author,
    seq: e.seq,
    time: e.time,
    action: e.action,
    resource: e.resource,
    doc: e.doc,
    details: e.details,
    changes: e.changes.length,
    hash: e.hash,
    prev: e.prev,
  }
}

/** What a listing or an export keeps; every given filter must match. */
export interface AuditFilter {
  /** The author's member key. */
  readonly member?: string | undefined
  /** The exact action, e.g. `ship.add`. */
  readonly action?: string | undefined
  /** A document id or a resource (either matches). */
  readonly doc?: string | undefined
  /** From this time (ms, inclusive). */
  readonly since?: number | undefined
  /** Up to this time (ms, inclusive). */
  readonly until?: number | undefined
}

/** Whether `e` passes the action and document filters (member and time are range bounds). */
export function matches(e: Entry, f: AuditFilter): boolean {
  if (f.action !== undefined && e.action !== f.action) return false
  if (f.doc !== undefined && e.doc !== f.doc && e.resource !== f.doc) return false
  return true
}
