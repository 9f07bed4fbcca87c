/**
 * The node's rules for every document type, behind the crdt layer's `ChangeValidator`
 * seam: the bounds every change must keep, then the rules of the document's type as
 * registered in document-types.ts. A roster change is judged on the authorization state
 * at its own dependencies; hangar and operation changes on the state at the roster heads
 * their entry records.
 */
import type * as A from '@automerge/automerge'
import type { ChangeContext, ChangeValidator, DocumentStore, Verdict } from '../crdt/index.ts'
import { changeSizeProblem } from './change-limits.ts'
import type { DocumentTypeDeps } from './document-type.ts'
import { documentTypeOf, orgOfDoc } from './document-types.ts'
import { MembershipResolver } from './membership/index.ts'
import type { RosterDoc } from './org/index.ts'
import { AuthIndex, settingsShelf } from './org/index.ts'

export interface DomainValidatorDeps {
  /** The roster of an org as this node holds it, or null. */
  readonly roster: (orgId: string) => Promise<A.Doc<RosterDoc> | null>
  /** The store judged for: with it, the services' views hold removals (rule 5). */
  readonly store?: () => DocumentStore
}

export class DomainValidator implements ChangeValidator {
  readonly auth: AuthIndex

  /** Removals that hold (rule 5): what the services' views read. */
  readonly membership: MembershipResolver | null

  /** What every type's rules read (document-types.ts). */
  private readonly deps: DocumentTypeDeps

  constructor(deps: DomainValidatorDeps) {
    this.auth = new AuthIndex({
      roster: deps.roster,
      ...(deps.store === undefined ? {} : { shelf: settingsShelf(deps.store) }),
    })
    this.membership =
      deps.store === undefined ? null : new MembershipResolver({ store: deps.store, auth: this.auth })
    if (this.membership !== null) this.auth.useMembership(this.membership)
    this.deps = { auth: this.auth }
  }

  /** Synchronous where it can be (hangars with a cached roster state): a catch-up judges thousands. */
  validate(ctx: ChangeContext): Verdict | Promise<Verdict> {
    // An entry belongs to the chain of its document's org: moved to another, it is refused
    // as an offence (an honest node never signs one).
    if (ctx.entry.scope !== orgOfDoc(ctx.docId))
      return { ok: false, reason: `${ctx.docId} belongs to another org than its entry`, kind: 'wrong-scope' }
    const size = changeSizeProblem(ctx)
    if (size !== null) return size
    const type = documentTypeOf(ctx.docId)
    if (type === null)
      return refuse(`no rules accept ${ctx.docId.slice(0, ctx.docId.indexOf(':'))} documents`)
    return type.validate(ctx, this.deps)
  }
}

function refuse(reason: string): Verdict {
  return { ok: false, reason }
}
