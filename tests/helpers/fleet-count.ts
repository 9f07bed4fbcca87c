/**
 * A fleet's stats counted the slow way: every ship the member's list shows, read one by
 * one (no totals). Fleet-totals tests compare `composition` with it.
 */
import type { FleetStats } from '../../services/fleet/index.ts'
import type { Replica } from './replica.ts'

/** The stats of the ships `r` lists for the org (the list path: every row read). */
export async function countedStats(r: Replica, orgId: string): Promise<FleetStats> {
  const stats = {
    ships: 0,
    totalCost: 0,
    byManufacturer: {} as Record<string, number>,
    byStatus: {} as Record<string, number>,
    byRole: {} as Record<string, number>,
    byInsurance: {} as Record<string, number>,
  }
  const bump = (into: Record<string, number>, k: string) => {
    into[k || 'unknown'] = (into[k || 'unknown'] ?? 0) + 1
  }
  for (const s of await r.fleet.ships(orgId)) {
    stats.ships++
    stats.totalCost += s.cost
    bump(stats.byManufacturer, s.manufacturer)
    bump(stats.byStatus, s.status)
    bump(stats.byRole, s.role)
    bump(stats.byInsurance, s.insurance)
  }
  return { ...stats, totalCost: Math.round(stats.totalCost * 100) / 100 }
}
