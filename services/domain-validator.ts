/**
 * The node's rules for every document type, behind the crdt layer's `ChangeValidator`
 * seam. A roster change is judged on the authorization state at its own dependencies;
 * hangar and operation changes on the state at the roster heads their entry records.
 */
import type * as A from '@automerge/automerge'
import type { ChangeContext, ChangeHash, ChangeValidator, DocumentStore, Verdict } from '../crdt/index.ts'
import { changeSizeProblem } from './change-limits.ts'
import { validateHangar } from './fleet/index.ts'
import { validateLicenseDoc } from './licensing/index.ts'
import { MembershipResolver } from './membership/index.ts'
import { validateOperation } from './operations/index.ts'
import type { RosterDoc } from './org/index.ts'
import {
  AuthIndex,
  judgeRosterChange,
  judgeRosterCreate,
  ORG_ID,
  orgOfDoc,
  settingsShelf,
} from './org/index.ts'

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

  constructor(deps: DomainValidatorDeps) {
    this.auth = new AuthIndex({
      roster: deps.roster,
      ...(deps.store === undefined ? {} : { shelf: settingsShelf(deps.store) }),
    })
    this.membership =
      deps.store === undefined ? null : new MembershipResolver({ store: deps.store, auth: this.auth })
    if (this.membership !== null) this.auth.useMembership(this.membership)
  }

  /** Synchronous where it can be (hangars with a cached roster state): a catch-up judges thousands. */
  validate(ctx: ChangeContext): Verdict | Promise<Verdict> {
    // An entry belongs to the chain of its document's org: moved to another, it is refused
    // as an offence (an honest node never signs one).
    if (ctx.entry.scope !== orgOfDoc(ctx.docId))
      return { ok: false, reason: `${ctx.docId} belongs to another org than its entry`, kind: 'wrong-scope' }
    const size = changeSizeProblem(ctx)
    if (size !== null) return size
    const colon = ctx.docId.indexOf(':')
    const type = ctx.docId.slice(0, colon)
    const name = ctx.docId.slice(colon + 1)
    switch (type) {
      case 'org':
        return ORG_ID.test(name) ? this.roster(name, ctx) : refuse(`${ctx.docId} is not an org id`)
      case 'hangar':
        return validateHangar(ctx, this.auth)
      case 'op':
        return validateOperation(ctx, this.auth)
      case 'license':
        return validateLicenseDoc(ctx, this.auth)
      default:
        return refuse(`no rules accept ${type} documents`)
    }
  }

  private async roster(orgId: string, ctx: ChangeContext): Promise<Verdict> {
    const doc = ctx.doc as A.Doc<RosterDoc>
    for (const [i, change] of ctx.changes.entries()) {
      const hash = change.hash as ChangeHash
      const isFirst = change.deps.length === 0 && (doc.org === undefined || doc.org === null)
      if (isFirst) {
        const judged = judgeRosterCreate({
          orgId,
          author: ctx.entry.author,
          change,
          bytes: ctx.changeBytes[i] as Uint8Array,
        })
        if (!judged.ok) return judged
        this.auth.setContainers(orgId, judged.containers)
        this.auth.remember(orgId, [hash], judged.after)
        continue
      }
      const containers = await this.auth.containersOf(orgId, doc.org === undefined ? undefined : doc)
      const state = await this.auth.stateAt(orgId, change.deps as ChangeHash[])
      if (containers === null || state === null) {
        return { ok: false, reason: 'depends on roster changes this node does not hold', pending: true }
      }
      const judged = judgeRosterChange({
        author: ctx.entry.author,
        entry: ctx.entry,
        change,
        state,
        containers,
      })
      if (!judged.ok) return judged
      this.auth.remember(orgId, [hash], judged.after)
    }
    return { ok: true }
  }
}

function refuse(reason: string): Verdict {
  return { ok: false, reason }
}
