/**
 * What the fleet service accepts from users (HTTP bodies, CLI arguments): zod schemas
 * whose errors name the field. Every bound comes from HANGAR_LIMITS, which the hangar
 * rules apply to remote changes too.
 */
import { z } from 'zod'
import { DATE, HANGAR_LIMITS as L, RECORD_ID, SLOT } from './hangar-limits.ts'
import { INSURANCE, SHIP_STATUS, VISIBILITY } from './hangar-schema.ts'

const date = z
  .string()
  .regex(DATE, 'must be a date YYYY-MM-DD')
  .refine((d) => {
    // Date.parse takes 2024-02-30 as 1 March: a real date reads back the same.
    const t = Date.parse(`${d}T00:00:00Z`)
    return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d
  }, 'is not a real date')
const atMost = (n: number) => `must be at most ${n} characters`
const shipFields = {
  model: z.string().trim().min(1, 'is required').max(L.model, atMost(L.model)),
  manufacturer: z.string().trim().min(1, 'is required').max(L.manufacturer, atMost(L.manufacturer)),
  name: z.string().trim().max(L.name, atMost(L.name)),
  role: z.string().trim().max(L.role, atMost(L.role)),
  pledgeDate: date.nullable(),
  cost: z.number('must be a number').finite().min(0, 'must not be negative').max(L.cost, 'is too large'),
  insurance: z.enum(INSURANCE, `must be one of ${INSURANCE.join(', ')}`),
  status: z.enum(SHIP_STATUS, `must be one of ${SHIP_STATUS.join(', ')}`),
  location: z.string().trim().max(L.location, atMost(L.location)),
  visibility: z.enum(VISIBILITY, `must be one of ${VISIBILITY.join(', ')}`),
}
export const newShip = z.object({
  ...shipFields,
  name: shipFields.name.default(''),
  role: shipFields.role.default(''),
  pledgeDate: shipFields.pledgeDate.default(null),
  cost: shipFields.cost.default(0),
  insurance: shipFields.insurance.default('none'),
  status: shipFields.status.default('available'),
  location: shipFields.location.default(''),
  visibility: shipFields.visibility.default('org'),
})
export const shipPatch = z.object(shipFields).partial()
const component = z.object({
  slot: z.string().regex(SLOT, 'must be 1 to 40 letters, digits, space, _ . -'),
  item: z.string().trim().min(1, 'is required').max(L.item, atMost(L.item)),
  manufacturer: z.string().trim().max(L.manufacturer, atMost(L.manufacturer)).default(''),
})
export const loadout = z.object({
  name: z.string().trim().min(1, 'is required').max(L.loadoutName, atMost(L.loadoutName)),
  components: z.array(component).max(L.componentsPerLoadout, `at most ${L.componentsPerLoadout} components`),
  active: z.boolean().default(false),
})
export const loadoutPatch = z.object({
  name: loadout.shape.name.optional(),
  components: loadout.shape.components.optional(),
})
export const shipId = z.string().regex(RECORD_ID, 'must be a ship id (16 hex characters)')
