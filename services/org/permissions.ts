/**
 * Permission strings (`area:action`) with wildcards (`area:*`, `*`), and the ranks
 * every org starts with.
 */
export const PERMISSIONS = [
  'members:view',
  'members:manage',
  'members:invite',
  'members:kick',
  'ranks:view',
  'ranks:manage',
  'ranks:assign',
  'fleet:view',
  'fleet:manage',
  'ops:view',
  'ops:create',
  'ops:manage',
  'treasury:view',
  'treasury:manage',
  'org:manage',
  'org:delete',
  'audit:view',
] as const

export type Permission = (typeof PERMISSIONS)[number]
/** A permission as granted to a rank: one permission, an area wildcard, or `*`. */
export type Grant = Permission | `${string}:*` | '*'

const AREAS = new Set(PERMISSIONS.map((p) => p.split(':')[0]))
const KNOWN = new Set<string>(PERMISSIONS)

export function isGrant(value: unknown): value is Grant {
  if (typeof value !== 'string') return false
  if (value === '*' || KNOWN.has(value)) return true
  const [area, action, ...rest] = value.split(':')
  return rest.length === 0 && action === '*' && AREAS.has(area ?? '')
}

/** Whether a set of grants includes `needed`. */
export function allows(grants: ReadonlySet<string>, needed: Permission): boolean {
  if (grants.has('*') || grants.has(needed)) return true
  return grants.has(`${needed.split(':')[0]}:*`)
}

/** Whether `grants` gives nothing beyond `limit` (a rank may only hand out what its maker has). */
export function within(grants: ReadonlySet<string>, limit: ReadonlySet<string>): boolean {
  for (const g of grants) {
    if (g === '*') {
      if (!limit.has('*')) return false
    } else if (g.endsWith(':*')) {
      if (!limit.has('*') && !limit.has(g)) return false
    } else if (!allows(limit, g as Permission)) return false
  }
  return true
}

/** Canonical stored form: sorted, comma-joined. */
export function encodeGrants(grants: Iterable<string>): string {
  return [...new Set(grants)].sort().join(',')
}

export function decodeGrants(stored: unknown): Set<string> {
  if (typeof stored !== 'string' || stored === '') return new Set()
  return new Set(stored.split(',').filter(isGrant))
}

export interface RankSpec {
  readonly id: string
  readonly name: string
  readonly level: number
  readonly permissions: readonly Grant[]
}

/** The ranks an org is created with. */
export const DEFAULT_RANKS: readonly RankSpec[] = [
  { id: 'leader', name: 'Leader', level: 100, permissions: ['*'] },
  {
    id: 'officer',
    name: 'Officer',
    level: 50,
    permissions: ['members:*', 'ranks:*', 'fleet:*', 'ops:*', 'treasury:view', 'audit:view'],
  },
  {
    id: 'member',
    name: 'Member',
    level: 10,
    permissions: ['members:view', 'ranks:view', 'fleet:view', 'ops:view', 'treasury:view', 'audit:view'],
  },
  { id: 'recruit', name: 'Recruit', level: 1, permissions: ['members:view', 'fleet:view', 'ops:view'] },
]
