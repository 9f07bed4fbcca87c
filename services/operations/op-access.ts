/**
 * How the operations service reads what it decides on: the org's roster and current
 * authorization state, operation documents as views read them, hangars, and the local
 * permission checks (read: `ops:view`; changing an operation: its leader or `ops:manage`).
 * The local checks fail early with the permission and the caller's rank; every node
 * checks writes again on receipt (op-rules.ts). And how it writes: one signed change to an
 * operation document, its entry recording the roster heads it was decided at.
 */
import * as A from '@automerge/automerge'
import type { ActionInput, ChangeHash, DocumentStore, JsonValue, MemberKey } from '../../crdt/index.ts'
import { type HangarDoc, hangarId } from '../fleet/index.ts'
import type { AuthIndex, AuthState } from '../org/index.ts'
import {
  InvalidInputError,
  ORG_ID,
  OrgNotFoundError,
  PermissionDeniedError,
  type RosterDoc,
  rosterId,
} from '../org/index.ts'
import { OperationNotFoundError } from './errors.ts'
import { type OperationDoc, opDocId, parseOpDocId } from './op-schema.ts'
import type { OperationView } from './op-view.ts'

export class OpAccess {
  private readonly store: DocumentStore
  private readonly auth: AuthIndex
  private readonly me: MemberKey

  constructor(store: DocumentStore, auth: AuthIndex, me: MemberKey) {
    this.store = store
    this.auth = auth
    this.me = me
  }

  async roster(orgId: string): Promise<A.Doc<RosterDoc>> {
    if (!ORG_ID.test(orgId)) throw new InvalidInputError('org', 'must be an org id (32 hex characters)')
    const id = rosterId(orgId)
    if (!(await this.store.has(id))) throw new OrgNotFoundError(orgId)
    return this.store.get<RosterDoc>(id)
  }

  async state(orgId: string): Promise<AuthState> {
    await this.roster(orgId)
    const state = await this.auth.current(orgId)
    if (state === null) throw new OrgNotFoundError(orgId)
    return state
  }

  /** Throws `PermissionDeniedError` unless this node's member holds `permission`. */
  async require(orgId: string, permission: 'ops:view' | 'ops:create', what: string): Promise<AuthState> {
    const state = await this.state(orgId)
    if (!state.can(this.me, permission))
      throw new PermissionDeniedError(what, permission, rankName(state, this.me))
    return state
  }

  /** Throws `PermissionDeniedError` unless this node's member may see the org's operations. */
  async requireView(orgId: string): Promise<AuthState> {
    return this.require(orgId, 'ops:view', 'Seeing operations')
  }

  /** Throws `PermissionDeniedError` unless this node's member leads `op` or holds ops:manage. */
  async requireManager(orgId: string, op: OperationView, what: string): Promise<AuthState> {
    const state = await this.state(orgId)
    if (op.leader !== this.me && !state.can(this.me, 'ops:manage'))
      throw new PermissionDeniedError(
        `${what} (you do not lead this operation)`,
        'ops:manage',
        rankName(state, this.me),
      )
    return state
  }

  async manages(orgId: string, op: OperationView): Promise<boolean> {
    return op.leader === this.me || (await this.state(orgId)).can(this.me, 'ops:manage')
  }

  async doc(orgId: string, id: string): Promise<A.Doc<OperationDoc>> {
    await this.roster(orgId)
    const docId = opDocId(orgId, id)
    if (!(await this.store.has(docId))) throw new OperationNotFoundError(id)
    return this.store.get<OperationDoc>(docId)
  }

  /** An operation as views read it: without changes of members past their recorded heads (rule 5). */
  async viewDoc(orgId: string, id: string): Promise<A.Doc<OperationDoc>> {
    const doc = await this.doc(orgId, id)
    const tree = await this.auth.membership?.view(orgId, opDocId(orgId, id), doc as A.Doc<unknown>)
    // Made by a change that has no effect: the operation does not exist.
    if (tree !== undefined && tree !== null && tree.schema === undefined) throw new OperationNotFoundError(id)
    return (tree ?? doc) as A.Doc<OperationDoc>
  }

  /** The ids of the org's operations this node holds. */
  async ids(orgId: string): Promise<string[]> {
    const out: string[] = []
    for (const docId of await this.store.list('op')) {
      const parts = parseOpDocId(docId)
      if (parts?.orgId === orgId) out.push(parts.opId)
    }
    return out
  }

  /** Whether `ship` is in `owner`'s hangar in the org. */
  async holdsShip(orgId: string, owner: MemberKey, ship: string): Promise<boolean> {
    const id = hangarId(orgId, owner)
    if (!(await this.store.has(id))) return false
    const doc = await this.store.get<HangarDoc>(id)
    const tree = (await this.auth.membership?.view(orgId, id, doc as A.Doc<unknown>)) ?? doc
    return (tree as HangarDoc).ships?.[ship] !== undefined
  }

  /** Writes one change to operation `id`, recorded as `action`. */
  async write(
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

  /** The entry of a change to operation `id`: with the roster heads this node holds. */
  async action(
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
}

/** A member's rank (its name) in `state`; null when not a member. */
function rankName(state: AuthState, member: MemberKey): string | null {
  const id = state.isMember(member) ? state.rankOf(member) : undefined
  return id === undefined ? null : (state.rank(id)?.name ?? id)
}
