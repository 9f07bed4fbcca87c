/**
 * What honest replicas make of what others send: refusal kinds given by the rules, and
 * receipts through the sync source the network uses (offences counted as the mesh does).
 */
import { packEntry, type RefusalKind, type Verdict } from '../../crdt/index.ts'
import { StoreSyncSource } from '../../services/mesh/store-sync-source.ts'
import { everything, type Replica } from './replica.ts'

/** Records the kind of every refusal the replica's rules give. */
export function spyKinds(r: Replica): RefusalKind[] {
  const kinds: RefusalKind[] = []
  const judge = r.validator.validate.bind(r.validator)
  const note = (v: Verdict) => {
    if (!v.ok && !v.pending) kinds.push(v.kind ?? 'rule')
    return v
  }
  r.validator.validate = (ctx) => {
    const v = judge(ctx)
    return v instanceof Promise ? v.then(note) : note(v)
  }
  return kinds
}

/** What `to` makes of everything `from` holds, through the sync source the network uses. */
export async function deliver(from: Replica, to: Replica, org: string) {
  const source = new StoreSyncSource({ store: to.store, auth: to.validator.auth })
  const all = await everything(from)
  return source.receive(org, { entries: all.entries.map((e) => packEntry(e)), changes: all.changes })
}
