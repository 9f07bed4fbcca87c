/**
 * The port the members list reads ship counts through: the org side's (org/ knows
 * nothing of hangars); `FleetService` (services/fleet) implements it from its hangar
 * index, with no hangar document loaded.
 */

export interface ShipCounts {
  /**
   * How many ships of each member (of `owner` only, when given) this node's member may
   * see in the org; members with none are absent.
   */
  shipCounts(orgId: string, owner?: string): Promise<ReadonlyMap<string, number>>
}

/** Counts nothing: for tools that read a roster without hangars. */
export const NO_SHIP_COUNTS: ShipCounts = { shipCounts: async () => new Map() }
