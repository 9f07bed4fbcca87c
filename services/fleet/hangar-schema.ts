/**
 * A member's hangar: one document per member and org, `hangar:<orgId>.<memberKey>`,
 * so no document grows with the org. All strings are scalar (ImmutableString).
 */
import type * as A from '@automerge/automerge'

export const HANGAR_SCHEMA = 1

export const INSURANCE = ['none', 'standard', 'lti'] as const
export const SHIP_STATUS = ['available', 'in-use', 'maintenance', 'destroyed', 'unknown'] as const
export const VISIBILITY = ['org', 'officers', 'private'] as const
/** The hangar export formats `ship import` reads (fleet/import/). */
export const IMPORT_FORMATS = ['hangarxplor-json', 'hangarxplor-csv', 'fleetyards'] as const

export type Insurance = (typeof INSURANCE)[number]
export type ShipStatus = (typeof SHIP_STATUS)[number]
export type Visibility = (typeof VISIBILITY)[number]
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

type Str = A.ImmutableString

export interface ComponentRecord {
  item: Str
  manufacturer: Str
}

export interface LoadoutRecord {
  id: Str
  name: Str
  /** slot → component */
  components: Record<string, ComponentRecord>
}

export interface ShipRecord {
  id: Str
  model: Str
  manufacturer: Str
  name: Str
  role: Str
  /** YYYY-MM-DD or null */
  pledgeDate: Str | null
  /** USD */
  cost: number
  insurance: Str
  status: Str
  location: Str
  visibility: Str
  addedAt: number
  /** The store's pledge id, on ships imported from a file that has one (import/). */
  pledgeId?: Str
  loadouts: Record<string, LoadoutRecord>
  activeLoadout: Str | null
}

export interface HangarDoc {
  schema: number
  org: Str
  owner: Str
  ships: Record<string, ShipRecord>
}

export function hangarName(orgId: string, owner: string): string {
  return `${orgId}.${owner}`
}

/** `<orgId>.<memberKey>` → parts, or null. */
export function parseHangarName(name: string): { orgId: string; owner: string } | null {
  // A plain test and two slices, once per name in a row: this runs once per received
  // hangar change, and a batch names the same hangar thousands of times.
  if (name !== lastName) {
    lastParts = HANGAR_NAME.test(name)
      ? Object.freeze({ orgId: name.slice(0, 32), owner: name.slice(33) })
      : null
    lastName = name
  }
  return lastParts
}
let lastName = ''
let lastParts: Readonly<{ orgId: string; owner: string }> | null = null
const HANGAR_NAME = /^[0-9a-f]{32}\.[0-9a-f]{64}$/
