/**
 * A document's state as a function of a set of its changes, some of them masked (rule 5):
 * the same fold Automerge does for maps of scalars, over the changes in causal order,
 * skipping the masked ones. Every key is a register of the op ids visible for it (an op
 * removes its `pred`, then adds itself); the winner among concurrent ops is the highest
 * op id, as in Automerge. So a masked op that overwrote an honest value leaves the honest
 * one visible, an honest op that overwrote a masked one wins as usual, and an object made
 * by a masked change (with everything under it) is absent. Documents here hold only maps
 * and scalars (the rules refuse text and lists), which is all the fold needs.
 */
import * as A from '@automerge/automerge'
import { compareOpIds, type Scalar } from '../org/index.ts'

export type DecodedChange = A.DecodedChange

/** A value in a register: a scalar, or the id of a map made by the op. */
type Slot = { readonly scalar: Scalar } | { readonly map: string }
type Register = Map<string, Slot>

/** A document's changes decoded, in causal order (every change after its deps). */
export function causalOrder(changes: readonly DecodedChange[]): DecodedChange[] {
  const byHash = new Map(changes.map((c) => [c.hash as string, c]))
  const done = new Set<string>()
  const out: DecodedChange[] = []
  // Iterative depth-first walk: rosters can hold thousands of changes in one line.
  for (const root of changes) {
    const stack: [DecodedChange, number][] = [[root, 0]]
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [DecodedChange, number]
      const [change, i] = top
      if (done.has(change.hash as string)) {
        stack.pop()
        continue
      }
      if (i < change.deps.length) {
        top[1] = i + 1
        const dep = byHash.get(change.deps[i] as string)
        if (dep !== undefined && !done.has(dep.hash as string)) stack.push([dep, 0])
        continue
      }
      done.add(change.hash as string)
      out.push(change)
      stack.pop()
    }
  }
  return out
}

/** Decodes every change of a document, in causal order. */
export function decodeAll(doc: A.Doc<unknown>): DecodedChange[] {
  return causalOrder(A.getAllChanges(doc).map((c) => A.decodeChange(c)))
}

/** The op id of a change's `i`th op. */
export function opId(change: DecodedChange, i: number): string {
  return `${change.startOp + i}@${change.actor}`
}

/** The document's visible tree over `order` without the changes in `masked`. */
export function foldChanges(
  order: readonly DecodedChange[],
  masked: ReadonlySet<string>,
): Record<string, unknown> {
  const objects = new Map<string, Map<string, Register>>()
  for (const change of order) {
    if (masked.has(change.hash as string)) continue
    for (const [i, raw] of change.ops.entries()) {
      const op = raw as { action: string; obj: string; key?: unknown; value?: unknown; pred?: string[] }
      if (typeof op.key !== 'string') continue
      let object = objects.get(op.obj)
      if (object === undefined) {
        object = new Map()
        objects.set(op.obj, object)
      }
      const reg: Register = object.get(op.key) ?? new Map()
      for (const p of op.pred ?? []) reg.delete(p)
      const id = opId(change, i)
      if (op.action === 'set') reg.set(id, { scalar: toScalar(op.value) })
      else if (op.action === 'makeMap') reg.set(id, { map: id })
      if (reg.size === 0) object.delete(op.key)
      else object.set(op.key, reg)
    }
  }
  return materialize(objects, '_root')
}

function materialize(
  objects: ReadonlyMap<string, Map<string, Register>>,
  objId: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, reg] of objects.get(objId) ?? []) {
    let best: string | null = null
    for (const id of reg.keys()) if (best === null || compareOpIds(id, best) > 0) best = id
    const slot = reg.get(best as string) as Slot
    out[key] = 'map' in slot ? materialize(objects, slot.map) : slot.scalar
  }
  return out
}

function toScalar(v: unknown): Scalar {
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v
  if (typeof v === 'bigint') return Number(v)
  return null
}
