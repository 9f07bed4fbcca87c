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

/** Changes of the batch a working copy read only at deps takes ahead of need (see `backendForDeps`). */
const LOOKAHEAD = 64

interface DepsBackend {
  readonly prior: readonly Uint8Array[]
  /** `prior` changes known to be in `backend` (applied, or taken ahead). */
  count: number
  last: Uint8Array | undefined
  /** Changes applied ahead of need. */
  readonly ahead: Set<Uint8Array>
  readonly backend: Backend
}

/** Per document judged against, as `backendCache`. */
const depsCache = new WeakMap<A.Doc<unknown>, DepsBackend>()

/**
 * A backend that answers every read at a change's deps (explicit heads) exactly as
 * `backendWithPrior` does: it holds `ctx.doc` and `ctx.prior`, and perhaps also changes
 * later entries of the batch cover (`ctx.following`), applied ahead of need so that a
 * batch of entries that each need the working copy costs a few Automerge calls, not one
 * per entry (a call costs about as much as fifty changes applied in one). Reads at the
 * deps never see those: a change's deps and their ancestors are all held or accepted.
 * Never read it without explicit heads, never change it.
 */
export function backendForDeps(ctx: Pick<ChangeContext, 'doc' | 'prior' | 'following'>): Backend {
  const { doc, prior, following } = ctx
  if (prior.length === 0 || following === undefined) return backendWithPrior(ctx)
  let w = depsCache.get(doc)
  if (w === undefined || w.prior !== prior || w.count > prior.length || w.last !== prior[w.count - 1]) {
    const backend = A.getBackend(doc).fork(undefined, A.getHeads(doc))
    w = { prior, count: 0, last: undefined, ahead: new Set(), backend }
    depsCache.set(doc, w)
  }
  if (w.count < prior.length) {
    const ahead = w.ahead
    const missing = prior.slice(w.count).filter((c) => !ahead.has(c))
    if (missing.length > 0) {
      const early = following(LOOKAHEAD).filter((c) => !ahead.has(c))
      w.backend.applyChanges([...missing, ...early] as A.Change[])
      for (const c of early) ahead.add(c)
    }
    w.count = prior.length
    w.last = prior[w.count - 1]
  }
  return w.backend
}

/**
 * The backend change `i` of the context is read against, at its deps only (see
 * `backendForDeps`): the working backend plus the entry's earlier changes (an entry
 * usually covers one change).
 */
export function workingBackendAt(ctx: ChangeContext, i: number): Backend {
  const working = backendForDeps(ctx)
  if (i === 0) return working
  const own = working.fork(undefined, working.getHeads())
  own.applyChanges(ctx.changeBytes.slice(0, i) as A.Change[])
  return own
}
