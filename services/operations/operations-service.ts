/**
 * Operations: scheduling, slots, sign-ups, confirmation, lifecycle, and the iCalendar
 * export. Input is checked here (errors name the field); who may change what is decided
 * by the operation rules (op-rules.ts), the same on every node, so a refused local write
 * throws `ChangeRefusedError` and writes nothing.
 */
import * as A from '@automerge/automerge'
import type {
  ActionInput,
  ChangeHash,
  DocumentStore,
  JsonValue,
  MemberKey,
  Signer,
} from '../../crdt/index.ts'
import { type HangarDoc, hangarId } from '../fleet/index.ts'
import type { AuthIndex, AuthState } from '../org/index.ts'
import {
  InvalidInputError,
  ORG_ID,
  OrgNotFoundError,
  type RosterDoc,
  rosterId,
  str,
  text,
} from '../org/index.ts'
import { OperationNotFoundError } from './errors.ts'
import { toIcs } from './ics-export.ts'
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
  opDocId,
  type ParticipantRecord,
  parseOpDocId,
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

export class OperationsService {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly auth: AuthIndex
  private readonly now: () => number

  constructor(components: OperationsServiceComponents) {
    this.store = components.store
    this.signer = components.signer
    this.auth = components.auth
    this.now = components.now ?? Date.now
  }

  get me(): MemberKey {
    return this.signer.memberKey
  }

  /** Schedules an operation (needs ops:create). */
  async createOperation(orgId: string, input: NewOperationInput): Promise<OperationView> {
    const state = await this.state(orgId)
    const t = parse(title, input.title, 'title')
    const d = parse(description, input.description ?? '', 'description')
    const ty = parse(type, input.type, 'type')
    const at = parse(time, input.scheduledAt, 'scheduledAt')
    const dur = parse(duration, input.durationMin, 'durationMin')
    const leader = parse(memberKey, input.leader ?? this.me, 'leader')
    const st = parse(initialStatus, input.status ?? 'planned', 'status')
    const slots = parse(slotsInput, input.slots ?? [], 'slots')
    if (!state.isMember(leader)) throw new InvalidInputError('leader', 'must be a member of the org')
    const nonce = newOpNonce()
    const id = deriveOpId(orgId, this.me, nonce)
    const now = this.now()
    const action = await this.action(orgId, 'op.create', id, { title: t, type: ty, scheduledAt: at })
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
      doc.slots = Object.fromEntries(
        slots.map((s) => [newSlotId(), { role: str(s.role), ship: s.ship === null ? null : str(s.ship) }]),
      )
      doc.participants = {}
    })
    return this.get(orgId, id)
  }

  /** Changes title, description, type, time, duration or leader (leader or ops:manage). */
  async updateOperation(orgId: string, id: unknown, patch: OperationPatch): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const p: Record<string, string | number> = {}
    if (patch.title !== undefined) p.title = parse(title, patch.title, 'title')
    if (patch.description !== undefined) p.description = parse(description, patch.description, 'description')
    if (patch.type !== undefined) p.type = parse(type, patch.type, 'type')
    if (patch.scheduledAt !== undefined) p.scheduledAt = parse(time, patch.scheduledAt, 'scheduledAt')
    if (patch.durationMin !== undefined) p.durationMin = parse(duration, patch.durationMin, 'durationMin')
    if (patch.leader !== undefined) {
      p.leader = parse(memberKey, patch.leader, 'leader')
      if (!(await this.state(orgId)).isMember(p.leader))
        throw new InvalidInputError('leader', 'must be a member of the org')
    }
    if (Object.keys(p).length === 0)
      throw new InvalidInputError(
        'op',
        'give at least one of title, description, type, scheduledAt, durationMin, leader',
      )
    const { description: _long, ...details } = p
    await this.write(orgId, op.id, 'op.update', details, (doc) => {
      for (const [k, v] of Object.entries(p)) {
        ;(doc as unknown as Record<string, unknown>)[k] = typeof v === 'string' ? str(v) : v
      }
    })
    return this.get(orgId, op.id)
  }

  /** Moves the operation along its lifecycle (leader or ops:manage). */
  async setStatus(orgId: string, id: unknown, to: unknown): Promise<OperationView> {
    const next = parse(status, to, 'status')
    const op = await this.get(orgId, id)
    if (op.status === next) throw new InvalidInputError('status', `the operation is already ${next}`)
    if (!canTransition(op.status, next)) {
      const allowed = LIFECYCLE[op.status]
      throw new InvalidInputError(
        'status',
        `cannot go from ${op.status} to ${next} (${allowed.length ? `allowed: ${allowed.join(', ')}` : `${op.status} is final`})`,
      )
    }
    await this.write(orgId, op.id, 'op.status', { from: op.status, to: next }, (doc) => {
      doc.status = str(next)
    })
    return this.get(orgId, op.id)
  }

  /** Adds a seat (leader or ops:manage). Returns its id. */
  async addSlot(orgId: string, id: unknown, input: { role: unknown; ship?: unknown }): Promise<string> {
    const op = await this.get(orgId, id)
    const s = parse(slotInput, input, 'slot')
    if (op.slots.length >= MAX_SLOTS) throw new InvalidInputError('slot', `at most ${MAX_SLOTS} slots`)
    const sid = newSlotId()
    await this.write(orgId, op.id, 'op.slot-add', { slot: sid, role: s.role }, (doc) => {
      doc.slots[sid] = { role: str(s.role), ship: s.ship === null ? null : str(s.ship) }
    })
    return sid
  }

  /** Removes a seat; whoever held it keeps their sign-up without a slot. */
  async removeSlot(orgId: string, id: unknown, slot: unknown): Promise<void> {
    const op = await this.get(orgId, id)
    const sid = parse(slotId, slot, 'slot')
    if (!op.slots.some((s) => s.id === sid))
      throw new InvalidInputError('slot', `no slot ${sid} in this operation`)
    const holders = op.participants.filter((p) => p.slot === sid).map((p) => p.memberKey)
    await this.write(orgId, op.id, 'op.slot-remove', { slot: sid }, (doc) => {
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
    const sid = input.slot === undefined || input.slot === null ? null : parse(slotId, input.slot, 'slot')
    const slot = sid === null ? undefined : op.slots.find((s) => s.id === sid)
    if (sid !== null && slot === undefined)
      throw new InvalidInputError('slot', `no slot ${sid} in this operation`)
    if (slot?.takenBy && slot.takenBy !== this.me)
      throw new InvalidInputError('slot', 'is taken by another member')
    const r = parse(role, input.role ?? slot?.role, 'role')
    const ship = input.ship === undefined || input.ship === null ? null : parse(shipId, input.ship, 'ship')
    const tentative = parse(flag, input.tentative ?? false, 'tentative')
    if (ship !== null && !(await this.ownsShip(orgId, ship)))
      throw new InvalidInputError('ship', 'is not a ship in your hangar')
    if (!SIGNUP_OPEN.includes(op.status) && !(await this.manages(orgId, op)))
      throw new InvalidInputError('op', `sign-ups are closed (the operation is ${op.status})`)
    if (
      op.participants.length >= OP_LIMITS.signUpsPerOp &&
      !op.participants.some((p) => p.memberKey === this.me)
    )
      throw new InvalidInputError('op', `is full (at most ${OP_LIMITS.signUpsPerOp} sign-ups)`)
    const state = tentative ? 'tentative' : 'pending'
    const details = { role: r, state, ...(sid === null ? {} : { slot: sid }) }
    await this.write(orgId, op.id, 'op.signup', details, (doc) => {
      const fields = {
        role: str(r),
        ship: ship === null ? null : str(ship),
        slot: sid === null ? null : str(sid),
      }
      const rec = doc.participants[this.me]
      if (rec === undefined) {
        doc.participants[this.me] = { ...fields, state: str(state), updatedAt: this.now() }
      } else {
        Object.assign(rec, fields)
        rec.state = str(state)
        rec.updatedAt = this.now()
      }
    })
    return this.get(orgId, op.id)
  }

  /** Withdraws your sign-up (and frees your slot). */
  async withdraw(orgId: string, id: unknown): Promise<OperationView> {
    const op = await this.get(orgId, id)
    const mine = op.participants.find((p) => p.memberKey === this.me)
    if (mine === undefined || mine.state === 'withdrawn')
      throw new InvalidInputError('op', 'you are not signed up for this operation')
    await this.write(orgId, op.id, 'op.withdraw', null, (doc) => {
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
    const p = op.participants.find((x) => x.memberKey === key)
    if (p === undefined || p.state === 'withdrawn')
      throw new InvalidInputError('member', 'is not signed up for this operation')
    if (p.state === 'confirmed') return op
    await this.write(orgId, op.id, 'op.confirm', { member: key }, (doc) => {
      const rec = doc.participants[key] as ParticipantRecord
      rec.state = str('confirmed')
      rec.updatedAt = this.now()
    })
    return this.get(orgId, op.id)
  }

  /**
   * Operations of an org. `upcoming`: not yet ended and neither completed nor cancelled,
   * soonest first; `past`: the rest, latest first; `all` (default): by time.
   */
  async list(orgId: string, options: { when?: OperationsFilter } = {}): Promise<OperationView[]> {
    const filter = parse(when, options.when ?? 'all', 'when')
    await this.roster(orgId)
    const now = this.now()
    const views: OperationView[] = []
    for (const id of await this.ids(orgId)) {
      const doc = await this.viewDoc(orgId, id).catch((err: unknown) => {
        if (err instanceof OperationNotFoundError) return null
        throw err
      })
      if (doc !== null) views.push(operationView(doc))
    }
    const upcoming = (o: OperationView) =>
      o.endsAt > now && o.status !== 'completed' && o.status !== 'cancelled'
    const byTime = (a: OperationView, b: OperationView) =>
      a.scheduledAt - b.scheduledAt || a.id.localeCompare(b.id)
    if (filter === 'upcoming') return views.filter(upcoming).sort(byTime)
    if (filter === 'past') return views.filter((o) => !upcoming(o)).sort((a, b) => byTime(b, a))
    return views.sort(byTime)
  }

  async get(orgId: string, id: unknown): Promise<OperationView> {
    return operationView(await this.viewDoc(orgId, parse(opId, id, 'op')))
  }

  /** The org's operations (or those named) as an iCalendar file (RFC 5545). */
  async exportIcs(orgId: string, options: { opIds?: unknown } = {}): Promise<string> {
    const roster = await this.roster(orgId)
    const ids = options.opIds === undefined ? await this.ids(orgId) : parse(opIds, options.opIds, 'opIds')
    const events = []
    for (const id of ids) {
      const doc = await this.doc(orgId, id)
      const view = await this.viewDoc(orgId, id).catch((err: unknown) => {
        if (err instanceof OperationNotFoundError && options.opIds === undefined) return null
        throw err
      })
      if (view === null) continue
      events.push({ op: operationView(view), sequence: A.getChangesMetaSince(doc, []).length - 1 })
    }
    events.sort((a, b) => a.op.scheduledAt - b.op.scheduledAt)
    const name = `${text(roster.org.name) ?? orgId} operations`
    return toIcs(events, { name, now: new Date(this.now()) })
  }

  private async write(
    orgId: string,
    id: string,
    action: string,
    details: Record<string, JsonValue> | null,
    fn: (doc: OperationDoc) => void,
  ): Promise<void> {
    await this.store.change<OperationDoc>(
      opDocId(orgId, id),
      await this.action(orgId, action, id, details),
      fn,
    )
  }

  private async action(
    orgId: string,
    action: string,
    id: string,
    details: Record<string, JsonValue> | null,
  ): Promise<ActionInput> {
    return {
      action,
      resource: `op:${orgId}/${id}`,
      ...(details === null ? {} : { details }),
      authHeads: A.getHeads(await this.roster(orgId)) as ChangeHash[],
    }
  }

  private async doc(orgId: string, id: string): Promise<A.Doc<OperationDoc>> {
    await this.roster(orgId)
    const docId = opDocId(orgId, id)
    if (!(await this.store.has(docId))) throw new OperationNotFoundError(id)
    return this.store.get<OperationDoc>(docId)
  }

  /** An operation as views read it: without changes of members past their recorded heads (rule 5). */
  private async viewDoc(orgId: string, id: string): Promise<A.Doc<OperationDoc>> {
    const doc = await this.doc(orgId, id)
    const tree = await this.auth.membership?.view(orgId, opDocId(orgId, id), doc as A.Doc<unknown>)
    // Made by a change that has no effect: the operation does not exist.
    if (tree !== undefined && tree !== null && tree.schema === undefined) throw new OperationNotFoundError(id)
    return (tree ?? doc) as A.Doc<OperationDoc>
  }

  private async ids(orgId: string): Promise<string[]> {
    const out: string[] = []
    for (const docId of await this.store.list('op')) {
      const parts = parseOpDocId(docId)
      if (parts?.orgId === orgId) out.push(parts.opId)
    }
    return out
  }

  private async roster(orgId: string): Promise<A.Doc<RosterDoc>> {
    if (!ORG_ID.test(orgId)) throw new InvalidInputError('org', 'must be an org id (32 hex characters)')
    const id = rosterId(orgId)
    if (!(await this.store.has(id))) throw new OrgNotFoundError(orgId)
    return this.store.get<RosterDoc>(id)
  }

  private async state(orgId: string): Promise<AuthState> {
    await this.roster(orgId)
    const state = await this.auth.current(orgId)
    if (state === null) throw new OrgNotFoundError(orgId)
    return state
  }

  private async manages(orgId: string, op: OperationView): Promise<boolean> {
    return op.leader === this.me || (await this.state(orgId)).can(this.me, 'ops:manage')
  }

  private async ownsShip(orgId: string, ship: string): Promise<boolean> {
    const id = hangarId(orgId, this.me)
    if (!(await this.store.has(id))) return false
    const doc = await this.store.get<HangarDoc>(id)
    const tree = (await this.auth.membership?.view(orgId, id, doc as A.Doc<unknown>)) ?? doc
    return (tree as HangarDoc).ships?.[ship] !== undefined
  }
}
