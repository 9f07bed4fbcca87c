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
  parseDocId,
  type Signer,
  systemClock,
} from '../../crdt/index.ts'
import type { AuthIndex, AuthState, ShipCounts } from '../org/index.ts'
import { InvalidInputError, parseInput as parse, RosterAccess, text } from '../org/index.ts'
import { countRow, FleetTotals, newStats, type StatsAcc, sees, type Viewer } from './fleet-totals.ts'
import { AT, hangarIndexer, readHangarRow, readHangarTuples, rowOwner } from './hangar-index.ts'
import { HANGAR_LIMITS } from './hangar-limits.ts'
import {
  HANGAR_SCHEMA,
  type HangarDoc,
  hangarName,
  parseHangarName,
  type ShipRecord,
} from './hangar-schema.ts'
import { loadout, newShip, shipId, shipPatch } from './ship-input.ts'
import { type ShipSummary, type ShipView, shipView } from './ship-view.ts'

export interface FleetServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  /** When a ship was added; default `systemClock`. */
  readonly clock?: Clock
}

const EMPTY_ROW = new TextEncoder().encode('[]')
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
  private readonly clock: Clock

  constructor(components: FleetServiceComponents) {
    this.clock = components.clock ?? systemClock
    this.auth = components.auth
    this.store = components.store
    this.signer = components.signer
    this.rosters = new RosterAccess(components)
    this.totals = new FleetTotals(components.store, components.signer.memberKey)
  }

  /** Adds a ship to a hangar (your own by default). Returns it. */
  async addShip(orgId: string, input: unknown, options: { owner?: string } = {}): Promise<ShipView> {
    const ship = parse(newShip, input, 'ship')
    const owner = this.owner(options.owner)
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
    const held = Object.keys((await this.hangar(orgId, owner))?.ships ?? {}).length
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
    return this.ship(orgId, owner, id)
  }

  /** Changes fields of a ship. */
  async updateShip(orgId: string, owner: string, id: unknown, patch: unknown): Promise<ShipView> {
    const sid = parse(shipId, id, 'ship')
    const p = parse(shipPatch, patch, 'ship')
    if (Object.keys(p).length === 0) throw new InvalidInputError('ship', 'nothing to change')
    await this.changeShip(orgId, owner, sid, 'ship.update', p, (s) => {
      for (const [k, v] of Object.entries(p)) {
        ;(s as unknown as Record<string, unknown>)[k] = typeof v === 'string' ? str(v) : v
      }
    })
    return this.ship(orgId, owner, sid)
  }

  async removeShip(orgId: string, owner: string, id: unknown): Promise<void> {
    const sid = parse(shipId, id, 'ship')
    await this.ship(orgId, owner, sid)
    await this.store.change<HangarDoc>(
      hangarId(orgId, this.owner(owner)),
      { action: 'ship.remove', resource: `ship:${orgId}/${sid}`, authHeads: await this.rosterHeads(orgId) },
      (d) => {
        delete d.ships[sid]
      },
    )
  }

  /** Adds a named loadout to a ship; `active` makes it the ship's active one. Returns its id. */
  async addLoadout(orgId: string, owner: string, id: unknown, input: unknown): Promise<string> {
    const sid = parse(shipId, id, 'ship')
    const l = parse(loadout, input, 'loadout')
    const slots = new Set<string>()
    for (const c of l.components) {
      if (slots.has(c.slot)) throw new InvalidInputError('loadout.components', `slot ${c.slot} appears twice`)
      slots.add(c.slot)
    }
    const held = (await this.ship(orgId, owner, sid)).loadouts.length
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

  async setActiveLoadout(orgId: string, owner: string, id: unknown, loadoutId: unknown): Promise<void> {
    const sid = parse(shipId, id, 'ship')
    const lid = parse(shipId, loadoutId, 'loadout')
    const ship = await this.ship(orgId, owner, sid)
    if (!ship.loadouts.some((l) => l.id === lid))
      throw new InvalidInputError('loadout', `no loadout ${lid} on this ship`)
    await this.changeShip(orgId, owner, sid, 'loadout.activate', { loadout: lid }, (s) => {
      s.activeLoadout = str(lid)
    })
  }

  async removeLoadout(orgId: string, owner: string, id: unknown, loadoutId: unknown): Promise<void> {
    const sid = parse(shipId, id, 'ship')
    const lid = parse(shipId, loadoutId, 'loadout')
    const ship = await this.ship(orgId, owner, sid)
    if (!ship.loadouts.some((l) => l.id === lid))
      throw new InvalidInputError('loadout', `no loadout ${lid} on this ship`)
    await this.changeShip(orgId, owner, sid, 'loadout.remove', { loadout: lid }, (s) => {
      delete s.loadouts[lid]
      if (text(s.activeLoadout) === lid) {
        const next = Object.keys(s.loadouts)[0]
        s.activeLoadout = next === undefined ? null : str(next)
      }
    })
  }

  /** One ship, as its owner sees it. */
  async ship(orgId: string, owner: string, id: string): Promise<ShipView> {
    const doc = await this.hangar(orgId, this.owner(owner))
    const record = doc?.ships?.[id]
    if (doc === null || record === undefined)
      throw new InvalidInputError('ship', `no ship ${id} in that hangar`)
    return shipView(record, this.owner(owner))
  }

  /**
   * Ships this member may see (from the hangar index): one hangar (`owner`) or every
   * member's. Private ships show to their owner only; officer-only ships to holders of
   * fleet:manage.
   */
  async ships(orgId: string, options: { owner?: string } = {}): Promise<ShipSummary[]> {
    const ships = await this.visible(orgId, options.owner)
    return ships.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.addedAt - b.addedAt))
  }

  /**
   * How many ships of each member (of `owner` only, when given) this member may see, from
   * the hangar index (no hangar loaded): the org side's `ShipCounts` port.
   */
  async shipCounts(orgId: string, owner?: string): Promise<Map<string, number>> {
    const viewer = this.viewer(await this.state(orgId))
    const prefix = owner !== undefined ? `hangar:${hangarName(orgId, this.owner(owner))}` : `hangar:${orgId}.`
    const counts = new Map<string, number>()
    for (const [docId, row] of await this.rows(orgId, prefix)) {
      const o = rowOwner(docId)
      let n = 0
      for (const t of readHangarTuples(row)) if (sees(viewer, o, t[AT.visibility] as string)) n++
      if (n > 0) counts.set(o, n)
    }
    return counts
  }

  /** Ships from the hangar index that this member may see, in index order. */
  private async visible(orgId: string, owner?: string): Promise<ShipSummary[]> {
    const viewer = this.viewer(await this.state(orgId))
    const prefix = owner !== undefined ? `hangar:${hangarName(orgId, this.owner(owner))}` : `hangar:${orgId}.`
    const out: ShipSummary[] = []
    for (const [docId, row] of await this.rows(orgId, prefix)) {
      for (const ship of readHangarRow(docId, row))
        if (sees(viewer, ship.owner, ship.visibility)) out.push(ship)
    }
    return out
  }

  /** Counts and cost of one member's hangar. */
  async hangarStats(orgId: string, owner?: string): Promise<FleetStats> {
    const viewer = this.viewer(await this.state(orgId))
    const acc = newStats()
    const prefix = `hangar:${hangarName(orgId, this.owner(owner))}`
    for (const [docId, row] of await this.rows(orgId, prefix)) countRow(acc, docId, row, viewer, 1)
    return finish(acc)
  }

  /**
   * The org's fleet composition over every ship this member may see: from the totals
   * kept current (fleet-totals.ts), not a scan of every hangar.
   */
  async composition(orgId: string): Promise<FleetStats> {
    const viewer = this.viewer(await this.state(orgId))
    const views = new Map<DocId, Uint8Array>()
    for (const [docId, row] of await this.maskedRows(orgId, `hangar:${orgId}.`)) views.set(docId, row)
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

  /** This member's rights over ships, read once per query. */
  private viewer(state: AuthState): Viewer {
    const me = this.signer.memberKey
    return { me, view: state.can(me, 'fleet:view'), manage: state.can(me, 'fleet:manage') }
  }

  private async changeShip(
    orgId: string,
    owner: string,
    id: string,
    action: string,
    details: Record<string, unknown>,
    fn: (ship: ShipRecord) => void,
  ): Promise<void> {
    await this.ship(orgId, owner, id)
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

  /**
   * Index rows under `prefix`; a hangar holding changes of a member past their recorded
   * head (rule 5) is read from its view without them instead of its row.
   */
  private async rows(orgId: string, prefix: string): Promise<[DocId, Uint8Array][]> {
    const rows = await this.store.indexRows(prefix)
    const membership = this.auth.membership
    const masked = membership === null ? new Set<DocId>() : await membership.maskedDocs(orgId)
    if (masked.size === 0 || membership === null) return rows
    const out: [DocId, Uint8Array][] = []
    for (const [docId, row] of rows) {
      if (!masked.has(docId)) {
        out.push([docId, row])
        continue
      }
      const tree = await membership.view(orgId, docId, await this.store.get(docId))
      out.push([docId, tree === null ? row : (hangarIndexer.row(docId, tree as never) ?? EMPTY_ROW)])
    }
    return out
  }

  /**
   * The hangars under `prefix` holding changes of a member past their recorded head
   * (rule 5), each with the row of its view without them (as `rows` reads them).
   */
  private async maskedRows(orgId: string, prefix: string): Promise<[DocId, Uint8Array][]> {
    const membership = this.auth.membership
    if (membership === null) return []
    const out: [DocId, Uint8Array][] = []
    for (const docId of await membership.maskedDocs(orgId)) {
      if (!docId.startsWith(prefix)) continue
      const [stored] = (await this.store.indexRows(docId)).filter(([id]) => id === docId)
      if (stored === undefined) continue
      const tree = await membership.view(orgId, docId, await this.store.get(docId))
      out.push([docId, tree === null ? stored[1] : (hangarIndexer.row(docId, tree as never) ?? EMPTY_ROW)])
    }
    return out
  }

  /** A hangar as views read it (without masked changes), or null. */
  private async hangar(orgId: string, owner: string): Promise<HangarDoc | null> {
    const id = hangarId(orgId, owner)
    if (!(await this.store.has(id))) return null
    const doc = await this.store.get<HangarDoc>(id)
    const tree = await this.auth.membership?.view(orgId, id, doc as A.Doc<unknown>)
    return (tree ?? doc) as HangarDoc
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

export function hangarId(orgId: string, owner: string): DocId {
  return parseDocId(`hangar:${hangarName(orgId, owner)}`)
}

function finish(acc: StatsAcc): FleetStats {
  const { cost, ...rest } = acc
  return { ...rest, totalCost: Math.round(cost * 100) / 100 }
}
