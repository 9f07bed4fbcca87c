/**
 * The first stage of receiving a batch (receive-batch.ts): its form and size checked, its
 * changes only hashed (nothing is read inside them until a verified entry covers them),
 * its entries decoded (small, bounded) and grouped by chain.
 */
import type { Entry } from '../chain/entry.ts'
import { decodeEntry } from '../chain/entry-decode.ts'
import type { ChangeHash } from '../ids.ts'
import { type BoundsProblem, type ChangeOutline, changeChunkHash } from './change-bounds.ts'
import { BATCH_LIMITS, chainOf, type ReceiveDeps, type Refuse, type RemoteBatch } from './remote-batch.ts'

/** A change of the batch, by its hash. */
export interface HeldChange {
  readonly bytes: Uint8Array
  /** Its chunk hash (`changeChunkHash`), taken when the batch came in. */
  readonly hash: ChangeHash
  /** Read once a verified entry covers the change. */
  outline?: ChangeOutline | BoundsProblem
  /** The document (its view) that accepted the change in this batch, once one has. */
  acceptedIn?: object
  /** Any other documents that did (the same bytes, covered again for another document). */
  alsoIn?: Set<object>
}

/** Whether the document `s` accepted `c` in this batch. */
export function acceptedBy(c: HeldChange | undefined, s: object): boolean {
  return c !== undefined && (c.acceptedIn === s || (c.alsoIn?.has(s) ?? false))
}

/**
 * Checks the batch's form and size, hashes its changes into `changes` and decodes its
 * entries, grouped by chain (`chainOf`); null when the whole batch is refused. Entries
 * that do not decode, or of another scope, are refused here at no further cost.
 */
export function decodeBatch(
  batch: RemoteBatch,
  deps: ReceiveDeps,
  changes: Map<ChangeHash, HeldChange>,
  refuse: Refuse,
): Map<string, Entry[]> | null {
  if (
    typeof batch !== 'object' ||
    batch === null ||
    !Array.isArray(batch.entries) ||
    !Array.isArray(batch.changes)
  ) {
    refuse(null, 'malformed batch', 'malformed')
    return null
  }
  if (batch.entries.length > BATCH_LIMITS.maxEntries || batch.changes.length > BATCH_LIMITS.maxChanges) {
    refuse(null, 'batch too large', 'oversize')
    return null
  }

  for (const bytes of batch.changes) {
    const hash = bytes instanceof Uint8Array ? changeChunkHash(bytes) : null
    if (hash === null || typeof hash !== 'string') {
      refuse(null, `change refused: ${hash?.reason ?? 'not bytes'}`, hash?.kind ?? 'malformed')
      continue
    }
    changes.set(hash as ChangeHash, { bytes, hash: hash as ChangeHash })
  }
  /** Entries by chain (`chainOf`). */
  const byChain = new Map<string, Entry[]>()
  /** The list of the last entry's chain: a batch sends a chain's entries together. */
  let last: Entry[] | null = null
  for (const signed of batch.entries) {
    const d = decodeEntry(signed)
    if (!d.ok) {
      refuse(null, `undecodable entry: ${d.reason}`, 'malformed')
      continue
    }
    const { scope } = d.entry
    if (scope === null || (deps.scope !== undefined && scope !== deps.scope)) {
      // Costs nothing: refused before its signature is checked or a change it covers is read.
      refuse(
        d.entry,
        scope === null ? 'a node-local entry never travels' : 'an entry of another org',
        'wrong-scope',
      )
      continue
    }
    const prior = last?.[0]
    if (last !== null && prior?.author === d.entry.author && prior.scope === scope) {
      last.push(d.entry)
      continue
    }
    const chain = chainOf(d.entry)
    let list = byChain.get(chain)
    if (list === undefined) {
      list = []
      byChain.set(chain, list)
    }
    list.push(d.entry)
    last = list
  }
  return byChain
}
