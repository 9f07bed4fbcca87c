/**
 * Members' hangars: ships, loadouts, stats, and the org's fleet composition. Input is
 * checked here (errors name the field); who may change whose hangar is decided by the
 * hangar rules, the same on every node.
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import {
  type Clock,
  type DocId,
  type DocumentStore,
  isMemberKey,
  type MemberKey,
  type Signer,
  systemClock,
} from '../../crdt/index.ts'
import type { AuthIndex, AuthState, ShipCounts } from '../org/index.ts'
import {
  InvalidInputError,
  PermissionDeniedError,
  parseInput as parse,
  RosterAccess,
  text,
} from '../org/index.ts'
import { LoadoutNotFoundError, ShipNotFoundError } from './errors.ts'
import { rankName, requireChange, requireView, viewerOf } from './fleet-access.ts'
import { countRow, FleetTotals, newStats, type StatsAcc, sees } from './fleet-totals.ts'
import { AT, readHangarRow, readHangarTuples, rowOwner } from './hangar-index.ts'
import { HANGAR_LIMITS } from './hangar-limits.ts'
import { HangarReads, hangarId } from './hangar-reads.ts'
import {
  HANGAR_SCHEMA,
  type HangarDoc,
  hangarName,
  type LoadoutRecord,
  parseHangarName,
  type ShipRecord,
} from './hangar-schema.ts'
import { HangarImport, type ImportResult } from './import/hangar-import.ts'
import { loadout, loadoutPatch, newShip, shipId, shipPatch } from './ship-input.ts'
import { type ShipFilter, shipFilter, shipMatcher } from './ship-query.ts'
import { type ShipSummary, type ShipView, shipView } from './ship-view.ts'

export interface FleetServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  /** When a ship was added; default `systemClock`. */
  readonly clock?: Clock
}

const S = A.ImmutableString
const str = (v: string) => new S(v)

export interface FleetStats {
  readonly ships: number
  readonly totalCost: number
  readonly byManufacturer: Record<string, number>
  readonly byStatus: Record<string, number>
  readonly byRole: Record<string, number>
  readonly byInsurance: Record<string, number>
}

export class FleetService implements ShipCounts {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly rosters: RosterAccess
  private readonly auth: AuthIndex
  private readonly totals: FleetTotals
  private readonly reads: HangarReads
  private readonly clock: Clock
  private readonly imports: HangarImport

  constructor(components: FleetServiceComponents) {
    this.clock = components.clock ?? systemClock
    this.auth = components.auth
    this.store = components.store
    this.signer = components.signer
    this.rosters = new RosterAccess(components)
    this.totals = new FleetTotals(components.store, components.signer.memberKey)
    this.reads = new HangarReads(components)
    this.imports = new HangarImport({ ...components, clock: this.clock })
  }

  /**
   * Imports a hangar export (`{ text, format?, dryRun? }`: HangarXPLOR JSON or CSV, or
   * FleetYards JSON) into your own hangar as one action with one audit entry; duplicates
   * and entries that are not ships are skipped and reported (import/hangar-import.ts).
   */
  async importShips(orgId: string, input: unknown): Promise<ImportResult> {
    return this.imports.run(orgId, input)
  }

  /** Adds a ship to a hangar (your own by default). Returns it. */
  async addShip(orgId: string, input: unknown, options: { owner?: string } = {}): Promise<ShipView> {
    const ship = parse(newShip, input, 'ship')
    const owner = this.owner(options.owner)
    await this.mayChange(orgId, owner)
    const id = randomBytes(8).toString('hex')
    const record = (): ShipRecord => ({
      id: str(id),
      model: str(ship.model),
      manufacturer: str(ship.manufacturer),
      name: str(ship.name),
      role: str(ship.role),
      pledgeDate: ship.pledgeDate === null ? null : str(ship.pledgeDate),
      cost: ship.cost,
      insurance: str(ship.insurance),
      status: str(ship.status),
      location: str(ship.location),
      visibility: str(ship.visibility),
      addedAt: this.clock.now(),
      loadouts: {},
      activeLoadout: null,
    })
    const action = {
      action: 'ship.add',
      resource: `ship:${orgId}/${id}`,
      details: { model: ship.model },
      authHeads: await this.rosterHeads(orgId),
    }
    const docId = hangarId(orgId, owner)
    const held = Object.keys((await this.reads.hangar(orgId, owner))?.ships ?? {}).length
    if (held >= HANGAR_LIMITS.shipsPerHangar)
      throw new InvalidInputError('ship', `a hangar holds at most ${HANGAR_LIMITS.shipsPerHangar} ships`)
    if (await this.store.has(docId)) {
      await this.store.change<HangarDoc>(docId, action, (d) => {
        d.ships[id] = record()
      })
    } else {
      await this.store.create<HangarDoc>(docId, action, (d) => {
        d.schema = HANGAR_SCHEMA
        d.org = str(orgId)
        d.owner = str(owner)
        d.ships = { [id]: record() }
      })
    }
    return this.record(orgId, owner, id)
  }

  /**
   * Changes fields of a ship (your own, or with fleet:manage a ship of a member below
   * your level). Returns it as changed.
   */
  async updateShip(orgId: string, owner: string, id: unknown, patch: unknown): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    const p = parse(shipPatch, patch, 'ship')
    if (Object.keys(p).length === 0) throw new InvalidInputError('ship', 'nothing to change')
    await this.mayChange(orgId, owner)
    await this.changeShip(orgId, owner, sid, 'ship.update', p, (s) => {
      for (const [k, v] of Object.entries(p)) {
        ;(s as unknown as Record<string, unknown>)[k] = typeof v === 'string' ? str(v) : v
      }
    })
    return this.record(orgId, owner, sid)
  }

  /** Removes a ship with its loadouts. Returns it as it was. */
  async removeShip(orgId: string, owner: string, id: unknown): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    await this.mayChange(orgId, owner)
    const removed = await this.record(orgId, owner, sid)
    await this.store.change<HangarDoc>(
      hangarId(orgId, this.owner(owner)),
      { action: 'ship.remove', resource: `ship:${orgId}/${sid}`, authHeads: await this.rosterHeads(orgId) },
      (d) => {
        delete d.ships[sid]
      },
    )
    return removed
  }

  /** Adds a named loadout to a ship; `active` makes it the ship's active one. Returns its id. */
  async addLoadout(orgId: string, owner: string, id: unknown, input: unknown): Promise<string> {
    const sid = parse(shipId, id, 'ship')
    const l = parse(loadout, input, 'loadout')
    uniqueSlots(l.components)
    await this.mayChange(orgId, owner)
    const held = (await this.record(orgId, owner, sid)).loadouts.length
    if (held >= HANGAR_LIMITS.loadoutsPerShip)
      throw new InvalidInputError('loadout', `a ship has at most ${HANGAR_LIMITS.loadoutsPerShip} loadouts`)
    const lid = randomBytes(8).toString('hex')
    await this.changeShip(orgId, owner, sid, 'loadout.add', { loadout: lid, name: l.name }, (s) => {
      s.loadouts[lid] = {
        id: str(lid),
        name: str(l.name),
        components: Object.fromEntries(
          l.components.map((c) => [c.slot, { item: str(c.item), manufacturer: str(c.manufacturer) }]),
        ),
      }
      if (l.active || s.activeLoadout === null) s.activeLoadout = str(lid)
    })
    return lid
  }

  /**
   * Renames a loadout and/or replaces its components (slots not given are taken out).
   * Returns the ship as changed.
   */
  async editLoadout(
    orgId: string,
    owner: string,
    id: unknown,
    loadoutId: unknown,
    patch: unknown,
  ): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    const lid = parse(shipId, loadoutId, 'loadout')
    const p = parse(loadoutPatch, patch, 'loadout')
    if (p.name === undefined && p.components === undefined)
      throw new InvalidInputError('loadout', 'nothing to change: give a name or components')
    if (p.components !== undefined) uniqueSlots(p.components)
    await this.mayChange(orgId, owner)
    await this.loadoutOf(orgId, owner, sid, lid)
    const details = { loadout: lid, ...(p.name === undefined ? {} : { name: p.name }) }
    await this.changeShip(orgId, owner, sid, 'loadout.edit', details, (s) => {
      const l = s.loadouts[lid] as LoadoutRecord
      if (p.name !== undefined && text(l.name) !== p.name) l.name = str(p.name)
      if (p.components === undefined) return
      const wanted = new Map(p.components.map((c) => [c.slot, c]))
      for (const slot of Object.keys(l.components)) if (!wanted.has(slot)) delete l.components[slot]
      for (const [slot, c] of wanted) {
        const held = l.components[slot]
        if (held === undefined) {
          l.components[slot] = { item: str(c.item), manufacturer: str(c.manufacturer) }
          continue
        }
        if (text(held.item) !== c.item) held.item = str(c.item)
        if (text(held.manufacturer) !== c.manufacturer) held.manufacturer = str(c.manufacturer)
      }
    })
    return this.record(orgId, owner, sid)
  }

  /** Makes a loadout the ship's active one. Returns the ship as changed. */
  async setActiveLoadout(orgId: string, owner: string, id: unknown, loadoutId: unknown): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    const lid = parse(shipId, loadoutId, 'loadout')
    await this.mayChange(orgId, owner)
    await this.loadoutOf(orgId, owner, sid, lid)
    await this.changeShip(orgId, owner, sid, 'loadout.activate', { loadout: lid }, (s) => {
      s.activeLoadout = str(lid)
    })
    return this.record(orgId, owner, sid)
  }

  /** Removes a loadout (the next one becomes active if it was). Returns the ship as changed. */
  async removeLoadout(orgId: string, owner: string, id: unknown, loadoutId: unknown): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    const lid = parse(shipId, loadoutId, 'loadout')
    await this.mayChange(orgId, owner)
    await this.loadoutOf(orgId, owner, sid, lid)
    await this.changeShip(orgId, owner, sid, 'loadout.remove', { loadout: lid }, (s) => {
      delete s.loadouts[lid]
      if (text(s.activeLoadout) === lid) {
        const next = Object.keys(s.loadouts)[0]
        s.activeLoadout = next === undefined ? null : str(next)
      }
    })
    return this.record(orgId, owner, sid)
  }

  /**
   * One ship with its loadouts, if this member may see it: your own always; another
   * member's needs fleet:view (officer-only ones fleet:manage); a private ship of someone
   * else is not found.
   */
  async ship(orgId: string, owner: string, id: string): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    const o = this.owner(owner)
    const me = this.signer.memberKey
    if (o === me) return this.record(orgId, o, sid)
    const state = await this.state(orgId)
    requireView(state, me, "seeing another member's ship")
    const ship = await this.record(orgId, o, sid)
    if (ship.visibility === 'officers' && !state.can(me, 'fleet:manage'))
      throw new PermissionDeniedError('seeing an officers-only ship', 'fleet:manage', rankName(state, me))
    if (!sees(viewerOf(state, me), o, ship.visibility)) throw new ShipNotFoundError(sid, o)
    return ship
  }

  /**
   * Ships this member may see (from the hangar index), filtered: one hangar (`owner`) or
   * every member's. Your own hangar is always yours to read; anything beyond it needs
   * fleet:view. Private ships show to their owner only; officer-only ships to holders of
   * fleet:manage. In owner order, each hangar's in the order its ships were added.
   */
  async ships(orgId: string, options: { owner?: string } & ShipFilter = {}): Promise<ShipSummary[]> {
    const { owner, ...rest } = options
    const filter = parse(shipFilter, rest, 'filter')
    const ships = await this.visible(orgId, owner, filter)
    return ships.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.addedAt - b.addedAt))
  }

  /**
   * How many ships of each member (of `owner` only, when given) this member may see, from
   * the hangar index (no hangar loaded): the org side's `ShipCounts` port.
   */
  async shipCounts(orgId: string, owner?: string): Promise<Map<string, number>> {
    const viewer = viewerOf(await this.state(orgId), this.signer.memberKey)
    const prefix = owner !== undefined ? `hangar:${hangarName(orgId, this.owner(owner))}` : `hangar:${orgId}.`
    const counts = new Map<string, number>()
    for (const [docId, row] of await this.reads.rows(orgId, prefix)) {
      const o = rowOwner(docId)
      let n = 0
      for (const t of readHangarTuples(row)) if (sees(viewer, o, t[AT.visibility] as string)) n++
      if (n > 0) counts.set(o, n)
    }
    return counts
  }

  /** Ships from the hangar index that this member may see and `filter` takes, in index order. */
  private async visible(
    orgId: string,
    owner: string | undefined,
    filter: ShipFilter,
  ): Promise<ShipSummary[]> {
    const state = await this.state(orgId)
    const me = this.signer.memberKey
    const o = owner === undefined ? undefined : this.owner(owner)
    if (o !== me)
      requireView(state, me, o === undefined ? 'seeing the org fleet' : "seeing another member's hangar")
    const viewer = viewerOf(state, me)
    const takes = shipMatcher(filter)
    const prefix = o !== undefined ? `hangar:${hangarName(orgId, o)}` : `hangar:${orgId}.`
    const out: ShipSummary[] = []
    for (const [docId, row] of await this.reads.rows(orgId, prefix)) {
      for (const ship of readHangarRow(docId, row))
        if (sees(viewer, ship.owner, ship.visibility) && takes(ship)) out.push(ship)
    }
    return out
  }

  /** Counts and cost of one member's hangar (default yours; another's needs fleet:view). */
  async hangarStats(orgId: string, owner?: string): Promise<FleetStats> {
    const state = await this.state(orgId)
    const me = this.signer.memberKey
    if (this.owner(owner) !== me) requireView(state, me, "seeing another member's hangar")
    const viewer = viewerOf(state, me)
    const acc = newStats()
    const prefix = `hangar:${hangarName(orgId, this.owner(owner))}`
    for (const [docId, row] of await this.reads.rows(orgId, prefix)) countRow(acc, docId, row, viewer, 1)
    return finish(acc)
  }

  /**
   * The org's fleet composition over every ship this member may see: from the totals
   * kept current (fleet-totals.ts), not a scan of every hangar.
   */
  async composition(orgId: string): Promise<FleetStats> {
    const state = await this.state(orgId)
    const me = this.signer.memberKey
    requireView(state, me, 'seeing the org fleet')
    const viewer = viewerOf(state, me)
    const views = new Map<DocId, Uint8Array>()
    for (const [docId, row] of await this.reads.maskedRows(orgId, `hangar:${orgId}.`)) views.set(docId, row)
    return finish(await this.totals.stats(orgId, viewer, views))
  }

  /** Members who have a hangar in this org. */
  async hangarOwners(orgId: string): Promise<string[]> {
    const prefix = `hangar:${orgId}.`
    return (await this.store.list('hangar'))
      .filter((id) => id.startsWith(prefix))
      .map((id) => parseHangarName(id.slice('hangar:'.length))?.owner)
      .filter((o): o is string => o !== undefined)
  }

  /** A ship as stored (without masked changes), whoever may see it: what writes check and answer. */
  private async record(orgId: string, owner: string, id: string): Promise<ShipView> {
    const o = this.owner(owner)
    const doc = await this.reads.hangar(orgId, o)
    const record = doc?.ships?.[id]
    if (doc === null || record === undefined) throw new ShipNotFoundError(id, o)
    return shipView(record, o)
  }

  /** A ship's loadout, or LoadoutNotFoundError. */
  private async loadoutOf(orgId: string, owner: string, sid: string, lid: string): Promise<void> {
    const ship = await this.record(orgId, owner, sid)
    if (!ship.loadouts.some((l) => l.id === lid)) throw new LoadoutNotFoundError(sid, lid)
  }

  /** Throws unless this member may change `owner`'s hangar (the hangar rules, checked before signing). */
  private async mayChange(orgId: string, owner: string): Promise<void> {
    const o = this.owner(owner)
    if (o !== this.signer.memberKey) requireChange(await this.state(orgId), this.signer.memberKey, o)
  }

  private async changeShip(
    orgId: string,
    owner: string,
    id: string,
    action: string,
    details: Record<string, unknown>,
    fn: (ship: ShipRecord) => void,
  ): Promise<void> {
    await this.record(orgId, owner, id)
    await this.store.change<HangarDoc>(
      hangarId(orgId, this.owner(owner)),
      {
        action,
        resource: `ship:${orgId}/${id}`,
        details: JSON.parse(JSON.stringify(details)),
        authHeads: await this.rosterHeads(orgId),
      },
      (d) => {
        fn(d.ships[id] as ShipRecord)
      },
    )
  }

  private async rosterHeads(orgId: string) {
    return A.getHeads(await this.rosters.roster(orgId)) as never
  }

  private async state(orgId: string): Promise<AuthState> {
    return this.rosters.currentState(orgId)
  }

  private owner(owner: string | undefined): MemberKey {
    if (owner === undefined) return this.signer.memberKey
    if (!isMemberKey(owner)) throw new InvalidInputError('owner', 'must be a member key (64 hex characters)')
    return owner
  }
}

export { hangarId }

/** Throws unless each slot appears once. */
function uniqueSlots(components: readonly { slot: string }[]): void {
  const slots = new Set<string>()
  for (const c of components) {
    if (slots.has(c.slot)) throw new InvalidInputError('loadout.components', `slot ${c.slot} appears twice`)
    slots.add(c.slot)
  }
}

function finish(acc: StatsAcc): FleetStats {
  const { cost, ...rest } = acc
  return { ...rest, totalCost: Math.round(cost * 100) / 100 }
}
