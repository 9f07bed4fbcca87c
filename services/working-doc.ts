/**
 * The document a rule reads a change against: what the node holds (`ctx.doc`) with the
 * changes accepted earlier in the same batch (`ctx.prior`) applied. A change's deps are
 * always inside it.
 */
import * as A from '@automerge/automerge'
import type { ChangeContext } from '../crdt/index.ts'

/** `ctx.doc` with `ctx.prior` applied, kept between the calls of one batch. */
interface Working {
  readonly prior: readonly Uint8Array[]
  count: number
  last: Uint8Array | undefined
  doc: A.Doc<unknown>
}

/**
 * A memo, keyed by the document object a batch judges against: entry after entry of one
 * batch, `prior` only grows, so each call applies just the changes accepted since the
 * last one (rebuilding from scratch per entry is quadratic: ~3.4 s for 300 sign-ups).
 * Never changes a verdict: anything that does not match is rebuilt.
 */
const workingCache = new WeakMap<A.Doc<unknown>, Working>()

export function withPrior(ctx: Pick<ChangeContext, 'doc' | 'prior'>): A.Doc<unknown> {
  const { doc, prior } = ctx
  if (prior.length === 0) return doc
  let w = workingCache.get(doc)
  if (w === undefined || w.prior !== prior || w.count > prior.length || w.last !== prior[w.count - 1]) {
    w = { prior, count: 0, last: undefined, doc: A.clone(doc) }
    workingCache.set(doc, w)
  }
  if (w.count < prior.length) {
    ;[w.doc] = A.applyChanges(w.doc, prior.slice(w.count))
    w.count = prior.length
    w.last = prior[w.count - 1]
  }
  return w.doc
}

/**
 * The document change `i` of the context is read against: the working document plus the
 * entry's earlier changes (an entry usually covers one change).
 */
export function workingAt(ctx: ChangeContext, i: number): A.Doc<unknown> {
  const working = withPrior(ctx)
  if (i === 0) return working
  return A.applyChanges(A.clone(working), ctx.changeBytes.slice(0, i) as Uint8Array[])[0]
}
