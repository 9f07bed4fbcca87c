/**
 * A replica: one member's store (real LevelDB in a temp folder, or a memory storage for
 * tests of logic) with the real domain validator and services. Replicas exchange entries
 * and change bytes through `DocumentStore.receive`, the path the network uses. The
 * benchmarks build their members' stores here too (`makeReplica` needs no test runner).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import {
  type Clock,
  Database,
  DocumentStore,
  MemoryStorage,
  type ReceiveResult,
  type SignedEntry,
  type Signer,
  type WriteBudget,
} from '../../crdt/index.ts'
import { DOMAIN_INDEXERS, domainServices, domainValidator, scopeOfDoc } from '../../services/domain.ts'
import type { DomainValidator } from '../../services/domain-validator.ts'
import type { FleetService } from '../../services/fleet/index.ts'
import type { LicenseService, TrustStore } from '../../services/licensing/index.ts'
import type { OperationsService } from '../../services/operations/index.ts'
import type { AdmitAnswer, InviteService } from '../../services/org/invite-service.ts'
import type { OrgService } from '../../services/org/org-service.ts'
import { acceptAll } from './accept-all.ts'
import { issueLicense, TEST_TRUST } from './license.ts'
import { makeSigner } from './signer.ts'

export interface Replica {
  readonly signer: Signer
  readonly store: DocumentStore
  readonly validator: DomainValidator
  readonly org: OrgService
  readonly invites: InviteService
  readonly fleet: FleetService
  readonly ops: OperationsService
  readonly licenses: LicenseService
  readonly close: () => Promise<void>
}

/** Where a replica keeps its data: LevelDB in a temp folder (default), or a memory storage. */
export type ReplicaStorage = 'level' | 'memory'

/**
 * `dir`: reopen a replica kept there (not removed on close). `storage`: `memory` keeps it
 * on a new memory storage, or on `memory` given (a replica reopened on what it held).
 * `clock`: the time its store and services read (change times, invite expiry, licenses;
 * default the system clock).
 * `lawless`: the replica's own store accepts anything, like modified software would;
 * what it writes must still be refused by honest replicas. `budget`: what it takes from
 * each author (default: no bound). `sync`: fsync every write (default off). `trust`:
 * issuer keys (default the test issuer's).
 */
export async function makeReplica(
  signer: Signer = makeSigner(),
  options: {
    lawless?: boolean
    clock?: Clock
    dir?: string
    storage?: ReplicaStorage
    memory?: MemoryStorage
    budget?: WriteBudget
    sync?: boolean
    trust?: TrustStore
  } = {},
): Promise<Replica> {
  const inMemory = options.storage === 'memory' || options.memory !== undefined
  if (inMemory && options.dir !== undefined) throw new Error('a replica in memory has no dir')
  const dir = inMemory ? null : (options.dir ?? (await mkdtemp(join(tmpdir(), 'vg-replica-'))))
  const db =
    dir === null
      ? await Database.memory(options.memory ?? new MemoryStorage())
      : await Database.open(join(dir, 'db'), { create: true })
  const validator = domainValidator(() => store)
  const store: DocumentStore = new DocumentStore(
    {
      db,
      signer,
      validator: options.lawless ? acceptAll : validator,
      indexers: DOMAIN_INDEXERS,
      scopeOfDoc,
      ...(options.budget === undefined ? {} : { budget: options.budget }),
    },
    { sync: options.sync ?? false, ...(options.clock === undefined ? {} : { clock: options.clock }) },
  )
  await store.start()
  const { org, invites, fleet, ops, licenses } = domainServices({
    store,
    signer,
    validator,
    trust: options.trust ?? TEST_TRUST,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
  return {
    signer,
    store,
    validator,
    org,
    invites,
    fleet,
    ops,
    licenses,
    close: async () => {
      await store.stop()
      await db.close()
      if (dir !== null && options.dir === undefined) await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Everything a replica holds that it may share: every org's chains (never the node-local
 * one) and every document's changes; or only those of the org `org`.
 */
export async function everything(
  r: Pick<Replica, 'store'>,
  org?: string,
): Promise<{ entries: SignedEntry[]; changes: Uint8Array[] }> {
  const entries: SignedEntry[] = []
  for (const scope of await r.store.chains.scopes()) {
    if (scope === null || (org !== undefined && scope !== org)) continue
    for (const author of await r.store.chains.authors(scope))
      for await (const e of r.store.chains.entries(scope, author)) entries.push(e)
  }
  const changes: Uint8Array[] = []
  for (const docId of await r.store.list())
    if (org === undefined || scopeOfDoc(docId) === org) changes.push(...(await r.store.changes(docId)))
  return { entries, changes }
}

/** Sends all of `from` (or only org `org`'s) to `to` through the receive path. */
export async function sync(from: Replica, to: Replica, org?: string): Promise<ReceiveResult> {
  return to.store.receive(await everything(from, org), org === undefined ? {} : { scope: org })
}

/**
 * `who` asks `admitter` to admit it with `token` (what the admission protocol carries);
 * once admitted, it receives everything `admitter` holds, as the fetch that follows does.
 */
export async function admitVia(
  admitter: Replica,
  who: Replica,
  token: string,
  handle: string,
): Promise<AdmitAnswer> {
  const { invite, request } = who.invites.joinRequest(token, handle)
  const answer = await admitter.invites.admit(request, { member: who.signer.memberKey, org: invite.orgId })
  if (answer.ok) await sync(admitter, who, invite.orgId)
  return answer
}

/** Brings `who` into the org at `rank`: an invite from `leader`, who admits it. */
export async function enlist(
  leader: Replica,
  orgId: string,
  who: Replica,
  rank: string,
  handle: string,
): Promise<void> {
  const { token } = await leader.invites.createInvite(orgId, { rank })
  const answer = await admitVia(leader, who, token, handle)
  if (!answer.ok) throw new Error(`the newcomer was not admitted: ${answer.reason}`)
}

/**
 * Replicas for one test file, each closed after its test. Call at module level.
 * `storage`: `memory` for tests of logic (default LevelDB in temp folders). The function
 * it returns takes `true` for a lawless replica, or `{ lawless, clock }`.
 */
export function useReplicas(
  defaults: { storage?: ReplicaStorage } = {},
): (options?: boolean | { lawless?: boolean; clock?: Clock }) => Promise<Replica> {
  const open: Replica[] = []
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close()
  })
  return async (options = false) => {
    const r = await makeReplica(makeSigner(), {
      ...defaults,
      ...(typeof options === 'boolean' ? { lawless: options } : options),
    })
    open.push(r)
    return r
  }
}

/** Installs a test-issuer license of `tier` in an org the replica holds (its founder's node). */
export async function licenseOrg(
  r: Replica,
  orgId: string,
  tier: 'pro' | 'enterprise' = 'pro',
): Promise<void> {
  const org = await r.org.getOrg(orgId)
  await r.licenses.install(orgId, issueLicense({ id: org.id, owner: org.owner }, tier))
}
