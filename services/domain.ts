/**
 * The domain as one unit: the validator and indexers a document store needs, and the
 * services built on it. `node/`, the tests and the benchmarks all build it here, so
 * they cannot drift apart.
 */
import type * as A from '@automerge/automerge'
import { type Clock, type DocumentStore, parseDocId, type Signer, systemClock } from '../crdt/index.ts'
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
export { DOMAIN_INDEXERS } from './document-types.ts'

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
