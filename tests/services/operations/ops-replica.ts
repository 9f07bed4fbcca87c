/**
 * Replicas with an operations service, and an org to run operations in: the leader's
 * replica creates it, `enlist` brings others in through an invite, as members do.
 */
import * as A from '@automerge/automerge'
import type { ActionInput, ChangeHash } from '../../../crdt/index.ts'
import { OperationsService } from '../../../services/operations/index.ts'
import { type OrgSummary, rosterId } from '../../../services/org/org-service.ts'
import { type Replica, useReplicas } from '../../helpers/replica.ts'

export interface OpsReplica extends Replica {
  readonly ops: OperationsService
}

const plainReplica = useReplicas({ storage: 'memory' })

/** A replica; `lawless` ones skip their own checks, like modified software. */
export async function replica(lawless = false, now?: () => number): Promise<OpsReplica> {
  const r = await plainReplica(lawless)
  const ops = new OperationsService({
    store: r.store,
    signer: r.signer,
    auth: r.validator.auth,
    ...(now ? { now } : {}),
  })
  return Object.assign(r, { ops })
}

/** An org founded by a fresh leader replica. */
export async function founded(name = 'Ops Org'): Promise<{ leader: OpsReplica; org: OrgSummary }> {
  const leader = await replica()
  const org = await leader.org.createOrg({ name, tag: 'OPS', handle: 'Leader_1' })
  return { leader, org }
}

/** Brings `who` into the org at `rank` (invite from the leader, synced both ways). */
export { enlist } from '../../helpers/replica.ts'

/** An action as the service would record it: with the roster heads the author holds. */
export async function actionOf(r: Replica, orgId: string, action: string): Promise<ActionInput> {
  const roster = await r.store.get(rosterId(orgId))
  return { action, resource: `op:${orgId}`, authHeads: A.getHeads(roster) as ChangeHash[] }
}

export function reasons(result: { rejected: readonly { reason: string }[] }): string[] {
  return result.rejected.map((r) => r.reason)
}

/** A time in the future, whole minutes. */
export const SOON = Math.floor(Date.now() / 60_000) * 60_000 + 7 * 24 * 3_600_000
