/**
 * Filters on a fleet list (HTTP query, CLI flags): manufacturer and role match whole
 * values in any case; status, insurance and visibility are their enums. Applied by the
 * fleet service to the ships the member may see, before any paging.
 */
import { z } from 'zod'
import { HANGAR_LIMITS as L } from './hangar-limits.ts'
import { INSURANCE, SHIP_STATUS, VISIBILITY } from './hangar-schema.ts'
import type { ShipSummary } from './ship-view.ts'

export const shipFilter = z
  .object({
    manufacturer: z.string().trim().min(1, 'must not be empty').max(L.manufacturer),
    role: z.string().trim().min(1, 'must not be empty').max(L.role),
    status: z.enum(SHIP_STATUS, `must be one of ${SHIP_STATUS.join(', ')}`),
    insurance: z.enum(INSURANCE, `must be one of ${INSURANCE.join(', ')}`),
    visibility: z.enum(VISIBILITY, `must be one of ${VISIBILITY.join(', ')}`),
  })
  .partial()

export type ShipFilter = z.infer<typeof shipFilter>

/** A test for one ship, built once per query. */
export function shipMatcher(f: ShipFilter): (s: ShipSummary) => boolean {
  const manufacturer = f.manufacturer?.toLowerCase()
  const role = f.role?.toLowerCase()
  return (s) =>
    (manufacturer === undefined || s.manufacturer.toLowerCase() === manufacturer) &&
    (role === undefined || s.role.toLowerCase() === role) &&
    (f.status === undefined || s.status === f.status) &&
    (f.insurance === undefined || s.insurance === f.insurance) &&
    (f.visibility === undefined || s.visibility === f.visibility)
}
