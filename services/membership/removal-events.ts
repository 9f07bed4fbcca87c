/**
 * Removals and rank changes as the roster records them (rule 5): a change that sets
 * `mHead[T]` to a seq of T's chain, together with what it does to T (`kicked[T]` set or
 * `mRank[T]` deleted: a removal; `mRank[T]` set: a new rank). The roster rules require
 * the head with every removal, leave and re-ranking of a member.
 */
import type { ChangeHash, MemberKey } from '../../crdt/index.ts'
import type { Container } from '../org/roster-schema.ts'
import type { DecodedChange } from './causal-fold.ts'

export interface RemovalEvent {
  /** The roster change that records it. */
  readonly change: ChangeHash
  readonly author: MemberKey
  readonly target: MemberKey
  /** The target's entries with a seq above this are judged with the reduced rights. */
  readonly cutoff: number
  /** `removed` (kick or rank deleted), `left` (the member's own), or the new rank id. */
  readonly effect: { readonly kind: 'removed' | 'left' } | { readonly kind: 'rank'; readonly rank: string }
}

type RawOp = { action: string; obj: string; key?: unknown; value?: unknown }

/** The events one roster change records (usually none). */
export function eventsOf(change: DecodedChange, containers: ReadonlyMap<string, Container>): RemovalEvent[] {
  const field = (op: RawOp): string | null => {
    const c = containers.get(op.obj)
    return c?.kind === 'member' ? c.field : null
  }
  const ops = change.ops as RawOp[]
  const author = change.actor.slice(0, 64) as MemberKey
  const out: RemovalEvent[] = []
  for (const op of ops) {
    if (field(op) !== 'mHead' || op.action !== 'set' || typeof op.key !== 'string') continue
    if (typeof op.value !== 'number' || !Number.isSafeInteger(op.value)) continue
    const target = op.key as MemberKey
    const on = (f: string) => ops.find((o) => o.key === target && field(o) === f)
    const kicked = on('kicked')
    const rank = on('mRank')
    let effect: RemovalEvent['effect'] | null = null
    if (kicked?.action === 'set' || rank?.action === 'del')
      effect = { kind: target === author ? 'left' : 'removed' }
    else if (rank?.action === 'set' && typeof rank.value === 'string')
      effect = { kind: 'rank', rank: rank.value }
    if (effect !== null)
      out.push({ change: change.hash as ChangeHash, author, target, cutoff: op.value, effect })
  }
  return out
}
