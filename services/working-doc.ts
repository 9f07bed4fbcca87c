/**
 * The document a rule reads a change against: what the node holds (`ctx.doc`) with the
 * changes accepted earlier in the same batch (`ctx.prior`) applied. A change's deps are
 * always inside it.
 */
import * as A from '@automerge/automerge'
import type { ChangeContext } from '../crdt/index.ts'

/** Automerge's document backend: read with explicit heads (`keys`, `getAll`, `objInfo`). */
export type Backend = ReturnType<typeof A.getBackend>

interface WorkingBackend {
  readonly prior: readonly Uint8Array[]
  count: number
  last: Uint8Array | undefined
  backend: Backend
}

/**
 * A memo, keyed by the document object a batch judges against: entry after entry of one
 * batch, `prior` only grows, so each call applies just the changes accepted since the
 * last one (rebuilding from scratch per entry is quadratic: ~3.4 s for 300 sign-ups).
 * Never changes a verdict: anything that does not match is rebuilt.
 */
const backendCache = new WeakMap<A.Doc<unknown>, WorkingBackend>()

/**
 * `ctx.doc` with `ctx.prior` applied, as a backend alone: a fork of the document's
 * backend with the prior changes applied to it, never turned into a JS document (applying
 * one change at a time to a JS document rebuilds its objects each time: several times the
 * cost). Read it, never change it; with no prior changes it is the document's own backend.
 */
export function backendWithPrior(ctx: Pick<ChangeContext, 'doc' | 'prior'>): Backend {
  const { doc, prior } = ctx
  if (prior.length === 0) return A.getBackend(doc)
  let w = backendCache.get(doc)
  if (w === undefined || w.prior !== prior || w.count > prior.length || w.last !== prior[w.count - 1]) {
    // At the document's heads, as `A.clone` forks (a document value may be an older state).
    w = { prior, count: 0, last: undefined, backend: A.getBackend(doc).fork(undefined, A.getHeads(doc)) }
    backendCache.set(doc, w)
  }
  if (w.count < prior.length) {
    w.backend.applyChanges(prior.slice(w.count) as A.Change[])
    w.count = prior.length
    w.last = prior[w.count - 1]
  }
  return w.backend
}

/**
 * The backend change `i` of the context is read against: the working backend plus the
 * entry's earlier changes (an entry usually covers one change).
 */
export function workingBackendAt(ctx: ChangeContext, i: number): Backend {
  const working = backendWithPrior(ctx)
  if (i === 0) return working
  const own = working.fork(undefined, working.getHeads())
  own.applyChanges(ctx.changeBytes.slice(0, i) as A.Change[])
  return own
}
