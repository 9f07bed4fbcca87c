/**
 * Judging a batch of remote entries and the Automerge changes they cover, in three
 * stages: decode (batch-decode.ts), chain verification (batch-chains.ts) and judging
 * (batch-judge.ts). Pure with respect to storage: it reads chain heads and documents, and
 * returns what to store (the types: remote-batch.ts).
 *
 * An entry is accepted only if it decodes, belongs to the scope the batch is for
 * (`ReceiveDeps.scope`; the node-local chain never travels), its author is known to the
 * store's owner (`ReceiveDeps.knowsAuthor`), it continues its (scope, author) chain as
 * stored (hash link and seq), is vouched for by a valid signature (one per linked run), every change it lists
 * is in the batch (or already held), within the bounds (change-bounds.ts), made by an
 * actor of the entry's author (actor ids start with the member key), with all
 * dependencies present, and the validator allows it. A refused entry refuses every later
 * entry of the same chain in the batch: the chain must stay unbroken.
 *
 * Work follows trust: entries are decoded first (small, bounded); changes are only
 * hashed to match them to entries; a change's structure is read (its run lengths
 * summed, never expanded) and then decoded only once a verified entry of a known author
 * covers it; such a change in the canonical form is read once, by the decoder, which is
 * bounded by itself (change-decoder.ts). Changes no such entry covers are dropped unread.
 */
import type { ChangeHash } from '../ids.ts'
import { verifiedQueues } from './batch-chains.ts'
import { decodeBatch, type HeldChange } from './batch-decode.ts'
import { judgeQueues } from './batch-judge.ts'
import { type ReceiveDeps, type ReceiveResult, type RemoteBatch, refusals } from './remote-batch.ts'

export async function receiveBatch(batch: RemoteBatch, deps: ReceiveDeps): Promise<ReceiveResult> {
  const result: ReceiveResult = {
    byDoc: new Map(),
    entriesOnly: [],
    rejected: [],
    missing: [],
    forks: [],
    duplicates: 0,
    waiting: [],
    changeBytes: { get: (hash) => changes.get(hash)?.bytes },
    strangers: new Set(),
  }
  // Changes are only hashed here: nothing is read inside them until an entry covers them.
  const changes = new Map<ChangeHash, HeldChange>()
  const { refuse, refuseRest } = refusals(result)
  const byChain = decodeBatch(batch, deps, changes, refuse)
  if (byChain === null) return result
  const queues = await verifiedQueues(byChain, deps, result, refuse, refuseRest)
  await judgeQueues(queues, changes, deps, result, refuseRest)
  return result
}
