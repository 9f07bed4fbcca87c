/**
 * Members' stores for the domain benchmarks: the test replica (real store, validator and
 * services; tests/helpers/replica.ts), and a member's hangar history made on it.
 */
import type { DocId, SignedEntry } from '../crdt/index.ts'
import { hangarId } from '../services/fleet/index.ts'
import { everything, makeReplica, type Replica } from '../tests/helpers/replica.ts'
import { makeSigner } from '../tests/helpers/signer.ts'

/** What `receiveOverhead` receives: one member's hangar history, made on the member's own node. */
export interface HangarHistory {
  /** The org's founder, still open: every receiver takes the roster from it. */
  readonly leader: Replica
  readonly orgId: string
  readonly hangar: DocId
  /** The member's hangar changes, in the order its node made them. */
  readonly changes: Uint8Array[]
  /** Every entry the member's node held (the roster's among them). */
  readonly entries: SignedEntry[]
}

/**
 * A member admitted by invite who adds `ships` ships and then changes their status until
 * `changes` changes are made (one entry each); the member's node is closed after.
 */
export async function hangarHistory(changes: number, ships: number): Promise<HangarHistory> {
  const leader = await makeReplica(makeSigner())
  const member = await makeReplica(makeSigner())
  const org = await leader.org.createOrg({ name: 'Bench Org', tag: 'BNCH', handle: 'Bench_Lead' })
  const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
  const { request } = member.invites.joinRequest(token, 'Bench_Member')
  const admitted = await leader.invites.admit(request)
  if (!admitted.ok) throw new Error(admitted.reason)
  await member.store.receive(await everything(leader))
  const ids: string[] = []
  for (let i = 0; i < ships; i++)
    ids.push((await member.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI', cost: i })).id)
  const statuses = ['available', 'in-use', 'maintenance'] as const
  for (let i = ships; i < changes; i++)
    await member.fleet.updateShip(org.id, member.signer.memberKey, ids[i % ships] as string, {
      status: statuses[i % 3],
    })
  const all = await everything(member)
  const hangar = hangarId(org.id, member.signer.memberKey)
  const out = {
    leader,
    orgId: org.id,
    hangar,
    changes: await member.store.changes(hangar),
    entries: all.entries,
  }
  await member.close()
  return out
}
