import { describe, expect, it } from 'vitest'
import type { ChangeHash } from '../../../crdt/index.ts'
import { AuthIndex } from '../../../services/org/auth-index.ts'
import { AuthState } from '../../../services/org/auth-state.ts'

const heads = Object.freeze(['a'.repeat(64)]) as readonly ChangeHash[]

describe('AuthIndex.cached', () => {
  it('answers the same frozen heads again, and what was remembered since at them', () => {
    const auth = new AuthIndex({ roster: async () => null })
    const first = AuthState.fromTables(new Map())
    const second = AuthState.fromTables(new Map())
    expect(auth.cached('org1', heads)).toBeUndefined()
    auth.remember('org1', heads, first)
    expect(auth.cached('org1', heads)).toBe(first)
    expect(auth.cached('org1', heads)).toBe(first)
    expect(auth.cached('org2', heads)).toBeUndefined()
    auth.remember('org1', heads, second)
    expect(auth.cached('org1', heads)).toBe(second)
    // Equal heads in another array are the same key.
    expect(auth.cached('org1', [...heads])).toBe(second)
  })
})
