/**
 * The authorization state of an org at some heads of its roster: ranks, who holds which
 * rank, who was kicked, which invites were used or revoked. Immutable; a new state
 * shares every untouched bucket with the old one, so a state per change is cheap.
 *
 * Each value remembers the Automerge op ids visible for it, so applying a change's ops
 * gives exactly what Automerge shows: the rules require every op's `pred` to be what
 * was visible at its deps (as Automerge itself writes), and a new op always outranks
 * everything in its causal past.
 */
import * as A from '@automerge/automerge'
import type { MemberKey } from '../../crdt/index.ts'
import { allows, decodeGrants, type Permission, within } from './permissions.ts'
import { bucketOf, type Container, type RosterDoc } from './roster-schema.ts'

export type Scalar = string | number | boolean | null

/** The visible ops of one key: usually one; several after concurrent writes. */
export interface Register {
  readonly ops: ReadonlyMap<string, Scalar>
}

type Table = ReadonlyMap<string, Register>

/** Names of the tables the state tracks. Member tables are bucketed. */
export type TableName =
  | 'org'
  | 'rankName'
  | 'rankLevel'
  | 'rankPerms'
  | 'mRank'
  | 'kicked'
  | 'mInvite'
  | 'invitesUsed'
  | 'invitesRevoked'

const BUCKETED = new Set<TableName>(['mRank', 'kicked', 'mInvite'])
/**
 * Tables keyed by invite id, held here in buckets as the member tables are (the document
 * keeps them flat): a change copies the buckets it writes, and an org's used invites grow
 * with its members (one copy of all of them per admission was quadratic).
 */
const SPLIT = new Set<string>(['invitesUsed', 'invitesRevoked'])
const TRACKED = new Set<string>([
  'org',
  'rankName',
  'rankLevel',
  'rankPerms',
  'mRank',
  'kicked',
  'mInvite',
  'invitesUsed',
  'invitesRevoked',
])

export interface RankInfo {
  readonly id: string
  readonly name: string
  readonly level: number
  readonly grants: ReadonlySet<string>
}

/** Compares Automerge op ids `counter@actor`: counter first, then actor. */
export function compareOpIds(a: string, b: string): number {
  const [ca = '0', aa = ''] = a.split('@')
  const [cb = '0', ab = ''] = b.split('@')
  const d = Number(ca) - Number(cb)
  return d !== 0 ? d : aa < ab ? -1 : aa > ab ? 1 : 0
}

function winner(reg: Register | undefined): Scalar | undefined {
  if (reg === undefined || reg.ops.size === 0) return undefined
  let best: string | null = null
  for (const id of reg.ops.keys()) if (best === null || compareOpIds(id, best) > 0) best = id
  return reg.ops.get(best as string)
}

/** A change's op with its id, as the state needs it. */
export interface StateOp {
  readonly id: string
  readonly container: Container
  readonly key: string
  readonly action: 'set' | 'del'
  readonly value: Scalar
  readonly pred: readonly string[]
}

/** A write laid over a state to judge with changed rights (no op id, no history). */
export interface OverlayOp {
  readonly container: Container
  readonly key: string
  readonly action: 'set' | 'del'
  readonly value: Scalar
}

export class AuthState {
  private readonly tables: ReadonlyMap<string, Table>
  /**
   * Every op Automerge shows, masked ones included (rule 5), when they differ from
   * `tables`: what a new op's `pred` must name. Null: the same as `tables`.
   */
  private readonly raw: AuthState | null

  /**
   * `isMember` answers so far (a state never changes: `withOps` and `apply` make new
   * ones), so judging thousands of entries by one author asks the roster once.
   */
  private readonly members = new Map<string, boolean>()

  private constructor(tables: ReadonlyMap<string, Table>, raw: AuthState | null = null) {
    this.tables = tables
    this.raw = raw
  }

  /**
   * The state `effective` decides by, with the registers of `raw` (the same heads with
   * nothing masked) for what a new op overwrites: Automerge's own visible ops.
   */
  static masked(effective: AuthState, raw: AuthState): AuthState {
    return new AuthState(effective.tables, raw.raw ?? raw)
  }

  static empty(): AuthState {
    return new AuthState(new Map())
  }

  /**
   * Reads the state of a roster document at `heads` (default: its current heads)
   * straight from the Automerge backend: no historical view is built.
   */
  static fromDoc(
    doc: A.Doc<RosterDoc>,
    containers: ReadonlyMap<string, Container>,
    heads?: readonly string[],
  ): AuthState {
    const backend = A.getBackend(doc as A.Doc<unknown>)
    const at = heads === undefined ? undefined : [...heads]
    const tables = new Map<string, Map<string, Register>>()
    const tableOf = (name: string) => {
      let table = tables.get(name)
      if (table === undefined) {
        table = new Map()
        tables.set(name, table)
      }
      return table
    }
    for (const [objId, container] of containers) {
      const name = tableName(container)
      if (name === null) continue
      let keys: string[]
      try {
        keys = backend.keys(objId, at)
      } catch {
        continue // the container did not exist at those heads
      }
      if (!SPLIT.has(name)) tableOf(name)
      for (const key of keys) {
        const ops = new Map<string, Scalar>()
        for (const [type, value, id] of backend.getAll(objId, key, at) as [string, unknown, string][]) {
          ops.set(id, type === 'null' ? null : toScalar(value))
        }
        if (ops.size > 0) tableOf(splitName(name, key)).set(key, { ops })
      }
    }
    return new AuthState(tables)
  }

  /** The same heads with nothing masked: Automerge's own visible ops (what `fromDoc` reads). */
  get unmasked(): AuthState {
    return this.raw ?? this
  }

  /** Every table and its registers (what auth-snapshot.ts saves). */
  get allTables(): ReadonlyMap<string, ReadonlyMap<string, Register>> {
    return this.tables
  }

  /** A state from tables read back (auth-snapshot.ts checks them first). */
  static fromTables(tables: ReadonlyMap<string, ReadonlyMap<string, Register>>): AuthState {
    return new AuthState(tables)
  }

  /** The visible op ids of one key, sorted (what a well-formed op's `pred` must be). */
  visible(container: Container, key: string): string[] {
    if (this.raw !== null) return this.raw.visible(container, key)
    const name = tableName(container)
    if (name === null) return []
    return [...(this.tables.get(splitName(name, key))?.get(key)?.ops.keys() ?? [])].sort(compareOpIds)
  }

  /** The op ids this state decides by for one key (masked ones left out). */
  private deciding(container: Container, key: string): string[] {
    const name = tableName(container)
    return name === null ? [] : [...(this.tables.get(splitName(name, key))?.get(key)?.ops.keys() ?? [])]
  }

  /** Whether the state tracks this container (the others do not affect authorization). */
  static tracks(container: Container): boolean {
    return tableName(container) !== null
  }

  /** The state after a change's ops (already judged well-formed). */
  apply(ops: readonly StateOp[]): AuthState {
    const raw = this.raw === null ? null : this.raw.apply(ops)
    return new AuthState(this.applied(ops), raw)
  }

  private applied(ops: readonly StateOp[]): Map<string, Table> {
    const tables = new Map(this.tables)
    const copied = new Set<string>()
    for (const op of ops) {
      const base = tableName(op.container)
      if (base === null) continue
      const name = splitName(base, op.key)
      let table = tables.get(name) as Map<string, Register> | undefined
      if (!copied.has(name)) {
        table = new Map(table ?? [])
        tables.set(name, table)
        copied.add(name)
      }
      const t = table as Map<string, Register>
      const current = new Map(t.get(op.key)?.ops ?? [])
      for (const p of op.pred) current.delete(p)
      if (op.action === 'set') current.set(op.id, op.value)
      if (current.size === 0) t.delete(op.key)
      else t.set(op.key, { ops: current })
    }
    return tables
  }

  /**
   * This state with `ops` written over it (each overwriting what this state decides by):
   * how an entry past a recorded head is judged when a rank change, or a change to a
   * rank, took rights away (rule 5).
   */
  withOps(ops: readonly OverlayOp[]): AuthState {
    const stateOps = ops.map(
      (op): StateOp => ({ id: '0@overlay', ...op, pred: this.deciding(op.container, op.key) }),
    )
    return new AuthState(this.applied(stateOps), this.raw ?? this)
  }

  /** Members (not kicked) holding `rankId`. */
  holdersOf(rankId: string): string[] {
    const out: string[] = []
    for (const [name, table] of this.tables) {
      if (!name.startsWith('mRank/')) continue
      for (const [key, reg] of table) if (winner(reg) === rankId && !this.isKicked(key)) out.push(key)
    }
    return out
  }

  private get(name: TableName, key: string): Scalar | undefined {
    const table = BUCKETED.has(name) ? `${name}/${bucketOf(key)}` : splitName(name, key)
    return winner(this.tables.get(table)?.get(key))
  }

  get orgId(): string | undefined {
    return asString(this.get('org', 'id'))
  }

  get owner(): string | undefined {
    return asString(this.get('org', 'owner'))
  }

  get deleted(): boolean {
    return typeof this.get('org', 'deletedAt') === 'number'
  }

  rank(id: string): RankInfo | undefined {
    const level = this.get('rankLevel', id)
    if (typeof level !== 'number') return undefined
    return {
      id,
      name: asString(this.get('rankName', id)) ?? id,
      level,
      grants: decodeGrants(this.get('rankPerms', id)),
    }
  }

  /** How many ranks and member records (holders of a rank, kicked or not) the roster has. */
  counts(): { ranks: number; members: number } {
    let members = 0
    for (const [name, table] of this.tables) if (name.startsWith('mRank/')) members += table.size
    return { ranks: this.tables.get('rankLevel')?.size ?? 0, members }
  }

  rankOf(member: MemberKey | string): string | undefined {
    return asString(this.get('mRank', member))
  }

  isKicked(member: MemberKey | string): boolean {
    return this.get('kicked', member) !== undefined
  }

  /** A member: holds a rank, was not kicked, and is the founder or holds its invite. */
  isMember(member: MemberKey | string): boolean {
    let is = this.members.get(member)
    if (is === undefined) {
      is = this.rankOf(member) !== undefined && !this.isKicked(member) && this.admitted(member)
      this.members.set(member, is)
    }
    return is
  }

  /**
   * Whether a member record counts: the founder's always; anyone else's only while the
   * invite it was admitted with names them as its user (of two concurrent admissions with
   * one invite, Automerge's winner of `invitesUsed`) and was not revoked (a revocation
   * concurrent with the admission wins).
   */
  admitted(member: MemberKey | string): boolean {
    if (member === this.owner) return true
    const invite = asString(this.get('mInvite', member))
    return invite !== undefined && this.inviteUsedBy(invite) === member && !this.isInviteRevoked(invite)
  }

  /** The level of a member's rank; 0 for non-members and unknown ranks. */
  levelOf(member: MemberKey | string): number {
    if (!this.isMember(member)) return 0
    return this.rank(this.rankOf(member) as string)?.level ?? 0
  }

  grantsOf(member: MemberKey | string): ReadonlySet<string> {
    if (!this.isMember(member) || this.deleted) return new Set()
    return this.rank(this.rankOf(member) as string)?.grants ?? new Set()
  }

  can(member: MemberKey | string, permission: Permission): boolean {
    return allows(this.grantsOf(member), permission)
  }

  inviteUsedBy(inviteId: string): string | undefined {
    return asString(this.get('invitesUsed', inviteId))
  }

  isInviteRevoked(inviteId: string): boolean {
    return this.get('invitesRevoked', inviteId) !== undefined
  }
}

/** Whether `overlay` takes a permission or level from `member` (a promotion takes nothing). */
export function takesRightsAway(state: AuthState, member: string, overlay: readonly OverlayOp[]): boolean {
  if (!state.isMember(member)) return false
  const after = state.withOps(overlay)
  if (!after.isMember(member) || after.levelOf(member) < state.levelOf(member)) return true
  return !within(state.grantsOf(member), after.grantsOf(member))
}

function tableName(c: Container): string | null {
  switch (c.kind) {
    case 'org':
      return 'org'
    case 'rank':
      return c.field
    case 'invite':
      return c.field
    case 'member':
      return TRACKED.has(c.field) ? `${c.field}/${c.bucket}` : null
  }
}

/** The table a key of `name` is held in (see SPLIT). */
function splitName(name: string, key: string): string {
  return SPLIT.has(name) ? `${name}/${bucketOf(key)}` : name
}

function toScalar(v: unknown): Scalar {
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v
  if (A.isImmutableString(v)) return v.toString()
  return null
}

function asString(v: Scalar | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined
}
