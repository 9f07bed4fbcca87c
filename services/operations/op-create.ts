/**
 * An operation's first change: its creator (who needs `ops:create`) lays out every root
 * field, the slots and an empty participant map. Judged by materializing the change on
 * an empty document and comparing it with the only allowed shape.
 */
import * as A from '@automerge/automerge'
import type { DecodedChange, MemberKey, RefusalKind, Verdict } from '../../crdt/index.ts'
import { isScalar, valueKind } from '../change-limits.ts'
import type { AuthState, Scalar } from '../org/index.ts'
import { text } from '../org/index.ts'
import {
  deriveOpId,
  INITIAL_STATUSES,
  OP_LIMITS,
  OP_TEXT_MAX,
  OPTIONAL_ROOT_FIELDS,
  type OpStatus,
  ROOT_FIELDS,
  rootValueProblem,
  SLOT_FIELDS,
  SLOT_ID,
  slotValueProblem,
} from './op-schema.ts'

export interface OpCreateInput {
  readonly orgId: string
  readonly opId: string
  readonly author: MemberKey
  /** The org's authorization state at the entry's roster heads. */
  readonly state: AuthState
  readonly change: DecodedChange
  readonly bytes: Uint8Array
}

const SORTED_ROOT = [...ROOT_FIELDS].sort().join()
const SORTED_SLOT = [...SLOT_FIELDS].sort().join()

/** Judges the first change of `op:<orgId>.<opId>`. */
export function judgeOpCreate(input: OpCreateInput): Verdict {
  const { author, state, change } = input
  const refuse = (reason: string, kind: RefusalKind = 'rule'): Verdict => ({
    ok: false,
    reason: `invalid operation creation: ${reason}`,
    kind,
  })
  if (!state.can(author, 'ops:create')) return { ok: false, reason: 'creating an operation needs ops:create' }
  for (const op of change.ops as { action: string; value?: unknown; datatype?: string }[]) {
    if (op.action !== 'makeMap' && op.action !== 'set')
      return { ok: false, reason: `op ${op.action} is not allowed: fields are scalars and maps` }
    if (op.action === 'set' && !isScalar(op.value, op.datatype))
      return refuse('a value is not a plain scalar')
  }
  let js: Record<string, unknown>
  try {
    const [doc] = A.applyChanges(A.init<unknown>(), [input.bytes])
    js = A.toJS(doc) as Record<string, unknown>
  } catch {
    return refuse('the change does not apply')
  }
  const optional = OPTIONAL_ROOT_FIELDS.filter((k) => k in js)
  const required = Object.keys(js).filter((k) => !(OPTIONAL_ROOT_FIELDS as readonly string[]).includes(k))
  if (required.sort().join() !== SORTED_ROOT) return refuse('wrong top-level layout')
  const root = new Map<string, Scalar>()
  for (const key of [...ROOT_FIELDS, ...optional]) {
    if (key === 'slots' || key === 'participants') continue
    const v = scalarOf(js[key])
    if (v === undefined) return refuse(`${key} is not a scalar`)
    const problem = rootValueProblem(key, v)
    if (problem !== null) return refuse(problem, valueKind(OP_TEXT_MAX[key], v))
    root.set(key, v)
  }
  if (root.get('org') !== input.orgId || root.get('id') !== input.opId)
    return refuse('org and id must be those of the document id')
  if (root.get('creator') !== author) return refuse('the creator must be the author')
  if (deriveOpId(input.orgId, author, root.get('nonce') as string) !== input.opId)
    return refuse('the operation id is not bound to its creator')
  if (!INITIAL_STATUSES.includes(root.get('status') as OpStatus))
    return refuse(`an operation starts as ${INITIAL_STATUSES.join(' or ')}`)
  if (!state.isMember(root.get('leader') as string)) return refuse('the leader must be a member')
  const participants = mapOf(js.participants)
  if (participants === null || Object.keys(participants).length > 0)
    return refuse('an operation starts with no sign-ups')
  const slots = mapOf(js.slots)
  if (slots === null) return refuse('slots must be a map')
  if (Object.keys(slots).length > OP_LIMITS.slotsPerOp)
    return { ok: false, reason: `at most ${OP_LIMITS.slotsPerOp} slots`, kind: 'oversize' }
  for (const [slotId, raw] of Object.entries(slots)) {
    const slot = mapOf(raw)
    if (!SLOT_ID.test(slotId) || slot === null || Object.keys(slot).sort().join() !== SORTED_SLOT)
      return refuse('a slot is a record of role and ship under a slot id')
    for (const key of SLOT_FIELDS) {
      const v = scalarOf(slot[key])
      const problem = v === undefined ? `slot ${key} is not a scalar` : slotValueProblem(key, v)
      if (problem !== null) return refuse(problem, valueKind(OP_TEXT_MAX[key], v))
    }
  }
  return { ok: true }
}

function scalarOf(v: unknown): Scalar | undefined {
  if (A.isImmutableString(v)) return text(v) as string
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v
  return undefined
}

function mapOf(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || A.isImmutableString(v)) return null
  if (v instanceof Date || v instanceof Uint8Array) return null
  return v as Record<string, unknown>
}
