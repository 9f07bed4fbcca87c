/** Builds members' nodes for the domain benchmarks: real stores, validator and services. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database, DocumentStore, type SignedEntry, type Signer } from '../crdt/index.ts'
import { DOMAIN_INDEXERS, domainServices, domainValidator, scopeOfDoc } from '../services/domain.ts'
import type { DomainValidator } from '../services/domain-validator.ts'
import type { FleetService } from '../services/fleet/index.ts'
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
