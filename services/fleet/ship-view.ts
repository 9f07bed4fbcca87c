/**
 * Plain views of ship records. A hangar's owner may write anything into their own
 * hangar, so records are read defensively: unknown values become defaults.
 */
import { text } from '../org/index.ts'
import {
  INSURANCE,
  type Insurance,
  SHIP_STATUS,
  type ShipRecord,
  type ShipStatus,
  VISIBILITY,
  type Visibility,
} from './hangar-schema.ts'

export interface LoadoutView {
  readonly id: string
  readonly name: string
  readonly active: boolean
  readonly components: { slot: string; item: string; manufacturer: string }[]
}

/** A ship as lists and stats see it (what the hangar index keeps). */
export interface ShipSummary {
  readonly id: string
  readonly owner: string
  readonly model: string
  readonly manufacturer: string
  readonly name: string
  readonly role: string
  readonly pledgeDate: string | null
  readonly cost: number
  readonly insurance: Insurance
  readonly status: ShipStatus
  readonly location: string
  readonly visibility: Visibility
  readonly addedAt: number
}

/** A ship with its loadouts. */
export interface ShipView extends ShipSummary {
  /** The store's pledge id of an imported ship; '' when it has none. */
  readonly pledgeId: string
  readonly loadouts: LoadoutView[]
}

function oneOf<T extends string>(values: readonly T[], v: unknown, fallback: T): T {
  const s = text(v)
  return s !== undefined && (values as readonly string[]).includes(s) ? (s as T) : fallback
}

export function shipSummary(r: ShipRecord, owner: string): ShipSummary {
  return {
    id: text(r.id) ?? '',
    owner,
    model: text(r.model) ?? '',
    manufacturer: text(r.manufacturer) ?? '',
    name: text(r.name) ?? '',
    role: text(r.role) ?? '',
    pledgeDate: text(r.pledgeDate) ?? null,
    cost: typeof r.cost === 'number' && Number.isFinite(r.cost) && r.cost >= 0 ? r.cost : 0,
    insurance: oneOf(INSURANCE, r.insurance, 'none'),
    status: oneOf(SHIP_STATUS, r.status, 'unknown'),
    location: text(r.location) ?? '',
    visibility: oneOf(VISIBILITY, r.visibility, 'private'),
    addedAt: typeof r.addedAt === 'number' ? r.addedAt : 0,
  }
}

export function shipView(r: ShipRecord, owner: string): ShipView {
  const active = text(r.activeLoadout)
  const loadouts = typeof r.loadouts === 'object' && r.loadouts !== null ? Object.entries(r.loadouts) : []
  return {
    ...shipSummary(r, owner),
    pledgeId: text(r.pledgeId) ?? '',
    loadouts: loadouts.map(([id, l]) => ({
      id,
      name: text(l?.name) ?? '',
      active: id === active,
      components: Object.entries(l?.components ?? {}).map(([slot, c]) => ({
        slot,
        item: text(c?.item) ?? '',
        manufacturer: text(c?.manufacturer) ?? '',
      })),
    })),
  }
}
