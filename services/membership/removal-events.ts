/**
 * Removals and lost rights as the roster records them (rule 5): a change that sets
 * `mHead[T]` to a seq of T's chain, together with what it does to T: `kicked[T]` set or
 * `mRank[T]` deleted (a removal; a leave when T wrote it), `mRank[T]` set (a new rank),
 * or writes to the definition of T's rank (its level or permissions). The roster rules
 * require the head with each of these.
 */
import type { ChangeHash, MemberKey } from '../../crdt/index.ts'
import type { Container, OverlayOp, Scalar } from '../org/index.ts'
import type { DecodedChange } from './causal-fold.ts'

export interface RemovalEvent {
  /** The roster change that records it. */
  readonly change: ChangeHash
  readonly author: MemberKey
  readonly target: MemberKey
  /** The target's entries with a seq above this are judged with the reduced rights. */
  readonly cutoff: number
  /**
   * `removed` (kick or rank deleted), `left` (the member's own), or `rights`: the writes
   * (T's new rank, or its rank's new definition) T's later entries are judged under.
   */
  readonly effect:
    | { readonly kind: 'removed' | 'left' }
    | { readonly kind: 'rights'; readonly overlay: readonly OverlayOp[] }
}

type RawOp = { action: string; obj: string; key?: unknown; value?: unknown }

/** The events one roster change records (usually none). */
export function eventsOf(change: DecodedChange, containers: ReadonlyMap<string, Container>): RemovalEvent[] {
  const ops = change.ops as RawOp[]
  const field = (op: RawOp): string | null => {
    const c = containers.get(op.obj)
    return c?.kind === 'member' ? c.field : null
  }
  const overlayOf = (op: RawOp): OverlayOp | null => {
    const container = containers.get(op.obj)
    if (container === undefined || typeof op.key !== 'string') return null
    if (op.action !== 'set' && op.action !== 'del') return null
    return {
      container,
      key: op.key,
      action: op.action,
      value: op.action === 'set' ? (op.value as Scalar) : null,
    }
  }
  const rankWrites = ops
    .filter((op) => containers.get(op.obj)?.kind === 'rank')
    .map(overlayOf)
    .filter((o): o is OverlayOp => o !== null)
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
    else if (rank?.action === 'set') {
      const overlay = overlayOf(rank)
      if (overlay !== null) effect = { kind: 'rights', overlay: [overlay, ...rankWrites] }
    } else if (rankWrites.length > 0) effect = { kind: 'rights', overlay: rankWrites }
    if (effect !== null)
      out.push({ change: change.hash as ChangeHash, author, target, cutoff: op.value, effect })
  }
  return out
}
