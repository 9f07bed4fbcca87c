/**
 * `ship import`: a hangar export's ships into your own hangar as ONE action. Everything
 * is checked first (the file, its ships, duplicates, the hangar's bound); then every new
 * ship is written under one signed entry (`ship.import`, details: how many were added and
 * skipped), so the audit trail shows one import, not hundreds of adds.
 *
 * Ops per change are bounded (CHANGE_LIMITS.opsPerChange, on every node): the ships are
 * written in steps of `SHIPS_PER_CHANGE`, one Automerge change each, all covered by the
 * one entry and written in one atomic batch (DocumentStore.change with steps). The
 * entry's bytes are bounded too (CHANGE_LIMITS.bytesPerEntry): a full hangar of ships
 * with every field at its longest fits (tests/services/fleet/import/hangar-import.test.ts).
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { z } from 'zod'
import type { Clock, DocumentStore, Signer } from '../../../crdt/index.ts'
import { CHANGE_LIMITS } from '../../change-limits.ts'
import type { AuthIndex } from '../../org/index.ts'
import { InvalidInputError, parseInput, RosterAccess, text } from '../../org/index.ts'
import { HANGAR_LIMITS } from '../hangar-limits.ts'
import { HangarReads, hangarId } from '../hangar-reads.ts'
import {
  HANGAR_SCHEMA,
  type HangarDoc,
  IMPORT_FORMATS,
  type ImportFormat,
  type ShipRecord,
} from '../hangar-schema.ts'
import { newShip } from '../ship-input.ts'
import { type ImportPlan, planImport, type ShipIdentity, type SkippedEntry } from './import-plan.ts'
import type { ImportedShip } from './imported-ship.ts'
import { parseImport } from './parse-import.ts'

/** The ops one ship record takes: its map, 14 fields, its loadouts map. */
const OPS_PER_SHIP = 16
/** Ships per Automerge change: well inside the per-change op bound. */
export const SHIPS_PER_CHANGE = Math.floor((CHANGE_LIMITS.opsPerChange * 0.75) / OPS_PER_SHIP)

const importInput = z.object({
  text: z.string('must be the file as text'),
  format: z.enum(IMPORT_FORMATS, `must be one of ${IMPORT_FORMATS.join(', ')}`).optional(),
  dryRun: z.boolean('must be true or false').default(false),
})

/** A ship an import added (or, on a dry run, would add). */
export interface ImportedShipView {
  /** Its id in the hangar; null on a dry run. */
  readonly id: string | null
  readonly row: number
  readonly model: string
  readonly manufacturer: string
  readonly name: string
  readonly insurance: string
  readonly pledgeId: string
}

export interface ImportResult {
  readonly format: ImportFormat
  readonly dryRun: boolean
  readonly added: ImportedShipView[]
  readonly skipped: SkippedEntry[]
}

export interface HangarImportComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  readonly clock: Clock
}

const S = A.ImmutableString
const str = (v: string) => new S(v)

export class HangarImport {
  private readonly store: DocumentStore
  private readonly signer: Signer
  private readonly clock: Clock
  private readonly rosters: RosterAccess
  private readonly reads: HangarReads

  constructor(components: HangarImportComponents) {
    this.store = components.store
    this.signer = components.signer
    this.clock = components.clock
    this.rosters = new RosterAccess(components)
    this.reads = new HangarReads(components)
  }

  /**
   * Imports a hangar export (`{ text, format?, dryRun? }`) into your own hangar. A dry run
   * answers the same without writing anything.
   */
  async run(orgId: string, input: unknown): Promise<ImportResult> {
    const { text, format, dryRun } = parseInput(importInput, input, 'import')
    const me = this.signer.memberKey
    await this.rosters.currentState(orgId) // the org exists here
    const parsed = parseImport(text, format)
    const hangar = await this.reads.hangar(orgId, me)
    const held = Object.values(hangar?.ships ?? {})
    const plan = planImport(parsed, held.map(identityOf))
    if (held.length + plan.add.length > HANGAR_LIMITS.shipsPerHangar)
      throw new InvalidInputError(
        'file',
        `your hangar holds ${held.length} ships and the file adds ${plan.add.length}: a hangar holds at most ${HANGAR_LIMITS.shipsPerHangar}`,
      )
    for (const s of plan.add) parseInput(newShip, inputOf(s), `file row ${s.row}`)
    const ids = plan.add.map(() => (dryRun ? null : randomBytes(8).toString('hex')))
    if (!dryRun && plan.add.length > 0) await this.write(orgId, plan, ids as string[], hangar !== null)
    return {
      format: parsed.format,
      dryRun,
      added: plan.add.map((s, i) => ({
        id: ids[i] ?? null,
        row: s.row,
        model: s.model,
        manufacturer: s.manufacturer,
        name: s.name,
        insurance: s.insurance,
        pledgeId: s.pledgeId,
      })),
      skipped: [...plan.skipped],
    }
  }

  /** Writes the plan's ships under one entry, `SHIPS_PER_CHANGE` ships per change. */
  private async write(orgId: string, plan: ImportPlan, ids: string[], exists: boolean): Promise<void> {
    const me = this.signer.memberKey
    const addedAt = this.clock.now()
    const steps: ((d: HangarDoc) => void)[] = []
    for (let from = 0; from < plan.add.length; from += SHIPS_PER_CHANGE) {
      const to = Math.min(from + SHIPS_PER_CHANGE, plan.add.length)
      steps.push((d) => {
        for (let i = from; i < to; i++)
          d.ships[ids[i] as string] = record(ids[i] as string, plan.add[i] as ImportedShip, addedAt)
      })
    }
    const action = {
      action: 'ship.import',
      resource: `hangar:${orgId}/${me}`,
      details: { added: plan.add.length, skipped: plan.skipped.length },
      authHeads: A.getHeads(await this.rosters.roster(orgId)) as never,
    }
    const docId = hangarId(orgId, me)
    if (exists) {
      await this.store.change<HangarDoc>(docId, action, steps)
      return
    }
    const [first, ...rest] = steps
    await this.store.create<HangarDoc>(docId, action, [
      (d) => {
        d.schema = HANGAR_SCHEMA
        d.org = str(orgId)
        d.owner = str(me)
        d.ships = {}
        first?.(d)
      },
      ...rest,
    ])
  }
}

function record(id: string, s: ImportedShip, addedAt: number): ShipRecord {
  return {
    id: str(id),
    model: str(s.model),
    manufacturer: str(s.manufacturer),
    name: str(s.name),
    role: str(s.role),
    pledgeDate: s.pledgeDate === null ? null : str(s.pledgeDate),
    cost: s.cost,
    insurance: str(s.insurance),
    status: str('available'),
    location: str(''),
    visibility: str('org'),
    addedAt,
    pledgeId: str(s.pledgeId),
    loadouts: {},
    activeLoadout: null,
  }
}

function inputOf(s: ImportedShip) {
  return {
    model: s.model,
    manufacturer: s.manufacturer,
    name: s.name,
    role: s.role,
    pledgeDate: s.pledgeDate,
    cost: s.cost,
    insurance: s.insurance,
  }
}

/** A held ship record as the duplicate check sees it (records are read defensively). */
function identityOf(r: ShipRecord): ShipIdentity {
  const t = (v: unknown) => text(v) ?? ''
  return { model: t(r.model), name: t(r.name), pledgeId: t(r.pledgeId) }
}
