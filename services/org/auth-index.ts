/**
 * The authorization state of an org at given roster heads: a cached lookup, never a
 * replay. A change with one parent gets its state from the parent's (cached when the
 * parent was judged) plus its own ops; anything else is read once from a historical
 * view of the roster and cached. Where removals mask changes (rule 5), that read is the
 * membership resolver's, without them: changes are judged on the rights removals left.
 */
import * as A from '@automerge/automerge'
import type { ChangeHash, JsonValue } from '../../crdt/index.ts'
import { type AuthStateShelf, decodeState, encodeHeads, encodeState, headsMatch } from './auth-snapshot.ts'
import { AuthState } from './auth-state.ts'
import type { Membership } from './membership.ts'
import { type Container, containerIndex, type RosterDoc } from './roster-schema.ts'

const CACHE_LIMIT = 4096

export interface AuthIndexDeps {
  /** The roster document as this node holds it, or null. */
  readonly roster: (orgId: string) => Promise<A.Doc<RosterDoc> | null>
  /** Where states are saved between starts (auth-snapshot.ts); none: always read from the roster. */
  readonly shelf?: AuthStateShelf
}

export class AuthIndex {
  private readonly deps: AuthIndexDeps
  private readonly states = new Map<string, AuthState>()
  /** The last state `cached` found, for heads that cannot change (frozen); forgotten when `states` changes. */
  private lastHit: { orgId: string; heads: readonly ChangeHash[]; state: AuthState } | null = null
  private readonly containers = new Map<string, Map<string, Container>>()
  /** Removals that hold (rule 5), once the domain has wired them; null reads Automerge's views. */
  private resolver: Membership | null = null
  /** What each org's saved state is for (read once), or null once it was read back or saved over. */
  private readonly shelved = new Map<string, JsonValue | null>()

  constructor(deps: AuthIndexDeps) {
    this.deps = deps
  }

  get membership(): Membership | null {
    return this.resolver
  }

  useMembership(membership: Membership): void {
    this.resolver = membership
  }

  /**
   * The org's current state as views and decisions read it: without the changes of
   * members past their recorded heads (rule 5). Null when the roster is not held.
   */
  async current(orgId: string): Promise<AuthState | null> {
    if (this.resolver !== null) return this.resolver.current(orgId)
    const doc = await this.deps.roster(orgId)
    return doc === null ? null : this.stateAt(orgId, A.getHeads(doc) as ChangeHash[])
  }

  /** The state at `heads` if it is cached (a lookup, no waiting). */
  cached(orgId: string, heads: readonly ChangeHash[]): AuthState | undefined {
    if (heads.length === 0) return AuthState.empty()
    // A catch-up asks for the same frozen heads (decoded entries share them) entry after entry.
    const last = this.lastHit
    if (last !== null && last.heads === heads && last.orgId === orgId) return last.state
    const state = this.states.get(cacheKey(orgId, heads))
    if (state !== undefined && Object.isFrozen(heads)) this.lastHit = { orgId, heads, state }
    return state
  }

  /** The state at `heads`, or null when this node does not hold them (fetch first). */
  async stateAt(orgId: string, heads: readonly ChangeHash[]): Promise<AuthState | null> {
    if (heads.length === 0) return AuthState.empty()
    const key = cacheKey(orgId, heads)
    const hit = this.states.get(key)
    if (hit !== undefined) return hit
    const doc = await this.deps.roster(orgId)
    if (doc === null || !A.hasHeads(doc, [...heads])) return null
    const containers = await this.containersOf(orgId, doc)
    if (containers === null) return null
    // Without the changes of members past their recorded heads (rule 5), where there are any.
    const masked = this.resolver === null ? null : await this.resolver.stateAt(orgId, doc, heads)
    const state = masked ?? (await this.unshelve(orgId, heads)) ?? AuthState.fromDoc(doc, containers, heads)
    this.remember(orgId, heads, state)
    return state
  }

  /**
   * The state saved at exactly `heads`, read back at most once per org (a start's first
   * read at the roster's heads); only the small record of its heads is read before.
   */
  private async unshelve(orgId: string, heads: readonly ChangeHash[]): Promise<AuthState | null> {
    const shelf = this.deps.shelf
    if (shelf === undefined) return null
    let saved = this.shelved.get(orgId)
    if (saved === undefined) {
      saved = (await shelf.heads(orgId)) ?? null
      this.shelved.set(orgId, saved)
    }
    if (saved === null || !headsMatch(saved, heads)) return null
    this.shelved.set(orgId, null)
    return decodeState(await shelf.load(orgId), heads)
  }

  /**
   * Saves the org's state at the roster's current heads for the next start, if it is
   * known (nothing is computed for it) and not saved already.
   */
  async shelve(orgId: string): Promise<boolean> {
    const shelf = this.deps.shelf
    const doc = await this.deps.roster(orgId)
    if (shelf === undefined || doc === null) return false
    const heads = A.getHeads(doc) as ChangeHash[]
    const state = this.cached(orgId, heads)
    if (state === undefined || headsMatch(await shelf.heads(orgId), heads)) return false
    await shelf.save(orgId, encodeHeads(heads), encodeState(heads, state))
    this.shelved.set(orgId, null)
    return true
  }

  /** Records the state after a judged change, so its children are a lookup. */
  remember(orgId: string, heads: readonly ChangeHash[], state: AuthState): void {
    this.lastHit = null
    if (this.states.size >= CACHE_LIMIT) {
      // Drop the oldest quarter (Map keeps insertion order).
      let n = CACHE_LIMIT / 4
      for (const k of this.states.keys()) {
        if (n-- <= 0) break
        this.states.delete(k)
      }
    }
    this.states.set(cacheKey(orgId, heads), state)
  }

  /** Object id → container of an org's roster; containers never change after creation. */
  async containersOf(orgId: string, doc?: A.Doc<RosterDoc>): Promise<Map<string, Container> | null> {
    const hit = this.containers.get(orgId)
    if (hit !== undefined) return hit
    const d = doc ?? (await this.deps.roster(orgId))
    if (d === null || d.org === undefined) return null
    const index = containerIndex(d)
    this.containers.set(orgId, index)
    return index
  }

  /** Containers of a roster being created in this batch (from its first change). */
  setContainers(orgId: string, index: Map<string, Container>): void {
    this.containers.set(orgId, index)
  }
}

function cacheKey(orgId: string, heads: readonly ChangeHash[]): string {
  return heads.length === 1 ? `${orgId}|${heads[0]}` : `${orgId}|${[...heads].sort().join(',')}`
}
