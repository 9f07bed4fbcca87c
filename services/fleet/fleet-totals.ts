/**
 * The org's fleet composition as an index of its own, not a scan: per org, the counts and
 * cost of every ship by who may see it (this member's own ships, ships visible to the
 * org, ships visible to officers), stored beside the hangar index rows and written in the
 * same atomic batch as every row that changes it (crdt/store/index-totals.ts), so it is
 * exactly the sum of the stored rows, after a restart or a crash too. A query reads one
 * record and adds up at most three accumulators, whatever the org's size.
 *
 * A missing record (a data directory from before these totals, an index rebuilt) or one
 * that does not read back (damage, another format, another member's) is built from the
 * org's rows once, then kept. Hangars holding masked changes (rule 5) are answered from
 * their views by the caller: their stored rows are taken out, the views' rows put in.
 */
import type { DocId, DocumentIndexer, DocumentStore, MemberKey, RowTotals } from '../../crdt/index.ts'
import { AT, hangarIndexer, readHangarTuples, rowOwner } from './hangar-index.ts'

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

/** An org's totals by audience. */
export type OrgTotals = Record<Audience, StatsAcc>

/** Bumped whenever the record's layout or what it counts changes. */
const FORMAT = 1
const AUDIENCES = ['own', 'org', 'officers'] as const
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The audience of a ship of `owner` with `visibility`, as counted on `me`'s node, or null (nobody else). */
function audienceOf(me: string, owner: string, visibility: unknown): Audience | null {
  if (owner === me) return 'own'
  return visibility === 'org' ? 'org' : visibility === 'officers' ? 'officers' : null
}

/** The hangar rows' totals per org, for the node of member `me` ('own' is its ships). */
export function hangarTotals(me: MemberKey): RowTotals<OrgTotals> {
  return {
    group: (docId) => {
      const dot = docId.indexOf('.')
      return docId.startsWith('hangar:') && dot > 0 ? docId.slice(0, dot + 1) : null
    },
    empty: () => ({ own: newStats(), org: newStats(), officers: newStats() }),
    count: (total, docId, row, sign) => {
      const owner = rowOwner(docId)
      for (const t of readHangarTuples(row)) {
        const audience = audienceOf(me, owner, t[AT.visibility])
        if (audience !== null) countTuple(total[audience], t, sign)
      }
    },
    encode: (total) => encoder.encode(JSON.stringify({ format: FORMAT, me, ...total })),
    decode: (bytes) => {
      let saved: unknown
      try {
        saved = JSON.parse(decoder.decode(bytes))
      } catch {
        return null
      }
      const s = saved as Record<string, unknown> | null
      if (typeof s !== 'object' || s === null || s.format !== FORMAT || s.me !== me) return null
      const out = { own: newStats(), org: newStats(), officers: newStats() }
      for (const a of AUDIENCES) {
        const acc = readStats(s[a])
        if (acc === null) return null
        out[a] = acc
      }
      return out
    },
  }
}

const COUNTS = ['byManufacturer', 'byStatus', 'byRole', 'byInsurance'] as const
const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0

/** A saved accumulator, or null unless every field is there and well-formed. */
function readStats(v: unknown): StatsAcc | null {
  const s = v as Record<string, unknown> | null
  if (typeof s !== 'object' || s === null || !count(s.ships)) return null
  if (typeof s.cost !== 'number' || !Number.isFinite(s.cost)) return null
  const acc = newStats()
  acc.ships = s.ships
  acc.cost = s.cost
  for (const f of COUNTS) {
    const m = s[f] as Record<string, unknown> | null
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return null
    for (const [k, n] of Object.entries(m)) {
      if (!count(n) || n === 0) return null
      acc[f][k] = n
    }
  }
  return acc
}

/** The hangar index with its per-org totals: what the document store is given. */
export const hangarIndexerWithTotals: DocumentIndexer = { ...hangarIndexer, totals: hangarTotals }

/** What members see of their org's fleet, from the totals the store keeps. */
export class FleetTotals {
  private readonly store: DocumentStore
  private readonly me: MemberKey

  constructor(store: DocumentStore, me: MemberKey) {
    this.store = store
    this.me = me
  }

  /**
   * What `viewer` sees of the org's fleet, as of the last write. `views`: rows to count
   * instead of the stored ones (hangars read without masked changes, rule 5).
   */
  async stats(orgId: string, viewer: Viewer, views: ReadonlyMap<DocId, Uint8Array>): Promise<StatsAcc> {
    if (viewer.me !== this.me) throw new Error("fleet totals are kept for this node's member only")
    // The total and the stored rows of the masked hangars, of one moment.
    const { total, rows } = await this.store.indexTotal<OrgTotals>('hangar', `hangar:${orgId}.`, [
      ...views.keys(),
    ])
    const acc = newStats()
    addStats(acc, total.own)
    if (viewer.view) addStats(acc, total.org)
    if (viewer.manage) addStats(acc, total.officers)
    for (const [docId, row] of views) {
      const counted = rows.get(docId)
      if (counted !== undefined) countRow(acc, docId, counted, viewer, -1)
      countRow(acc, docId, row, viewer, 1)
    }
    return acc
  }
}
