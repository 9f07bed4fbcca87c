/**
 * An org's authorization state saved beside its roster, so that a start reads it back
 * instead of reading every member's records out of the roster again (a second of a
 * 10,000-member org's start). Saved as what `AuthState.fromDoc` reads at some roster
 * heads: Automerge's own visible ops, nothing masked (the membership resolver lays its
 * masking over it as over a fresh read). Used only for exactly those heads, and only
 * when it reads back whole and well-formed; anything else (other heads, another format,
 * damage) is ignored and the state is read from the roster as before.
 */
import type { ChangeHash, DocumentStore, JsonValue } from '../../crdt/index.ts'
import { AuthState, type Register, type Scalar } from './auth-state.ts'

/** Bumped whenever the saved layout or what `fromDoc` reads changes. */
const FORMAT = 1

/** Where a node keeps it (node-local settings, never synced). */
export interface AuthStateShelf {
  /** The heads a saved state is for, or undefined (read without the state itself). */
  readonly heads: (orgId: string) => Promise<JsonValue | undefined>
  readonly load: (orgId: string) => Promise<JsonValue | undefined>
  readonly save: (orgId: string, heads: JsonValue, state: JsonValue) => Promise<void>
}

/** The settings keys of an org's saved state: its heads (small) and the state. */
export const shelfKeys = (orgId: string) => ({ heads: `auth-heads:${orgId}`, state: `auth-state:${orgId}` })

/** The shelf in a store's node-local settings. */
export function settingsShelf(store: () => DocumentStore): AuthStateShelf {
  return {
    heads: (orgId) => store().getSetting(shelfKeys(orgId).heads),
    load: (orgId) => store().getSetting(shelfKeys(orgId).state),
    // The state first: heads are written only once the state they name is.
    save: async (orgId, heads, state) => {
      await store().putSetting(shelfKeys(orgId).state, state)
      await store().putSetting(shelfKeys(orgId).heads, heads)
    },
  }
}

const TABLE =
  /^(org|rankName|rankLevel|rankPerms|(mRank|kicked|mInvite|invitesUsed|invitesRevoked)\/\d{1,2})$/
const OP_ID = /^(\d{1,15})@([0-9a-f]{1,256})$/

export function headsKey(heads: readonly ChangeHash[]): string {
  return [...heads].sort().join(',')
}

/** `{format, heads}`: what is compared before the state is read. */
export function encodeHeads(heads: readonly ChangeHash[]): JsonValue {
  return { format: FORMAT, heads: headsKey(heads) }
}

export function headsMatch(saved: JsonValue | undefined, heads: readonly ChangeHash[]): boolean {
  const s = saved as { format?: unknown; heads?: unknown } | undefined
  return typeof s === 'object' && s !== null && s.format === FORMAT && s.heads === headsKey(heads)
}

/** The state's tables, actors written once: `[actors, [table, [key, [counter, actor, value]...]...]...]`. */
export function encodeState(heads: readonly ChangeHash[], state: AuthState): JsonValue {
  const actors: string[] = []
  const actorIndex = new Map<string, number>()
  const tables: JsonValue[] = []
  for (const [name, table] of state.unmasked.allTables) {
    const keys: JsonValue[] = []
    for (const [key, reg] of table) {
      const ops: JsonValue[] = []
      for (const [id, value] of reg.ops) {
        const at = id.indexOf('@')
        const actor = id.slice(at + 1)
        let i = actorIndex.get(actor)
        if (i === undefined) {
          i = actors.length
          actors.push(actor)
          actorIndex.set(actor, i)
        }
        ops.push(Number(id.slice(0, at)), i, value)
      }
      keys.push([key, ops])
    }
    tables.push([name, keys])
  }
  return { format: FORMAT, heads: headsKey(heads), actors, tables }
}

/** The state saved for exactly `heads`, or null (other heads, another format, anything malformed). */
export function decodeState(saved: JsonValue | undefined, heads: readonly ChangeHash[]): AuthState | null {
  if (!headsMatch(saved, heads)) return null
  const { actors, tables } = saved as { actors?: unknown; tables?: unknown }
  if (!Array.isArray(actors) || !Array.isArray(tables)) return null
  if (!actors.every((a) => typeof a === 'string' && OP_ID.test(`0@${a}`))) return null
  const out = new Map<string, Map<string, Register>>()
  for (const t of tables) {
    if (!Array.isArray(t) || t.length !== 2) return null
    const [name, keys] = t as [unknown, unknown]
    if (typeof name !== 'string' || !TABLE.test(name) || out.has(name) || !Array.isArray(keys)) return null
    const table = new Map<string, Register>()
    for (const k of keys) {
      if (!Array.isArray(k) || k.length !== 2) return null
      const [key, ops] = k as [unknown, unknown]
      if (typeof key !== 'string' || table.has(key) || !Array.isArray(ops) || ops.length % 3 !== 0)
        return null
      const reg = new Map<string, Scalar>()
      for (let i = 0; i < ops.length; i += 3) {
        const [counter, actor, value] = [ops[i], ops[i + 1], ops[i + 2]]
        if (!Number.isSafeInteger(counter) || (counter as number) < 0) return null
        if (typeof actor !== 'number' || actors[actor] === undefined || !scalar(value)) return null
        reg.set(`${counter}@${actors[actor]}`, value as Scalar)
      }
      if (reg.size === 0) return null // fromDoc keeps no empty register
      table.set(key, { ops: reg })
    }
    out.set(name, table)
  }
  return AuthState.fromTables(out)
}

function scalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
}
