/**
 * The operation types and statuses: constant tables that import nothing, so the CLI's
 * option parsers can take them through node/light.ts without loading the service.
 */
export const OP_TYPES = [
  'combat',
  'mining',
  'trading',
  'exploration',
  'racing',
  'social',
  'training',
  'other',
] as const
export type OpType = (typeof OP_TYPES)[number]

export const OP_STATUSES = [
  'draft',
  'planned',
  'open',
  'locked',
  'in-progress',
  'completed',
  'cancelled',
] as const
export type OpStatus = (typeof OP_STATUSES)[number]
