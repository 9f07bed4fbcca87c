/**
 * What a hangar change may write, op by op, judged on the hangar as it was at the
 * change's own dependencies (so every node reaches the same verdict): every op lands in
 * the hangar layout (ships → ship → loadouts → loadout → components → component), every
 * value is a scalar within HANGAR_LIMITS, and no collection grows past its bound
 * (ships per hangar, loadouts per ship, components per loadout: the keys visible at the
 * deps, plus what the change adds, minus what it removes).
 */
import * as A from '@automerge/automerge'
import type { DecodedChange, Verdict } from '../../crdt/index.ts'
import { isScalar } from '../change-limits.ts'
import type { Scalar } from '../org/index.ts'
import type { Backend } from '../working-doc.ts'
import {
  componentValueProblem,
  HANGAR_LIMITS,
  loadoutValueProblem,
  RECORD_ID,
  SLOT,
  shipValueProblem,
} from './hangar-limits.ts'
import { HANGAR_SCHEMA } from './hangar-schema.ts'

/** Where an object sits in a hangar. */
type Where =
  | { readonly kind: 'root' }
  | { readonly kind: 'ships' }
  | { readonly kind: 'ship'; readonly ship: string }
  | { readonly kind: 'loadouts'; readonly ship: string }
  | { readonly kind: 'loadout'; readonly ship: string; readonly loadout: string }
  | { readonly kind: 'components' }
  | { readonly kind: 'component' }

interface RawOp {
  readonly action: string
  readonly obj: string
  readonly key?: unknown
  readonly value?: unknown
  readonly datatype?: string
}

/** How many keys a collection may hold, by kind. */
const BOUND = {
  ships: { max: HANGAR_LIMITS.shipsPerHangar, what: 'ships in a hangar' },
  loadouts: { max: HANGAR_LIMITS.loadoutsPerShip, what: 'loadouts on a ship' },
  components: { max: HANGAR_LIMITS.componentsPerLoadout, what: 'components in a loadout' },
} as const

/** The longest text each field takes: a longer string is `oversize`, not just wrong. */
const TEXT_MAX: Readonly<Record<string, number>> = {
  model: HANGAR_LIMITS.model,
  manufacturer: HANGAR_LIMITS.manufacturer,
  name: Math.max(HANGAR_LIMITS.name, HANGAR_LIMITS.loadoutName),
  role: HANGAR_LIMITS.role,
  location: HANGAR_LIMITS.location,
  pledgeId: HANGAR_LIMITS.pledgeId,
  item: HANGAR_LIMITS.item,
}
const KEY_MAX = 64

const refuse = (reason: string): Verdict => ({ ok: false, reason, kind: 'rule' })
const oversize = (reason: string): Verdict => ({ ok: false, reason, kind: 'oversize' })

/**
 * Where objects sit, per hangar as held (an object's place is fixed when it is made, so
 * this is a fact about its id, whatever the heads): objects made by changes judged in a
 * batch are found here before they are in the held document.
 */
const places = new WeakMap<A.Doc<unknown>, Map<string, Where>>()

/**
 * Per hangar held with no history at all (a catch-up from nothing): every key any
 * collection has ever had, as added by changes judged against it. A change's deps are
 * all held or accepted, and every accepted change was judged here, so the keys visible
 * at any deps are among these: when they and the change's own fit the bound, no
 * Automerge read is needed (the bound cannot be passed). Absent for a hangar with
 * history: its past keys are known only to Automerge.
 */
const everAdded = new WeakMap<A.Doc<unknown>, Map<string, Set<string>> | null>()

/**
 * Judges one change to a hangar. `held`: the hangar as this node holds it; `working`:
 * the backend of the hangar with everything accepted before this change (built only when
 * the change grows a collection or names an object `held` does not place: most changes
 * set fields).
 */
export function judgeHangarShape(
  held: A.Doc<unknown>,
  working: () => Backend,
  change: DecodedChange,
): Verdict {
  let known = places.get(held)
  if (known === undefined) {
    known = new Map()
    places.set(held, known)
  }
  let added = everAdded.get(held)
  if (added === undefined) {
    added = A.getHeads(held).length === 0 ? new Map() : null
    everAdded.set(held, added)
  }
  const judge = new ShapeJudge(held, working, change, known, added)
  const verdict = judge.judge()
  if (verdict.ok) {
    if (judge.made !== null) for (const [id, at] of judge.made) known.set(id, at)
    if (added !== null && judge.growth !== null)
      for (const [obj, g] of judge.growth) addAll(added, obj, g.added)
  }
  return verdict
}

function addAll(into: Map<string, Set<string>>, obj: string, keys: ReadonlySet<string>): void {
  if (keys.size === 0) return
  let set = into.get(obj)
  if (set === undefined) {
    set = new Set()
    into.set(obj, set)
  }
  for (const k of keys) set.add(k)
}

class ShapeJudge {
  private readonly held: A.Doc<unknown>
  private readonly working: () => Backend
  private readonly known: Map<string, Where>
  /** See `everAdded`: null when the held hangar has history. */
  private readonly everAdded: ReadonlyMap<string, ReadonlySet<string>> | null
  private backendCache: Backend | undefined
  private readonly change: DecodedChange
  private depsCache: string[] | undefined
  // Built on first use: most changes set fields, making nothing and growing nothing.
  made: Map<string, Where> | null = null
  private located: Map<string, Where | null | undefined> | null = null
  /** Per collection object: keys added and removed by this change. */
  growth: Map<string, { kind: keyof typeof BOUND; added: Set<string>; removed: Set<string> }> | null = null

  constructor(
    held: A.Doc<unknown>,
    working: () => Backend,
    change: DecodedChange,
    known: Map<string, Where>,
    everAdded: ReadonlyMap<string, ReadonlySet<string>> | null,
  ) {
    this.held = held
    this.working = working
    this.known = known
    this.everAdded = everAdded
    this.change = change
  }

  private isMade(obj: string): boolean {
    return this.made?.has(obj) === true
  }

  /** The change's deps, as heads to read the working document at. */
  private get deps(): string[] {
    this.depsCache ??= [...this.change.deps]
    return this.depsCache
  }

  /** The working document's backend, built on first use. */
  private get backend(): Backend {
    this.backendCache ??= this.working()
    return this.backendCache
  }

  judge(): Verdict {
    const ops = this.change.ops
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as RawOp
      if (typeof op.key !== 'string') return refuse('hangar ops must address map keys')
      if (op.key.length > KEY_MAX) return oversize(`a hangar key is longer than ${KEY_MAX} characters`)
      const at = this.where(op.obj)
      if (at === undefined)
        return {
          ok: false,
          reason: 'op on an object this node does not hold',
          pending: true,
          kind: 'missing-dependency',
        }
      if (at === null) return refuse('op on an object outside the hangar layout')
      const verdict = this.op(at, op, i)
      if (verdict !== null) return verdict
    }
    if (this.growth !== null)
      for (const [obj, g] of this.growth) {
        if (g.added.size === 0) continue // only removals: it cannot grow
        const bound = BOUND[g.kind]
        if (this.atMost(obj, g.added) <= bound.max) continue
        const before = this.isMade(obj) ? 0 : this.visibleKeys(obj)
        let n = before
        for (const k of g.added) if (!this.visibleAtDeps(obj, k)) n++
        for (const k of g.removed) if (this.visibleAtDeps(obj, k) && !g.added.has(k)) n--
        if (n > bound.max && n > before) return oversize(`at most ${bound.max} ${bound.what}`)
      }
    return { ok: true }
  }

  /** Null when the op (the change's `i`th) fits the layout, else the refusal. */
  private op(at: Where, op: RawOp, i: number): Verdict | null {
    const key = op.key as string
    if (op.action === 'set') {
      if (!isScalar(op.value, op.datatype)) return refuse(`value of ${key} is not a plain scalar`)
      const problem = this.valueProblem(at, key, op.value as Scalar)
      if (problem === null) return null
      const max = TEXT_MAX[key]
      return typeof op.value === 'string' && max !== undefined && op.value.length > max
        ? oversize(problem)
        : refuse(problem)
    }
    if (op.action === 'makeMap') {
      const child = childOf(at, key)
      if (child === null) return refuse(`a map under ${key.slice(0, 40)} is not part of the hangar layout`)
      if (isCollection(at)) this.grow(op.obj, at.kind, key, 'added')
      else if (this.visibleAtDeps(op.obj, key)) return refuse(`${key} cannot be replaced`)
      this.made ??= new Map()
      this.made.set(`${this.change.startOp + i}@${this.change.actor}`, child)
      return null
    }
    if (op.action === 'del') {
      if (!isCollection(at)) return refuse(`${key.slice(0, 40)} cannot be deleted, only set`)
      this.grow(op.obj, at.kind, key, 'removed')
      return null
    }
    return refuse(`op ${op.action} is not allowed: fields are scalars and maps`)
  }

  private valueProblem(at: Where, key: string, v: Scalar): string | null {
    switch (at.kind) {
      case 'root':
        if (key === 'schema') return v === HANGAR_SCHEMA ? null : 'unknown hangar schema'
        if (key === 'org' || key === 'owner') return null // bound to the document id (hangar-rules.ts)
        return `${key.slice(0, 40)} is not a field of a hangar`
      case 'ship':
        if (key === 'id' && v !== at.ship) return 'a ship id must be its key'
        return shipValueProblem(key, v)
      case 'loadout':
        if (key === 'id' && v !== at.loadout) return 'a loadout id must be its key'
        return loadoutValueProblem(key, v)
      case 'component':
        return componentValueProblem(key, v)
      default:
        return `${at.kind} hold records, not values`
    }
  }

  private grow(obj: string, kind: keyof typeof BOUND, key: string, how: 'added' | 'removed'): void {
    this.growth ??= new Map()
    let g = this.growth.get(obj)
    if (g === undefined) {
      g = { kind, added: new Set(), removed: new Set() }
      this.growth.set(obj, g)
    }
    g[how].add(key)
  }

  /**
   * An upper bound on the keys `obj` has after this change, known without Automerge
   * (see `everAdded`); Infinity when the held hangar has history.
   */
  private atMost(obj: string, adding: ReadonlySet<string>): number {
    if (this.everAdded === null) return Number.POSITIVE_INFINITY
    if (this.isMade(obj)) return adding.size
    const ever = this.everAdded.get(obj)
    if (ever === undefined) return adding.size
    let n = ever.size
    for (const k of adding) if (!ever.has(k)) n++
    return n
  }

  private visibleKeys(obj: string): number {
    try {
      return this.backend.keys(obj, this.deps).length
    } catch {
      return 0
    }
  }

  private visibleAtDeps(obj: string, key: string): boolean {
    if (this.isMade(obj)) return false
    try {
      return this.backend.getAll(obj, key, this.deps).length > 0
    } catch {
      return false
    }
  }

  /**
   * Maps an object id to its place (null: outside the layout): the root, objects made
   * here or earlier in the batch, objects the held hangar has. A place is a fact about
   * the object's id, the same on every node that knows the object; a node that knows it
   * nowhere says `undefined` (the change waits, innocent, until the object arrives), so
   * every node that judges the change at all gives it the same verdict.
   */
  private where(obj: string): Where | null | undefined {
    if (obj === '_root') return { kind: 'root' }
    const made = this.made?.get(obj) ?? this.known.get(obj)
    if (made !== undefined) return made
    if (this.located?.has(obj)) return this.located.get(obj)
    // Not in the held hangar now (e.g. its ship was deleted since): where it was at the deps.
    const found = placeIn(A.getBackend(this.held), obj) ?? placeIn(this.backend, obj, this.deps)
    this.located ??= new Map()
    this.located.set(obj, found)
    if (found !== null && found !== undefined) this.known.set(obj, found)
    return found
  }
}

/**
 * The place of `obj` in a document (at `heads`): null outside the layout, undefined if
 * the document has no such object there.
 */
function placeIn(
  backend: ReturnType<typeof A.getBackend>,
  obj: string,
  heads?: string[],
): Where | null | undefined {
  let info: ReturnType<typeof backend.objInfo>
  try {
    info = backend.objInfo(obj, heads)
  } catch {
    return undefined
  }
  if (info.path === undefined) return undefined // not reachable from the root there
  return info.type === 'map' ? placeOf(info.path) : null
}

function isCollection(at: Where): at is Extract<Where, { kind: keyof typeof BOUND }> {
  return at.kind === 'ships' || at.kind === 'loadouts' || at.kind === 'components'
}

/** The place of a map made under `key` of a map at `at`, or null if the layout has none. */
function childOf(at: Where, key: string): Where | null {
  switch (at.kind) {
    case 'root':
      return key === 'ships' ? { kind: 'ships' } : null
    case 'ships':
      return RECORD_ID.test(key) ? { kind: 'ship', ship: key } : null
    case 'ship':
      return key === 'loadouts' ? { kind: 'loadouts', ship: at.ship } : null
    case 'loadouts':
      return RECORD_ID.test(key) ? { kind: 'loadout', ship: at.ship, loadout: key } : null
    case 'loadout':
      return key === 'components' ? { kind: 'components' } : null
    case 'components':
      return SLOT.test(key) ? { kind: 'component' } : null
    case 'component':
      return null
  }
}

/** The place of a map at `path` from the root, or null. */
function placeOf(path: readonly unknown[]): Where | null {
  let at: Where | null = { kind: 'root' }
  for (const key of path) {
    if (at === null || typeof key !== 'string') return null
    at = childOf(at, key)
  }
  return at
}
