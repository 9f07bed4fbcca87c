/** Builds members' nodes for the domain benchmarks: real stores, validator and services. */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Database,
  type DocId,
  DocumentStore,
  ed25519RawPublicKey,
  ed25519Sign,
  type MemberKey,
  type SignedEntry,
  type Signer,
  toHex,
} from '../crdt/index.ts'
import { DOMAIN_INDEXERS, domainServices, domainValidator, scopeOfDoc } from '../services/domain.ts'
import type { DomainValidator } from '../services/domain-validator.ts'
import { type FleetService, hangarId } from '../services/fleet/index.ts'
import type { LicenseService, TrustStore } from '../services/licensing/index.ts'
import type { InviteService } from '../services/org/invite-service.ts'
import type { OrgService } from '../services/org/org-service.ts'

export interface BenchNode {
  readonly signer: Signer
  readonly store: DocumentStore
  /** The store's validator (its `auth` index answers who is a member, for sync). */
  readonly validator: DomainValidator
  readonly org: OrgService
  readonly invites: InviteService
  readonly fleet: FleetService
  readonly licenses: LicenseService
  readonly close: () => Promise<void>
}

export async function benchNode(
  signer: Signer,
  options: { sync?: boolean; dir?: string; trust?: TrustStore } = {},
): Promise<BenchNode> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'vg-bench-node-')))
  const db = await Database.open(join(dir, 'db'), { create: true })
  const validator = domainValidator(() => store)
  const store: DocumentStore = new DocumentStore(
    { db, signer, validator, indexers: DOMAIN_INDEXERS, scopeOfDoc },
    { sync: options.sync ?? true },
  )
  await store.start()
  return {
    signer,
    store,
    validator,
    ...domainServices({ store, signer, validator, ...(options.trust ? { trust: options.trust } : {}) }),
    close: async () => {
      await store.stop()
      await db.close()
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Every entry and change a node holds. */
export async function everything(n: BenchNode): Promise<{ entries: SignedEntry[]; changes: Uint8Array[] }> {
  const entries: SignedEntry[] = []
  for (const scope of await n.store.chains.scopes())
    if (scope !== null)
      for (const author of await n.store.chains.authors(scope))
        for await (const e of n.store.chains.entries(scope, author)) entries.push(e)
  const changes: Uint8Array[] = []
  for (const id of await n.store.list()) changes.push(...(await n.store.changes(id)))
  return { entries, changes }
}

/** A member key of its own, signing with node:crypto. */
export function benchSigner(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519')
  return {
    memberKey: toHex(ed25519RawPublicKey(privateKey)) as MemberKey,
    sign: (d) => ed25519Sign(privateKey, d),
  }
}

/** What `receiveOverhead` receives: one member's hangar history, made on the member's own node. */
export interface HangarHistory {
  /** The org's founder, still open: every receiver takes the roster from it. */
  readonly leader: BenchNode
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
  const leader = await benchNode(benchSigner(), { sync: false })
  const member = await benchNode(benchSigner(), { sync: false })
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
