/**
 * Every bound on a hangar, defined once: the input schemas (errors naming the field,
 * ship-input.ts) and the hangar rules that judge every change on every node
 * (hangar-shape.ts) both read these, so a node that skips its own checks gets nothing
 * past its peers that an honest node would not write.
 */
import type { Scalar } from '../org/index.ts'
import { INSURANCE, SHIP_STATUS, VISIBILITY } from './hangar-schema.ts'

export const HANGAR_LIMITS = {
  /** Ships in one member's hangar. */
  shipsPerHangar: 1_000,
  /** Loadouts of one ship. */
  loadoutsPerShip: 32,
  /** Components (slots) of one loadout. */
  componentsPerLoadout: 64,
  model: 80,
  manufacturer: 60,
  name: 80,
  role: 40,
  location: 120,
  /** The store's pledge id of an imported ship (HangarXPLOR exports carry it). */
  pledgeId: 40,
  /** USD. */
  cost: 1_000_000,
  loadoutName: 60,
  item: 80,
  /** Latest `addedAt` (year 9999), as for operation times. */
  time: 253_402_300_799_000,
} as const

/** A ship or loadout id: 16 hex characters. */
export const RECORD_ID = /^[0-9a-f]{16}$/
/** A component slot name. */
export const SLOT = /^[A-Za-z0-9 _.-]{1,40}$/
export const DATE = /^\d{4}-\d{2}-\d{2}$/

const L = HANGAR_LIMITS
const text = (v: Scalar, min: number, max: number) =>
  typeof v === 'string' && v.length >= min && v.length <= max && v.trim() === v
const oneOf = (values: readonly string[], v: Scalar) => typeof v === 'string' && values.includes(v)

/** What may be stored under a ship record's key; null when fine, else why not. */
export function shipValueProblem(key: string, v: Scalar): string | null {
  switch (key) {
    case 'id':
      return typeof v === 'string' && RECORD_ID.test(v) ? null : 'ship id must be 16 hex characters'
    case 'model':
      return text(v, 1, L.model) ? null : `ship model must be 1 to ${L.model} characters`
    case 'manufacturer':
      return text(v, 1, L.manufacturer) ? null : `ship manufacturer must be 1 to ${L.manufacturer} characters`
    case 'name':
      return text(v, 0, L.name) ? null : `ship name must be at most ${L.name} characters`
    case 'role':
      return text(v, 0, L.role) ? null : `ship role must be at most ${L.role} characters`
    case 'location':
      return text(v, 0, L.location) ? null : `ship location must be at most ${L.location} characters`
    case 'pledgeId':
      return text(v, 0, L.pledgeId) ? null : `ship pledgeId must be text of at most ${L.pledgeId} characters`
    case 'pledgeDate':
      return v === null || (typeof v === 'string' && DATE.test(v))
        ? null
        : 'pledgeDate must be a date or null'
    case 'cost':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= L.cost
        ? null
        : `ship cost must be 0 to ${L.cost}`
    case 'insurance':
      return oneOf(INSURANCE, v) ? null : `insurance must be one of ${INSURANCE.join(', ')}`
    case 'status':
      return oneOf(SHIP_STATUS, v) ? null : `status must be one of ${SHIP_STATUS.join(', ')}`
    case 'visibility':
      return oneOf(VISIBILITY, v) ? null : `visibility must be one of ${VISIBILITY.join(', ')}`
    case 'addedAt':
      return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= L.time
        ? null
        : 'addedAt must be a time'
    case 'activeLoadout':
      return v === null || (typeof v === 'string' && RECORD_ID.test(v))
        ? null
        : 'activeLoadout must be a loadout id or null'
    default:
      return `${key.slice(0, 40)} is not a field of a ship`
  }
}

/** What may be stored under a loadout record's key (its scalar fields); null when fine. */
export function loadoutValueProblem(key: string, v: Scalar): string | null {
  switch (key) {
    case 'id':
      return typeof v === 'string' && RECORD_ID.test(v) ? null : 'loadout id must be 16 hex characters'
    case 'name':
      return text(v, 1, L.loadoutName) ? null : `loadout name must be 1 to ${L.loadoutName} characters`
    default:
      return `${key.slice(0, 40)} is not a scalar field of a loadout`
  }
}

/** What may be stored under a component record's key; null when fine. */
export function componentValueProblem(key: string, v: Scalar): string | null {
  switch (key) {
    case 'item':
      return text(v, 1, L.item) ? null : `component item must be 1 to ${L.item} characters`
    case 'manufacturer':
      return text(v, 0, L.manufacturer)
        ? null
        : `component manufacturer must be at most ${L.manufacturer} characters`
    default:
      return `${key.slice(0, 40)} is not a field of a component`
  }
}
