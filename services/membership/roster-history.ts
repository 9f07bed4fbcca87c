/**
 * An org's roster history as the membership resolver reads it: every change decoded in
 * causal order (extended change by change as the roster grows, never re-decoded), the
 * removals it records, and walks of its change graph.
 */
import * as A from '@automerge/automerge'
import type { ChangeHash, Entry } from '../../crdt/index.ts'
import type { Container, RosterDoc } from '../org/index.ts'
import { AuthState, type Scalar, type StateOp } from '../org/index.ts'
import { causalOrder, type DecodedChange, opId } from './causal-fold.ts'
import { eventsOf, type RemovalEvent } from './removal-events.ts'

export interface RosterHistory {
  readonly doc: A.Doc<RosterDoc>
  readonly order: readonly DecodedChange[]
  readonly byHash: ReadonlyMap<string, DecodedChange>
  /** In causal order. */
  readonly events: readonly RemovalEvent[]
  readonly containers: ReadonlyMap<string, Container>
}

/** The history of `doc`, extending `previous` (an earlier state of the same roster) when given. */
export function rosterHistory(
  doc: A.Doc<RosterDoc>,
  containers: ReadonlyMap<string, Container>,
  previous?: RosterHistory,
): RosterHistory {
  const fresh = previous === undefined || !A.hasHeads(doc, A.getHeads(previous.doc))
  const bytes = fresh ? A.getAllChanges(doc) : A.getChanges(previous.doc, doc)
  const added = causalOrder(bytes.map((c) => A.decodeChange(c)))
  const order = fresh ? added : [...previous.order, ...added]
  const byHash = fresh ? new Map<string, DecodedChange>() : new Map(previous.byHash)
  for (const c of added) byHash.set(c.hash as string, c)
  const events = fresh ? [] : [...previous.events]
  for (const c of added) events.push(...eventsOf(c, containers))
  return { doc, order, byHash, events, containers }
}

/** Every change in the causal past of `heads`, the heads included. */
export function ancestors(heads: readonly string[], byHash: ReadonlyMap<string, DecodedChange>): Set<string> {
  const seen = new Set<string>()
  const stack = [...heads]
  while (stack.length > 0) {
    const h = stack.pop() as string
    if (seen.has(h)) continue
    seen.add(h)
    for (const d of byHash.get(h)?.deps ?? []) stack.push(d)
  }
  return seen
}

/** Whether `target` is one of `heads` or in their causal past. */
export function descends(
  heads: readonly string[],
  target: string,
  byHash: ReadonlyMap<string, DecodedChange>,
): boolean {
  const seen = new Set<string>()
  const stack = [...heads]
  while (stack.length > 0) {
    const h = stack.pop() as string
    if (h === target) return true
    if (seen.has(h)) continue
    seen.add(h)
    for (const d of byHash.get(h)?.deps ?? []) stack.push(d)
  }
  return false
}

/** The roster heads a roster entry was made at: its changes' deps outside the entry. */
export function claimedDeps(entry: Entry, byHash: ReadonlyMap<string, DecodedChange>): string[] {
  const own = new Set<string>(entry.changes)
  const out = new Set<string>()
  for (const h of entry.changes) for (const d of byHash.get(h)?.deps ?? []) if (!own.has(d)) out.add(d)
  return [...out].sort()
}

/**
 * The authorization state folded over the roster's changes (those in `scope`, or all)
 * without the masked ones: Automerge's register semantics, as AuthState applies them.
 */
export function foldState(
  history: RosterHistory,
  masked: ReadonlySet<string>,
  scope: ReadonlySet<string> | null,
): AuthState {
  const ops: StateOp[] = []
  for (const change of history.order) {
    const hash = change.hash as ChangeHash
    if (masked.has(hash) || (scope !== null && !scope.has(hash))) continue
    for (const [i, raw] of change.ops.entries()) {
      const op = raw as { action: string; obj: string; key?: unknown; value?: unknown; pred?: string[] }
      const container = history.containers.get(op.obj)
      if (container === undefined || typeof op.key !== 'string') continue
      if (op.action !== 'set' && op.action !== 'del') continue
      ops.push({
        id: opId(change, i),
        container,
        key: op.key,
        action: op.action,
        value: op.action === 'set' ? (op.value as Scalar) : null,
        pred: op.pred ?? [],
      })
    }
  }
  return AuthState.empty().apply(ops)
}
