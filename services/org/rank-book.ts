/**
 * The org's ranks: list, create, update, delete (what `OrgService` exposes). Every write
 * is checked here first (permission, level, license) with errors naming what is wrong,
 * then judged by the roster rules like any change.
 */
import { z } from 'zod'
import type { DocumentStore, MemberKey } from '../../crdt/index.ts'
import type { AuthState } from './auth-state.ts'
import { explainRefusal, lacking, requireRead } from './caller.ts'
import { InvalidInputError, RankExistsError, RankInUseError, RankNotFoundError } from './errors.ts'
import type { FeatureGate, GatedFeature } from './feature-gate.ts'
import { parseInput as parse, rankIdInput as rankId } from './input.ts'
import { DEFAULT_RANKS, decodeGrants, encodeGrants, isGrant, within } from './permissions.ts'
import { recordHead } from './record-head.ts'
import type { RosterAccess, RosterAction } from './roster-access.ts'
import { type RosterDoc, str, text } from './roster-schema.ts'
import { memberViews, type RankView, rankViews } from './roster-views.ts'
import { MAX_LEVEL, RANK_NAME_MAX, ROSTER_LIMITS } from './validation.ts'

/** A rank as given to create or replace it. */
export interface RankInput {
  readonly id: unknown
  readonly name: unknown
  readonly level: unknown
  readonly permissions: unknown
}

/** What `updateRank` may change. */
export interface RankPatch {
  readonly name?: unknown
  readonly level?: unknown
  readonly permissions?: unknown
}

const level = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_LEVEL - 1)
const grants = z.array(z.string().refine(isGrant, 'is not a known permission (e.g. fleet:manage, ops:*)'))
const rankName = z.string().trim().min(1).max(RANK_NAME_MAX)

export class RankBook {
  private readonly store: DocumentStore
  private readonly rosters: RosterAccess
  private readonly gate: FeatureGate
  private readonly me: MemberKey

  constructor(c: { store: DocumentStore; rosters: RosterAccess; gate: FeatureGate; me: MemberKey }) {
    this.store = c.store
    this.rosters = c.rosters
    this.gate = c.gate
    this.me = c.me
  }

  /** A roster change; a refusal named by `explain` where it can (see `explainRefusal`). */
  private async change(
    orgId: string,
    action: RosterAction,
    fn: (doc: RosterDoc) => void,
    explain: (state: AuthState) => Error | null,
  ): Promise<void> {
    await explainRefusal(
      () => this.rosters.change(orgId, action, fn),
      async () => explain(await this.rosters.currentState(orgId)),
    )
  }

  /**
   * The license gate for `feature`; a member without ranks:manage is told that first (a
   * license would not help them).
   */
  private async gated(orgId: string, feature: GatedFeature, what: string): Promise<void> {
    try {
      await this.gate.require(orgId, feature)
    } catch (err) {
      throw lacking(await this.rosters.currentState(orgId), this.me, what, 'ranks:manage') ?? err
    }
  }

  async list(orgId: string): Promise<RankView[]> {
    requireRead(await this.rosters.currentState(orgId), this.me, 'listing ranks', 'ranks:view')
    return rankViews(await this.rosters.rosterView(orgId))
  }

  async create(orgId: string, input: RankInput): Promise<RankView> {
    const id = parse(rankId, input.id, 'id')
    if ((await this.rosters.roster(orgId)).rankLevel[id] !== undefined) throw new RankExistsError(id)
    return this.put(orgId, { ...input, id })
  }

  async update(orgId: string, id: unknown, patch: RankPatch): Promise<RankView> {
    const r = parse(rankId, id, 'rank')
    const rank = rankViews(await this.rosters.rosterView(orgId)).find((x) => x.id === r)
    if (rank === undefined) throw new RankNotFoundError(r)
    if (patch.name === undefined && patch.level === undefined && patch.permissions === undefined)
      throw new InvalidInputError('rank', 'give at least one of name, level, permissions')
    return this.put(orgId, {
      id: r,
      name: patch.name ?? rank.name,
      level: patch.level ?? rank.level,
      permissions: patch.permissions ?? rank.permissions,
    })
  }

  async put(orgId: string, input: RankInput): Promise<RankView> {
    const id = parse(rankId, input.id, 'id')
    const n = parse(rankName, input.name, 'name')
    const l = parse(level, input.level, 'level')
    const p = parse(grants, input.permissions, 'permissions')
    await this.gated(orgId, 'custom-ranks', 'changing ranks')
    // Ranks with one of the default permission sets are custom ranks; any other set is RBAC.
    const key = encodeGrants(p)
    if (!DEFAULT_RANKS.some((r) => encodeGrants(r.permissions) === key))
      await this.gated(orgId, 'rbac', 'changing ranks')
    const roster = await this.rosters.roster(orgId)
    const existing = roster.rankLevel[id] !== undefined
    if (!existing && Object.keys(roster.rankLevel).length >= ROSTER_LIMITS.ranks)
      throw new InvalidInputError('id', `an org has at most ${ROSTER_LIMITS.ranks} ranks`)
    // Rule 5: taking rights from a rank records its holders' chain heads as this node has
    // them; their entries past those are judged with the rank's new definition.
    const reduces =
      existing &&
      (l < (roster.rankLevel[id] as number) || !within(decodeGrants(text(roster.rankPerms[id])), new Set(p)))
    const holders = reduces
      ? memberViews(await this.rosters.rosterView(orgId)).filter((m) => m.rank === id)
      : []
    const heads = await Promise.all(
      holders.map(
        async (m) => [m.memberKey, (await this.store.chains.head(orgId, m.memberKey))?.seq ?? 0] as const,
      ),
    )
    await this.change(
      orgId,
      {
        action: existing ? 'rank.update' : 'rank.create',
        resource: `rank:${orgId}/${id}`,
        details: { name: n, level: l, permissions: p },
      },
      (doc) => {
        doc.rankName[id] = str(n)
        doc.rankLevel[id] = l
        doc.rankPerms[id] = str(encodeGrants(p))
        for (const [k, seq] of heads) recordHead(doc, k, seq)
      },
      (state) => {
        const mine = state.levelOf(this.me)
        return (
          lacking(state, this.me, 'changing ranks', 'ranks:manage') ??
          (l >= mine ? new InvalidInputError('level', `must be below your own level (${mine})`) : null)
        )
      },
    )
    return { id, name: n, level: l, permissions: [...decodeGrants(encodeGrants(p))] }
  }

  async delete(orgId: string, id: unknown): Promise<RankView> {
    const r = parse(rankId, id, 'rank')
    const denied = lacking(await this.rosters.currentState(orgId), this.me, 'deleting a rank', 'ranks:manage')
    if (denied !== null) throw denied
    const doc = await this.rosters.roster(orgId)
    const rank = rankViews(doc).find((x) => x.id === r)
    if (rank === undefined) throw new RankNotFoundError(r)
    await this.gated(orgId, 'custom-ranks', 'deleting a rank')
    const holders = memberViews(await this.rosters.rosterView(orgId)).filter((m) => m.rank === r)
    if (holders.length > 0) throw new RankInUseError(r, holders.length)
    await this.change(
      orgId,
      { action: 'rank.delete', resource: `rank:${orgId}/${r}` },
      (d) => {
        delete d.rankName[r]
        delete d.rankLevel[r]
        delete d.rankPerms[r]
      },
      () => null,
    )
    return rank
  }
}
