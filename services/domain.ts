/**
 * The domain as one unit: the validator and indexers a document store needs, and the
 * services built on it. `node/`, the tests and the benchmarks all build it here, so
 * they cannot drift apart.
 */
import type * as A from '@automerge/automerge'
import {
  type Clock,
  type Database,
  DocumentStore,
  type DocumentStoreInit,
  type Logger,
  parseDocId,
  type Signer,
  systemClock,
  WriteBudget,
} from '../crdt/index.ts'
import { AuditService } from './audit/index.ts'
import { orgOfDoc } from './document-types.ts'
import { DomainValidator } from './domain-validator.ts'
import { FleetService } from './fleet/index.ts'
import { LicenseService, TrustStore } from './licensing/index.ts'
import { OperationsService } from './operations/index.ts'
import type { RosterDoc } from './org/index.ts'
import { InviteService, OrgService } from './org/index.ts'

/** The scope of a document's chain entries in every store of a Verse Guy node: its org. */
export const scopeOfDoc = orgOfDoc

/** Indexers every store of a Verse Guy node keeps: those the document types register. */
import { DOMAIN_INDEXERS } from './document-types.ts'

export { DOMAIN_INDEXERS }

/**
 * A Verse Guy node's document store over `db` (the node's own, or a join's staging area):
 * the domain's validator reading rosters from this store, every document type's indexer,
 * chain entries scoped by org, a write budget.
 */
export function domainStore(
  c: { readonly db: Database; readonly signer: Signer; readonly log?: Logger | undefined },
  init: DocumentStoreInit,
): { store: DocumentStore; validator: DomainValidator } {
  const validator = domainValidator(() => store)
  const store: DocumentStore = new DocumentStore(
    {
      db: c.db,
      signer: c.signer,
      validator,
      indexers: DOMAIN_INDEXERS,
      scopeOfDoc,
      budget: new WriteBudget(),
      ...(c.log === undefined ? {} : { log: c.log }),
    },
    init,
  )
  return { store, validator }
}

/**
 * The validator for a store, reading rosters from that store once it exists (the store
 * needs the validator first; `store()` is called only when changes are judged).
 */
export function domainValidator(store: () => DocumentStore): DomainValidator {
  return new DomainValidator({
    store,
    roster: async (orgId): Promise<A.Doc<RosterDoc> | null> => {
      const id = parseDocId(`org:${orgId}`)
      const s = store()
      return (await s.has(id)) ? s.get<RosterDoc>(id) : null
    },
  })
}

export interface DomainServices {
  readonly org: OrgService
  readonly invites: InviteService
  readonly fleet: FleetService
  readonly ops: OperationsService
  readonly licenses: LicenseService
  readonly audit: AuditService
}

/**
 * `trust`: issuer keys licenses are verified against (default: the shipped trust store).
 * `clock`: the time every service reads (invite expiry, license validity, times
 * recorded); default `systemClock`, tests move a `ManualClock`.
 */
export function domainServices(c: {
  store: DocumentStore
  signer: Signer
  validator: DomainValidator
  trust?: TrustStore
  clock?: Clock
}): DomainServices {
  const clock = c.clock ?? systemClock
  const base = { store: c.store, signer: c.signer, auth: c.validator.auth }
  const licenses = new LicenseService({
    ...base,
    trust: c.trust ?? TrustStore.withDefaults(),
    wall: () => clock.now(),
  })
  const fleet = new FleetService({ ...base, clock })
  const org = new OrgService({ ...base, gate: licenses, clock, ships: fleet })
  return {
    org,
    invites: new InviteService({ ...base, gate: licenses, clock }),
    fleet,
    ops: new OperationsService({ ...base, now: () => clock.now() }),
    licenses,
    audit: new AuditService({
      chains: c.store.chains,
      self: c.signer.memberKey,
      state: (id) => org.currentState(id),
      gate: licenses,
    }),
  }
}
