/**
 * Who may change an operation, judged op by op (object + key) on the operation as it was
 * at each change's own dependencies, and on the org's authorization state at the roster
 * heads the entry records. Never on the visible patch: a losing concurrent write can
 * become visible later. The same rules judge local and remote changes.
 *
 * - The first change needs `ops:create` (see op-create.ts).
 * - Root fields (title, description, type, time, duration, leader, status) and slots:
 *   the operation's leader (at the change's deps) or `ops:manage`. Status follows the
 *   lifecycle from its value at the deps.
 * - `participants[K]`: K themself (sign up, change own role/ship/slot, withdraw; state
 *   only pending/tentative/withdrawn), or the leader / `ops:manage` (anything, including
 *   confirming and signing up others).
 */
import * as A from '@automerge/automerge'
import type { ChangeContext, DecodedChange, MemberKey, Verdict } from '../../crdt/index.ts'
import { isMemberKey } from '../../crdt/index.ts'
import { isScalar, valueKind } from '../change-limits.ts'
import type { AuthIndex, AuthState, Scalar } from '../org/index.ts'
import { authForEntry, structuralProblem } from '../org/index.ts'
import { type Backend, backendWithPrior } from '../working-doc.ts'
import { judgeOpCreate } from './op-create.ts'
import {
  canTransition,
  EDITABLE_FIELDS,
  isOpStatus,
  OP_LIMITS,
  OP_TEXT_MAX,
  type OpStatus,
  PARTICIPANT_FIELDS,
  parseOpDocId,
  participantValueProblem,
  rootValueProblem,
  SIGNUP_OPEN,
  SLOT_FIELDS,
  SLOT_ID,
  slotValueProblem,
  WITHDRAW_OPEN,
} from './op-schema.ts'

export interface OpChangeInput {
  readonly ctx: ChangeContext
  /** The org's authorization state at the entry's `authHeads` (resolved by the caller). */
  readonly state: AuthState
  readonly orgId: string
  readonly opId: string
}

const OK: Verdict = { ok: true }
const refuse = (reason: string): Verdict => ({ ok: false, reason })
const EDITABLE = new Set<string>(EDITABLE_FIELDS)

/**
 * Judges the changes of one entry to `op:<orgId>.<opId>`, resolving the authorization
 * state at the entry's roster heads first (pending while this node lacks them).
 * This is what the domain validator calls for `op:` documents.
 */
export async function validateOperation(ctx: ChangeContext, auth: AuthIndex): Promise<Verdict> {
  const parts = parseOpDocId(ctx.docId)
  if (parts === null) return refuse(`${ctx.docId} is not an operation id`)
  const judged = await authForEntry(ctx, auth, parts.orgId)
  if (!judged.ok) return judged
  return judgeOpChange({ ctx, state: judged.state, orgId: parts.orgId, opId: parts.opId })
}

/** Judges every change of an entry to an operation document. Deterministic. */
export function judgeOpChange(input: OpChangeInput): Verdict {
  const { ctx, state } = input
  const author = ctx.entry.author
  if (state.deleted) return refuse('the org was deleted; it is read-only')
  if (!state.isMember(author)) return refuse('the author is not a member')
  // The document's backend with everything accepted before each change (earlier in the
  // batch, earlier in this entry); a change's deps are always inside it. The rules read the
  // backend only: never a JS document rebuilt change after change.
  let working = backendWithPrior(ctx)
  let owned = false
  for (const [i, change] of ctx.changes.entries()) {
    if (i > 0) {
      if (!owned) working = working.fork(undefined, working.getHeads())
      working.applyChanges([ctx.changeBytes[i - 1] as A.Change])
      owned = true
    }
    const problem = structuralProblem(change.ops as { action: string }[])
    if (problem !== null) return refuse(problem)
    // Empty only if nothing was applied over an empty held document (asked once per batch:
    // a document with hundreds of concurrent sign-ups has as many heads).
    const empty = i === 0 && ctx.prior.length === 0 && isEmpty(ctx.doc)
    let verdict: Verdict
    if (empty) {
      verdict =
        change.deps.length === 0
          ? judgeOpCreate({
              orgId: input.orgId,
              opId: input.opId,
              author,
              state,
              change,
              bytes: ctx.changeBytes[i] as Uint8Array,
            })
          : refuse('the operation does not exist yet')
    } else if (change.deps.length === 0) {
      verdict = refuse('an operation has exactly one first change')
    } else {
      verdict = new EditJudge(working, change, author, state).judge()
    }
    if (!verdict.ok) return verdict
  }
  return OK
}

const OBJECT_KINDS = new Set(['map', 'list', 'text', 'table'])

/** The id of the object at `key` of the root (`A.getObjectId` read off a backend), or null. */
function rootMapId(backend: Backend, key: string): string | null {
  const v = backend.getWithType('_root', key)
  return v !== null && OBJECT_KINDS.has(v[0]) ? (v[1] as string) : null
}

/** Whether a document has no changes, per document value (a batch asks for each of its entries). */
const emptiness = new WeakMap<A.Doc<unknown>, boolean>()
function isEmpty(doc: A.Doc<unknown>): boolean {
  let empty = emptiness.get(doc)
  if (empty === undefined) {
    empty = A.getHeads(doc).length === 0
    emptiness.set(doc, empty)
  }
  return empty
}

interface RawOp {
  readonly action: string
  readonly obj: string
  readonly key?: unknown
  readonly value?: unknown
  readonly datatype?: string
}

/** Where an op's object sits in the operation's layout. */
type Where =
  | { readonly kind: 'root' | 'participants' | 'slots' }
  | { readonly kind: 'participant' | 'slot'; readonly key: string; readonly isNew: boolean }

/** What one change writes into one participant record. */
interface Touch {
  readonly member: string
  readonly obj: string
  readonly isNew: boolean
  readonly sets: Map<string, Scalar>
}

/** Judges one later change, reading the operation at the change's deps. */
class EditJudge {
  private readonly backend: Backend
  private readonly change: DecodedChange
  private readonly deps: string[]
  private readonly author: MemberKey
  private readonly state: AuthState
  private readonly participantsId: string | null
  private readonly slotsId: string | null
  /** Objects this change makes (op id → where). */
  private readonly made = new Map<string, Where>()
  private readonly located = new Map<string, Where | null>()
  private readonly touched = new Map<string, Touch>()
  private readonly newSlots = new Map<string, Set<string>>()
  private readonly newSlotKeys = new Set<string>()
  /** Keys this change adds to and removes from the slot and sign-up maps. */
  private readonly growth = { slots: new Map<string, boolean>(), participants: new Map<string, boolean>() }
  private managerCache: boolean | undefined
  private status: string | undefined

  constructor(working: Backend, change: DecodedChange, author: MemberKey, state: AuthState) {
    this.backend = working
    this.change = change
    this.deps = [...change.deps]
    this.author = author
    this.state = state
    // Both maps are made by the first change and can never be replaced.
    this.participantsId = rootMapId(working, 'participants')
    this.slotsId = rootMapId(working, 'slots')
  }

  judge(): Verdict {
    for (const [i, raw] of this.change.ops.entries()) {
      const op = raw as RawOp
      if (typeof op.key !== 'string') return refuse('operation ops must address map keys')
      if (op.action === 'set' && !isScalar(op.value, op.datatype))
        return refuse(`value of ${op.key.slice(0, 40)} is not a plain scalar`)
      const at = this.where(op.obj)
      if (at === null) return refuse('op on an object outside the operation layout')
      const id = `${this.change.startOp + i}@${this.change.actor}`
      const value = op.action === 'set' ? (op.value as Scalar) : null
      const problem = this.opProblem(at, op.obj, op.action, op.key, value, id)
      if (problem !== null) return { ok: false, reason: problem, kind: valueKind(OP_TEXT_MAX[op.key], value) }
    }
    for (const keys of this.newSlots.values()) {
      if (SLOT_FIELDS.some((k) => !keys.has(k))) return refuse('a new slot must set role and ship')
    }
    for (const touch of this.touched.values()) {
      const problem = this.recordProblem(touch)
      if (problem !== null) return refuse(problem)
    }
    return (
      this.boundProblem(this.slotsId, this.growth.slots, OP_LIMITS.slotsPerOp, 'slots') ??
      this.boundProblem(this.participantsId, this.growth.participants, OP_LIMITS.signUpsPerOp, 'sign-ups') ??
      OK
    )
  }

  /** `oversize` when the change leaves a map with more than `max` keys, having grown it. */
  private boundProblem(
    obj: string | null,
    growth: Map<string, boolean>,
    max: number,
    what: string,
  ): Verdict | null {
    if (obj === null || growth.size === 0) return null
    const before = this.backend.keys(obj, this.deps)
    const had = new Set(before)
    let n = before.length
    for (const [key, added] of growth) {
      if (added && !had.has(key)) n++
      else if (!added && had.has(key)) n--
    }
    return n > max && n > before.length
      ? { ok: false, reason: `at most ${max} ${what}`, kind: 'oversize' }
      : null
  }

  private opProblem(
    at: Where,
    obj: string,
    action: string,
    key: string,
    v: Scalar,
    id: string,
  ): string | null {
    switch (at.kind) {
      case 'root':
        return this.rootProblem(action, key, v)
      case 'participants': {
        if (!isMemberKey(key)) return 'sign-ups are keyed by member key'
        if (action === 'set') return 'a sign-up must be a record'
        if (action === 'del') {
          this.growth.participants.set(key, false)
          return this.manager() ? null : 'removing a sign-up needs the leader or ops:manage'
        }
        if (key !== this.author) {
          if (!this.manager()) return 'signing up someone else needs the leader or ops:manage'
          if (!this.state.isMember(key)) return 'only members can be signed up'
        }
        this.made.set(id, { kind: 'participant', key, isNew: true })
        this.touch(id, key, true)
        this.growth.participants.set(key, true)
        return null
      }
      case 'participant': {
        if (action !== 'set') return 'sign-up fields are scalars that can only be set'
        const problem = participantValueProblem(key, v)
        if (problem !== null) return problem
        if (at.key !== this.author && !this.manager())
          return "changing another member's sign-up needs the leader or ops:manage"
        if (key === 'state' && v === 'confirmed' && !this.manager())
          return 'confirming a sign-up needs the leader or ops:manage'
        if (key === 'slot' && typeof v === 'string' && !this.slotExists(v)) return `no slot ${v}`
        this.touch(obj, at.key, at.isNew).sets.set(key, v)
        return null
      }
      case 'slots': {
        if (!SLOT_ID.test(key)) return 'slots are keyed by slot id'
        if (action === 'set') return 'a slot must be a record'
        if (!this.manager()) return 'changing slots needs the leader or ops:manage'
        this.growth.slots.set(key, action === 'makeMap')
        if (action === 'makeMap') {
          this.made.set(id, { kind: 'slot', key, isNew: true })
          this.newSlots.set(id, new Set())
          this.newSlotKeys.add(key)
        }
        return null
      }
      case 'slot': {
        if (action !== 'set') return 'slot fields are scalars that can only be set'
        const problem = slotValueProblem(key, v)
        if (problem !== null) return problem
        if (!this.manager()) return 'changing slots needs the leader or ops:manage'
        this.newSlots.get(obj)?.add(key)
        return null
      }
    }
  }

  private rootProblem(action: string, key: string, v: Scalar): string | null {
    if (!EDITABLE.has(key)) return `${key.slice(0, 40)} cannot change after creation`
    if (action !== 'set') return `${key} can only be set`
    const problem = rootValueProblem(key, v)
    if (problem !== null) return problem
    if (!this.manager()) return 'changing the operation needs its leader or ops:manage'
    if (key === 'leader' && !this.state.isMember(v as string)) return 'the leader must be a member'
    if (key === 'status') {
      const from = this.status ?? this.scalarAt('_root', 'status')
      if (!isOpStatus(from)) return 'the status at its dependencies is unknown'
      if (from !== v && !canTransition(from, v as OpStatus)) return `status cannot go from ${from} to ${v}`
      this.status = v as string
    }
    return null
  }

  /** Checks a member's own sign-up as a whole (the leader and ops:manage may write anything). */
  private recordProblem(touch: Touch): string | null {
    const { sets, isNew } = touch
    if (isNew && PARTICIPANT_FIELDS.some((k) => !sets.has(k)))
      return `a new sign-up must set ${PARTICIPANT_FIELDS.join(', ')}`
    if (touch.member !== this.author || this.manager()) return null
    const status = this.scalarAt('_root', 'status') as OpStatus
    const withdrawOnly =
      !isNew &&
      sets.get('state') === 'withdrawn' &&
      [...sets].every(([k, v]) => k === 'state' || k === 'updatedAt' || (k === 'slot' && v === null))
    if (!(withdrawOnly ? WITHDRAW_OPEN : SIGNUP_OPEN).includes(status))
      return `sign-ups are closed (the operation is ${status})`
    if (
      !isNew &&
      !sets.has('state') &&
      (sets.has('role') || sets.has('ship') || sets.has('slot')) &&
      this.scalarAt(touch.obj, 'state') === 'confirmed'
    ) {
      return 'changing a confirmed sign-up must set it back to pending or tentative'
    }
    return null
  }

  private touch(obj: string, member: string, isNew: boolean): Touch {
    let t = this.touched.get(obj)
    if (t === undefined) {
      t = { member, obj, isNew, sets: new Map() }
      this.touched.set(obj, t)
    }
    return t
  }

  /** The leader at the change's deps, or a holder of ops:manage. */
  private manager(): boolean {
    this.managerCache ??=
      this.state.can(this.author, 'ops:manage') || this.scalarAt('_root', 'leader') === this.author
    return this.managerCache
  }

  private slotExists(slotId: string): boolean {
    if (this.newSlotKeys.has(slotId)) return true
    if (this.slotsId === null) return false
    return this.backend.getAll(this.slotsId, slotId, this.deps).length > 0
  }

  /** A scalar visible at the change's deps. */
  private scalarAt(obj: string, key: string): Scalar | undefined {
    const v = this.backend.get(obj, key, this.deps) as unknown
    if (A.isImmutableString(v)) return v.toString()
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
    return undefined
  }

  /** Maps an object id to its place: fixed maps, objects made here, or records visible at the deps. */
  private where(obj: string): Where | null {
    if (obj === '_root') return { kind: 'root' }
    if (obj === this.participantsId) return { kind: 'participants' }
    if (obj === this.slotsId) return { kind: 'slots' }
    const made = this.made.get(obj)
    if (made !== undefined) return made
    if (this.located.has(obj)) return this.located.get(obj) ?? null
    let found: Where | null = null
    try {
      const info = this.backend.objInfo(obj, this.deps)
      const [parent, key] = info.path ?? []
      if (info.type === 'map' && info.path?.length === 2 && typeof key === 'string') {
        if (parent === 'participants') found = { kind: 'participant', key, isNew: false }
        else if (parent === 'slots') found = { kind: 'slot', key, isNew: false }
      }
    } catch {
      found = null // not an object of this document
    }
    this.located.set(obj, found)
    return found
  }
}
