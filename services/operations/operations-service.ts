/**
 * Operations: scheduling, slots, sign-ups, confirmation, lifecycle, and the iCalendar
 * export. Input is checked here (errors name the field), and so are permissions, early,
 * with the permission and the caller's rank (reading needs `ops:view`; changing an
 * operation or someone else's sign-up needs its leader or `ops:manage`). Who may change
 * what is decided again by the operation rules (op-rules.ts), the same on every node, so
 * a write this node's checks missed throws `ChangeRefusedError` and writes nothing.
 */
import * as A from '@automerge/automerge'
import type { DocumentStore, MemberKey, Signer } from '../../crdt/index.ts'
import type { AuthIndex } from '../org/index.ts'
import { InvalidInputError, str, text } from '../org/index.ts'
import { OperationConflictError, OperationNotFoundError } from './errors.ts'
import { toIcs } from './ics-export.ts'
import { OpAccess } from './op-access.ts'
import {
  description,
  duration,
  flag,
  initialStatus,
  MAX_SLOTS,
  memberKey,
  type NewOperationInput,
  type OperationPatch,
  type OperationsFilter,
  opId,
  opIds,
  parse,
  role,
  type SignUpInput,
  shipId,
  slotId,
  slotInput,
  slotsInput,
  status,
  time,
  timeZone,
  title,
  type,
  when,
} from './op-input.ts'
import {
  canTransition,
  deriveOpId,
  LIFECYCLE,
  newOpNonce,
  newSlotId,
  OP_LIMITS,
  OP_SCHEMA,
  type OperationDoc,
  type OpStatus,
  opDocId,
  type ParticipantRecord,
  SIGNUP_OPEN,
} from './op-schema.ts'
import { type OperationView, operationView } from './op-view.ts'

export interface OperationsServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number
}

/** Which operations `list` returns: by time (`when`, default all) and by status. */
export interface ListOptions {
  readonly when?: OperationsFilter | undefined
  readonly status?: unknown
}

/** Statuses after which nothing about an operation changes. */
const FINAL: readonly OpStatus[] = ['completed', 'cancelled']

export class OperationsService {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly access: OpAccess
  private readonly now: () => number

  constructor(components: OperationsServiceComponents) {
    this.store = components.store
    this.signer = components.signer
    this.access = new OpAccess(components.store, components.auth, components.signer.memberKey)
    this.now = components.now ?? Date.now
  }

  get me(): MemberKey {
    return this.signer.memberKey
  }

  /** Schedules an operation (needs ops:create). */
  async createOperation(orgId: string, input: NewOperationInput): Promise<OperationView> {
    const t = parse(title, input.title, 'title')
    const d = parse(description, input.description ?? '', 'description')
    const ty = parse(type, input.type, 'type')
    const at = parse(time, input.scheduledAt, 'scheduledAt')
    const dur = parse(duration, input.durationMin, 'durationMin')
    const leader = parse(memberKey, input.leader ?? this.me, 'leader')
    const st = parse(initialStatus, input.status ?? 'planned', 'status')
    const slots = parse(slotsInput, input.slots ?? [], 'slots')
    const zone =
      input.timeZone === undefined || input.timeZone === null
        ? null
        : parse(timeZone, input.timeZone, 'timeZone')
    const state = await this.access.require(orgId, 'ops:create', 'Scheduling an operation')
    if (!state.isMember(leader)) throw new InvalidInputError('leader', 'must be a member of the org')
    const nonce = newOpNonce()
    const id = deriveOpId(orgId, this.me, nonce)
    const now = this.now()
    const action = await this.access.action(orgId, 'op.create', id, { title: t, type: ty, scheduledAt: at })
    await this.store.create<OperationDoc>(opDocId(orgId, id), action, (doc) => {
      doc.schema = OP_SCHEMA
      doc.org = str(orgId)
      doc.id = str(id)
      doc.nonce = str(nonce)
      doc.title = str(t)
      doc.description = str(d)
      doc.type = str(ty)
      doc.scheduledAt = at
      doc.durationMin = dur
      doc.leader = str(leader)
      doc.creator = str(this.me)
      doc.status = str(st)
      doc.createdAt = now
      // Set only when given: an operation without one is laid out as before time zones.
      if (zone !== null) doc.timeZone = str(zone)
      doc.slots = Object.fromEntries(
        slots.map((s) => [newSlotId(), { role: str(s.role), ship: s.ship === null ? null : str(s.ship) }]),
      )
      doc.participants = {}
    })
    return this.get(orgId, id)
  }

  /**
   * Changes title, description, type, time, duration, leader or time zone (null: none)
   * (leader or ops:manage).
   */
  async updateOperation(orgId: string, id: unknown, patch: OperationPatch): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const p: Record<string, string | number | null> = {}
    if (patch.title !== undefined) p.title = parse(title, patch.title, 'title')
    if (patch.description !== undefined) p.description = parse(description, patch.description, 'description')
    if (patch.type !== undefined) p.type = parse(type, patch.type, 'type')
    if (patch.scheduledAt !== undefined) p.scheduledAt = parse(time, patch.scheduledAt, 'scheduledAt')
    if (patch.durationMin !== undefined) p.durationMin = parse(duration, patch.durationMin, 'durationMin')
    if (patch.timeZone !== undefined)
      p.timeZone = patch.timeZone === null ? null : parse(timeZone, patch.timeZone, 'timeZone')
    if (patch.leader !== undefined) {
      p.leader = parse(memberKey, patch.leader, 'leader')
      if (!(await this.access.state(orgId)).isMember(p.leader))
        throw new InvalidInputError('leader', 'must be a member of the org')
    }
    if (Object.keys(p).length === 0)
      throw new InvalidInputError(
        'op',
        'give at least one of title, description, type, scheduledAt, durationMin, leader, timeZone',
      )
    await this.access.requireManager(orgId, op, 'Changing an operation')
    const { description: _long, ...details } = p
    await this.access.write(orgId, op.id, 'op.update', details, (doc) => {
      for (const [k, v] of Object.entries(p)) {
        ;(doc as unknown as Record<string, unknown>)[k] = typeof v === 'string' ? str(v) : v
      }
    })
    return this.get(orgId, op.id)
  }

  /**
   * Moves the operation along its lifecycle (leader or ops:manage). A step the lifecycle
   * does not allow is an `OperationConflictError` (409) naming the allowed ones.
   */
  async setStatus(orgId: string, id: unknown, to: unknown): Promise<OperationView> {
    const next = parse(status, to, 'status')
    const op = await this.get(orgId, id)
    await this.access.requireManager(orgId, op, 'Changing the status of an operation')
    if (op.status === next) throw new OperationConflictError('status', `the operation is already ${next}`)
    if (!canTransition(op.status, next)) {
      const allowed = LIFECYCLE[op.status]
      throw new OperationConflictError(
        'status',
        `cannot go from ${op.status} to ${next} (${allowed.length ? `allowed: ${allowed.join(', ')}` : `${op.status} is final`})`,
      )
    }
    await this.access.write(orgId, op.id, 'op.status', { from: op.status, to: next }, (doc) => {
      doc.status = str(next)
    })
    return this.get(orgId, op.id)
  }

  /** Cancels the operation (leader or ops:manage); final, from any status before completed. */
  async cancel(orgId: string, id: unknown): Promise<OperationView> {
    return this.setStatus(orgId, id, 'cancelled')
  }

  /** Adds a seat (leader or ops:manage). Returns its id. */
  async addSlot(orgId: string, id: unknown, input: { role: unknown; ship?: unknown }): Promise<string> {
    const op = await this.get(orgId, id)
    const s = parse(slotInput, input, 'slot')
    await this.access.requireManager(orgId, op, 'Adding a slot')
    if (op.slots.length >= MAX_SLOTS) throw new OperationConflictError('slot', `at most ${MAX_SLOTS} slots`)
    const sid = newSlotId()
    await this.access.write(orgId, op.id, 'op.slot-add', { slot: sid, role: s.role }, (doc) => {
      doc.slots[sid] = { role: str(s.role), ship: s.ship === null ? null : str(s.ship) }
    })
    return sid
  }

  /** Removes a seat; whoever held it keeps their sign-up without a slot. */
  async removeSlot(orgId: string, id: unknown, slot: unknown): Promise<void> {
    const op = await this.get(orgId, id)
    const sid = parse(slotId, slot, 'slot')
    await this.access.requireManager(orgId, op, 'Removing a slot')
    if (!op.slots.some((s) => s.id === sid))
      throw new InvalidInputError('slot', `no slot ${sid} in this operation`)
    const holders = op.participants.filter((p) => p.slot === sid).map((p) => p.memberKey)
    await this.access.write(orgId, op.id, 'op.slot-remove', { slot: sid }, (doc) => {
      delete doc.slots[sid]
      for (const key of holders) {
        const rec = doc.participants[key] as ParticipantRecord
        rec.slot = null
        rec.updatedAt = this.now()
      }
    })
  }

  /** Signs yourself up (or changes your sign-up): pending, or tentative. */
  async signUp(orgId: string, id: unknown, input: SignUpInput): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const tentative = parse(flag, input.tentative ?? false, 'tentative')
    const manages = await this.access.manages(orgId, op)
    if (!SIGNUP_OPEN.includes(op.status) && !(manages && !FINAL.includes(op.status)))
      throw new OperationConflictError('op', `sign-ups are closed (the operation is ${op.status})`)
    return this.putSignUp(orgId, op, this.me, input, tentative ? 'tentative' : 'pending', 'op.signup')
  }

  /**
   * Signs up another member (the leader or ops:manage): confirmed, or tentative; with a
   * role, a slot and one of their ships. Changes their sign-up if they have one.
   */
  async addSignUp(orgId: string, id: unknown, member: unknown, input: SignUpInput): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const key = parse(memberKey, member, 'member')
    const tentative = parse(flag, input.tentative ?? false, 'tentative')
    const state = await this.access.requireManager(orgId, op, 'Signing up someone else')
    if (!state.isMember(key)) throw new InvalidInputError('member', 'is not a member of the org')
    if (FINAL.includes(op.status))
      throw new OperationConflictError('op', `sign-ups are closed (the operation is ${op.status})`)
    return this.putSignUp(orgId, op, key, input, tentative ? 'tentative' : 'confirmed', 'op.signup-other')
  }

  /** Removes another member's sign-up altogether (the leader or ops:manage). */
  async removeSignUp(orgId: string, id: unknown, member: unknown): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const key = parse(memberKey, member, 'member')
    await this.access.requireManager(orgId, op, "Removing someone else's sign-up")
    if (!op.participants.some((p) => p.memberKey === key))
      throw new InvalidInputError('member', 'is not signed up for this operation')
    await this.access.write(orgId, op.id, 'op.signup-remove', { member: key }, (doc) => {
      delete doc.participants[key]
    })
    return this.get(orgId, op.id)
  }

  /** Withdraws your sign-up (and frees your slot). */
  async withdraw(orgId: string, id: unknown): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const mine = op.participants.find((p) => p.memberKey === this.me)
    if (mine === undefined || mine.state === 'withdrawn')
      throw new InvalidInputError('op', 'you are not signed up for this operation')
    await this.access.write(orgId, op.id, 'op.withdraw', null, (doc) => {
      const rec = doc.participants[this.me] as ParticipantRecord
      rec.state = str('withdrawn')
      rec.slot = null
      rec.updatedAt = this.now()
    })
    return this.get(orgId, op.id)
  }

  /** Confirms a member's sign-up (leader or ops:manage). */
  async confirm(orgId: string, id: unknown, member: unknown): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const key = parse(memberKey, member, 'member')
    await this.access.requireManager(orgId, op, 'Confirming a sign-up')
    const p = op.participants.find((x) => x.memberKey === key)
    if (p === undefined || p.state === 'withdrawn')
      throw new InvalidInputError('member', 'is not signed up for this operation')
    if (p.state === 'confirmed') return op
    await this.access.write(orgId, op.id, 'op.confirm', { member: key }, (doc) => {
      const rec = doc.participants[key] as ParticipantRecord
      rec.state = str('confirmed')
      rec.updatedAt = this.now()
    })
    return this.get(orgId, op.id)
  }

  /**
   * Operations of an org (ops:view). `upcoming`: not yet ended and neither completed nor
   * cancelled, soonest first; `past`: the rest, latest first; `all` (default): by time.
   * `status` keeps those in that status.
   */
  async list(orgId: string, options: ListOptions = {}): Promise<OperationView[]> {
    const filter = parse(when, options.when ?? 'all', 'when')
    const only = options.status === undefined ? undefined : parse(status, options.status, 'status')
    await this.access.requireView(orgId)
    const now = this.now()
    const views: OperationView[] = []
    for (const id of await this.access.ids(orgId)) {
      const doc = await this.access.viewDoc(orgId, id).catch((err: unknown) => {
        if (err instanceof OperationNotFoundError) return null
        throw err
      })
      if (doc === null) continue
      const view = operationView(doc)
      if (only === undefined || view.status === only) views.push(view)
    }
    const upcoming = (o: OperationView) => o.endsAt > now && !FINAL.includes(o.status)
    const byTime = (a: OperationView, b: OperationView) =>
      a.scheduledAt - b.scheduledAt || a.id.localeCompare(b.id)
    if (filter === 'upcoming') return views.filter(upcoming).sort(byTime)
    if (filter === 'past') return views.filter((o) => !upcoming(o)).sort((a, b) => byTime(b, a))
    return views.sort(byTime)
  }

  /** Throws unless this node's member may see the org's operations (ops:view; `OrgNotFoundError`). */
  async requireView(orgId: string): Promise<void> {
    await this.access.requireView(orgId)
  }

  /** One operation (ops:view). */
  async get(orgId: string, id: unknown): Promise<OperationView> {
    const opIdValue = parse(opId, id, 'op')
    await this.access.requireView(orgId)
    return operationView(await this.access.viewDoc(orgId, opIdValue))
  }

  /**
   * The org's operations as an iCalendar file (RFC 5545; ops:view): those named, or those
   * `when` selects (default all) that end at or after `endsFrom` (ms; default any time).
   * `refreshSeconds` tells a subscribed calendar app how often to poll.
   */
  async exportIcs(
    orgId: string,
    options: { opIds?: unknown; when?: OperationsFilter; endsFrom?: number; refreshSeconds?: number } = {},
  ): Promise<string> {
    const roster = await this.access.roster(orgId)
    const from = options.endsFrom ?? Number.NEGATIVE_INFINITY
    const ids =
      options.opIds === undefined
        ? (await this.list(orgId, { when: options.when })).filter((o) => o.endsAt >= from).map((o) => o.id)
        : parse(opIds, options.opIds, 'opIds')
    await this.access.requireView(orgId)
    const events = []
    for (const id of ids) {
      const doc = await this.access.doc(orgId, id)
      const view = operationView(await this.access.viewDoc(orgId, id))
      events.push({ op: view, sequence: A.getChangesMetaSince(doc, []).length - 1 })
    }
    events.sort((a, b) => a.op.scheduledAt - b.op.scheduledAt)
    const name = `${text(roster.org.name) ?? orgId} operations`
    return toIcs(events, {
      name,
      now: new Date(this.now()),
      ...(options.refreshSeconds === undefined ? {} : { refreshSeconds: options.refreshSeconds }),
    })
  }

  /** Writes `member`'s sign-up record (new or changed) in `state`. */
  private async putSignUp(
    orgId: string,
    op: OperationView,
    member: MemberKey,
    input: SignUpInput,
    state: 'pending' | 'tentative' | 'confirmed',
    action: string,
  ): Promise<OperationView> {
    const sid = input.slot === undefined || input.slot === null ? null : parse(slotId, input.slot, 'slot')
    const slot = sid === null ? undefined : op.slots.find((s) => s.id === sid)
    if (sid !== null && slot === undefined)
      throw new InvalidInputError('slot', `no slot ${sid} in this operation`)
    const r = parse(role, input.role ?? slot?.role, 'role')
    const ship = input.ship === undefined || input.ship === null ? null : parse(shipId, input.ship, 'ship')
    if (slot?.takenBy && slot.takenBy !== member)
      throw new OperationConflictError('slot', 'is taken by another member')
    if (ship !== null && !(await this.access.holdsShip(orgId, member, ship)))
      throw new InvalidInputError(
        'ship',
        member === this.me ? 'is not a ship in your hangar' : "is not a ship in the member's hangar",
      )
    if (
      op.participants.length >= OP_LIMITS.signUpsPerOp &&
      !op.participants.some((p) => p.memberKey === member)
    )
      throw new OperationConflictError('op', `is full (at most ${OP_LIMITS.signUpsPerOp} sign-ups)`)
    const details = {
      role: r,
      state,
      ...(member === this.me ? {} : { member }),
      ...(sid === null ? {} : { slot: sid }),
    }
    await this.access.write(orgId, op.id, action, details, (doc) => {
      const fields = {
        role: str(r),
        ship: ship === null ? null : str(ship),
        slot: sid === null ? null : str(sid),
      }
      const rec = doc.participants[member]
      if (rec === undefined) {
        doc.participants[member] = { ...fields, state: str(state), updatedAt: this.now() }
      } else {
        Object.assign(rec, fields)
        rec.state = str(state)
        rec.updatedAt = this.now()
      }
    })
    return this.get(orgId, op.id)
  }
}
