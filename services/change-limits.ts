/**
 * Bounds on every change a member writes, whatever the document: checked by the domain
 * validator on local and remote changes alike, so anything a node stores can be served
 * to a peer in one sync batch (net/sync/messages.ts: 2 MiB of changes per batch).
 */
import type { ChangeContext, Verdict } from '../crdt/index.ts'

export const CHANGE_LIMITS = {
  /** Ops in one change (the largest honest one, an org's first roster change, has ~420). */
  opsPerChange: 2_048,
  /** Bytes of all the changes one entry covers. */
  bytesPerEntry: 512 * 1024,
} as const

/** `oversize` when the entry's changes are past the bounds, else null. */
export function changeSizeProblem(ctx: Pick<ChangeContext, 'changes' | 'changeBytes'>): Verdict | null {
  let bytes = 0
  for (const b of ctx.changeBytes) bytes += b.length
  if (bytes > CHANGE_LIMITS.bytesPerEntry)
    return {
      ok: false,
      reason: `changes of one entry exceed ${CHANGE_LIMITS.bytesPerEntry} bytes`,
      kind: 'oversize',
    }
  for (const c of ctx.changes) {
    if (c.ops.length > CHANGE_LIMITS.opsPerChange)
      return {
        ok: false,
        reason: `a change has more than ${CHANGE_LIMITS.opsPerChange} ops`,
        kind: 'oversize',
      }
  }
  return null
}

/**
 * The kind of a refused field value: `oversize` when it is text longer than the field's
 * bound `max` (a node that skips its own checks), else `rule`.
 */
export function valueKind(max: number | undefined, v: unknown): 'oversize' | 'rule' {
  return typeof v === 'string' && max !== undefined && v.length > max ? 'oversize' : 'rule'
}

/** A plain scalar value (of an op or a hangar): no counters, timestamps or bytes. */
export function isScalar(value: unknown, datatype: string | undefined): boolean {
  if (datatype === 'counter' || datatype === 'timestamp' || datatype === 'bytes') return false
  return value === null || ['string', 'number', 'boolean'].includes(typeof value)
}
