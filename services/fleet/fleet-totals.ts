/**
 * The org's fleet composition as an index kept current, not a scan: per org, the counts
 * and cost of every ship by who may see it (this member's own ships, ships visible to the
 * org, ships visible to officers), built once from the hangar index rows and then brought
 * up to date from the store's `change` events: a changed hangar's row is read again, its
 * old contribution taken out and its new one put in. A query adds up at most three
 * accumulators, whatever the org's size.
 *
 * Exact, never trusted blindly: a hangar whose row changed since it was counted is read
 * again before any answer (the event marks it; the row is read after the write), and
 * hangars holding masked changes (rule 5) are answered from their views by the caller.
 */
import type { DocId, DocumentStore, MemberKey } from '../../crdt/index.ts'
import { AT, readHangarTuples, rowOwner } from './hangar-index.ts'

export interface StatsAcc {
  ships: number
  cost: number
  byManufacturer: Record<string, number>
  byStatus: Record<string, number>
  byRole: Record<string, number>
  byInsurance: Record<string, number>
}

export function newStats(): StatsAcc {
  return { ships: 0, cost: 0, byManufacturer: {}, byStatus: {}, byRole: {}, byInsurance: {} }
}

/** Who may see a ship: its owner (this member), the org (fleet:view), officers (fleet:manage). */
export type Audience = 'own' | 'org' | 'officers'

/** A viewer's rights as the totals read them. */
export interface Viewer {
  readonly me: string
  readonly view: boolean
  readonly manage: boolean
}

/** Whether `viewer` sees a ship of `owner` with `visibility` (the one rule every fleet read applies). */
export function sees(viewer: Viewer, owner: string, visibility: string): boolean {
  return (
    owner === viewer.me || (visibility === 'officers' ? viewer.manage : visibility === 'org' && viewer.view)
  )
}

function bump(into: Record<string, number>, key: string, by: number): void {
  const k = key || 'unknown'
  const n = (into[k] ?? 0) + by
  if (n === 0) delete into[k]
  else into[k] = n
}

/** Adds (`sign` 1) or takes out (`sign` -1) one ship tuple of a hangar index row. */
export function countTuple(acc: StatsAcc, t: readonly unknown[], sign: 1 | -1): void {
  const cost = t[AT.cost]
  acc.ships += sign
  acc.cost += sign * (typeof cost === 'number' ? cost : 0)
  bump(acc.byManufacturer, t[AT.manufacturer] as string, sign)
  bump(acc.byStatus, t[AT.status] as string, sign)
  bump(acc.byRole, t[AT.role] as string, sign)
  bump(acc.byInsurance, t[AT.insurance] as string, sign)
}

/** Adds every count of `from` into `into`. */
export function addStats(into: StatsAcc, from: StatsAcc): void {
  into.ships += from.ships
  into.cost += from.cost
  for (const f of ['byManufacturer', 'byStatus', 'byRole', 'byInsurance'] as const) {
    for (const [k, n] of Object.entries(from[f])) bump(into[f], k, n)
  }
}

/** The ships of one hangar row `viewer` sees, added to `acc` with `sign`. */
export function countRow(acc: StatsAcc, docId: string, row: Uint8Array, viewer: Viewer, sign: 1 | -1): void {
  const owner = rowOwner(docId)
  for (const t of readHangarTuples(row)) {
    if (sees(viewer, owner, t[AT.visibility] as string)) countTuple(acc, t, sign)
  }
}

interface OrgTotals {
  /** Each counted hangar's row, as counted (to take its contribution out when it changes). */
  readonly rows: Map<DocId, Uint8Array>
  readonly by: Record<Audience, StatsAcc>
  /** Hangars changed since they were counted. */
  readonly dirty: Set<DocId>
  /** Updates run one at a time. */
  turn: Promise<unknown>
}

/** Dirty hangars past which the org's rows are read again in one range scan. */
const RESCAN_AFTER = 2_000

export class FleetTotals {
  private readonly store: DocumentStore
  private readonly me: MemberKey
  private readonly orgs = new Map<string, OrgTotals>()

  constructor(store: DocumentStore, me: MemberKey) {
    this.store = store
    this.me = me
    store.on('change', ({ docId }) => {
      if (!docId.startsWith('hangar:')) return
      const org = docId.slice('hangar:'.length, docId.indexOf('.'))
      this.orgs.get(org)?.dirty.add(docId)
    })
  }

  /**
   * What `viewer` sees of the org's fleet, up to date with every hangar row written so
   * far. `views`: rows to count instead of the stored ones (hangars read without masked
   * changes, rule 5).
   */
  async stats(orgId: string, viewer: Viewer, views: ReadonlyMap<DocId, Uint8Array>): Promise<StatsAcc> {
    if (viewer.me !== this.me) throw new Error("fleet totals are kept for this node's member only")
    let org = this.orgs.get(orgId)
    if (org === undefined) {
      org = {
        rows: new Map(),
        by: { own: newStats(), org: newStats(), officers: newStats() },
        dirty: new Set(),
        turn: Promise.resolve(),
      }
      this.orgs.set(orgId, org)
      // Changes written while the rows are read mark them dirty: read again below.
      org.turn = this.rescan(orgId, org).catch((err: unknown) => {
        this.orgs.delete(orgId) // built again by the next query
        throw err
      })
    }
    const o = org
    const update = o.turn.then(() => this.update(orgId, o))
    o.turn = update.catch(() => {})
    await update
    // No await from here on: the sum is of one moment's rows.
    const acc = newStats()
    addStats(acc, o.by.own)
    if (viewer.view) addStats(acc, o.by.org)
    if (viewer.manage) addStats(acc, o.by.officers)
    for (const [docId, row] of views) {
      const counted = o.rows.get(docId)
      if (counted !== undefined) countRow(acc, docId, counted, viewer, -1)
      countRow(acc, docId, row, viewer, 1)
    }
    return acc
  }

  private async update(orgId: string, o: OrgTotals): Promise<void> {
    if (o.dirty.size === 0) return
    if (o.dirty.size > RESCAN_AFTER) {
      o.dirty.clear()
      await this.rescan(orgId, o)
      return
    }
    for (const docId of [...o.dirty]) {
      // Taken off before the read: a change written meanwhile marks it again.
      o.dirty.delete(docId)
      try {
        const [hit] = (await this.store.indexRows(docId)).filter(([id]) => id === docId)
        this.put(o, docId, hit?.[1] ?? null)
      } catch (err) {
        o.dirty.add(docId)
        throw err
      }
    }
  }

  private async rescan(orgId: string, o: OrgTotals): Promise<void> {
    const rows = await this.store.indexRows(`hangar:${orgId}.`)
    const seen = new Set<DocId>()
    for (const [docId, row] of rows) {
      seen.add(docId)
      this.put(o, docId, row)
    }
    for (const docId of [...o.rows.keys()]) if (!seen.has(docId)) this.put(o, docId, null)
  }

  /** Replaces a hangar's counted row (null: it has none now). */
  private put(o: OrgTotals, docId: DocId, row: Uint8Array | null): void {
    const old = o.rows.get(docId)
    if (old !== undefined) this.count(o, docId, old, -1)
    if (row === null) o.rows.delete(docId)
    else {
      o.rows.set(docId, row)
      this.count(o, docId, row, 1)
    }
  }

  private count(o: OrgTotals, docId: DocId, row: Uint8Array, sign: 1 | -1): void {
    const mine = rowOwner(docId) === this.me
    for (const t of readHangarTuples(row)) {
      const v = t[AT.visibility]
      const audience: Audience | null = mine
        ? 'own'
        : v === 'org'
          ? 'org'
          : v === 'officers'
            ? 'officers'
            : null
      if (audience !== null) countTuple(o.by[audience], t, sign)
    }
  }
}
