/**
 * An org's authorization state saved for the next start (services/org/auth-snapshot.ts):
 * read back, it is exactly the state read from the roster; it is used only at the heads
 * it was saved at (a roster changed since is read again), and a damaged or foreign one is
 * ignored, never trusted.
 */
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ChangeHash, JsonValue } from '../../../crdt/index.ts'
import { decodeState, encodeState, shelfKeys } from '../../../services/org/auth-snapshot.ts'
import { AuthState } from '../../../services/org/auth-state.ts'
import { containerIndex } from '../../../services/org/roster-schema.ts'
import { enlist, makeReplica, type Replica, sync, useReplicas } from '../../helpers/replica.ts'
import { makeSigner } from '../../helpers/signer.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const replica = useReplicas({ storage: 'memory' })
const temp = useTempDirs('vg-auth-shelf-')
afterEach(() => {
  vi.restoreAllMocks()
})

/** An org with a founder, an officer, two members (one kicked) and a revoked invite. */
async function orgWithHistory(leader: Replica) {
  const org = await leader.org.createOrg({ name: 'Shelf Org', tag: 'SHLF', handle: 'Leader_1' })
  const officer = await replica()
  const member = await replica()
  const kicked = await replica()
  await enlist(leader, org.id, officer, 'officer', 'Officer_1')
  await enlist(leader, org.id, member, 'member', 'Member_1')
  await enlist(leader, org.id, kicked, 'member', 'Kicked_1')
  await leader.org.kick(org.id, kicked.signer.memberKey)
  const unused = await leader.invites.createInvite(org.id, { rank: 'member' })
  await leader.invites.revokeInvite(org.id, unused.invite.id)
  return { org, officer, member, kicked }
}

/** A state's registers, in a fixed order (states built change by change order them otherwise). */
const tables = (s: AuthState) =>
  [...s.allTables]
    .filter(([, t]) => t.size > 0)
    .map(([name, t]) => [name, [...t].map(([k, r]) => [k, [...r.ops].sort()] as const).sort()] as const)
    .sort()

/** The state read straight from the roster at its current heads. */
async function fromRoster(r: Replica, orgId: string): Promise<[AuthState, ChangeHash[]]> {
  const doc = await r.org.roster(orgId)
  const heads = A.getHeads(doc) as ChangeHash[]
  return [AuthState.fromDoc(doc, containerIndex(doc), heads), heads]
}

describe('saved authorization state', () => {
  it('reads back exactly the state read from the roster, and only at the heads it was saved at', async () => {
    const leader = await replica()
    const { org } = await orgWithHistory(leader)
    const [state, heads] = await fromRoster(leader, org.id)
    const saved = JSON.parse(JSON.stringify(encodeState(heads, state))) as JsonValue
    const back = decodeState(saved, heads) as AuthState
    expect(back).not.toBeNull()
    expect(tables(back)).toEqual(tables(state))
    await leader.org.setNotes(org.id, leader.signer.memberKey, 'a later change')
    const [, later] = await fromRoster(leader, org.id)
    expect(decodeState(saved, later)).toBeNull()
  })

  it('a damaged, truncated or foreign saved state is refused', async () => {
    const leader = await replica()
    const { org } = await orgWithHistory(leader)
    const [state, heads] = await fromRoster(leader, org.id)
    const good = encodeState(heads, state) as { actors: string[]; tables: [string, [string, unknown[]][]][] }
    const variant = (fn: (s: typeof good) => void) => {
      const s = structuredClone(good)
      fn(s)
      return decodeState(s as unknown as JsonValue, heads)
    }
    expect(variant(() => {})).not.toBeNull()
    expect(variant((s) => Object.assign(s, { format: 2 }))).toBeNull()
    expect(variant((s) => Object.assign(s, { heads: 'ab' }))).toBeNull()
    expect(variant((s) => s.tables.push(['mystery', []]))).toBeNull()
    expect(variant((s) => s.tables.push(s.tables[0] as never))).toBeNull()
    expect(variant((s) => s.actors.push('not hex'))).toBeNull()
    expect(
      variant((s) =>
        ((s.tables[0] as [string, [string, unknown[]][]])[1][0] as [string, unknown[]])[1].push(1),
      ),
    ).toBeNull()
    expect(
      variant((s) =>
        ((s.tables[0] as [string, [string, unknown[]][]])[1][0] as [string, unknown[]])[1].splice(0),
      ),
    ).toBeNull()
    expect(
      variant((s) => {
        const ops = ((s.tables[0] as [string, [string, unknown[]][]])[1][0] as [string, unknown[]])[1]
        ops[2] = { not: 'a scalar' }
      }),
    ).toBeNull()
    expect(
      variant((s) => {
        const ops = ((s.tables[0] as [string, [string, unknown[]][]])[1][0] as [string, unknown[]])[1]
        ops[1] = 999 // no such actor
      }),
    ).toBeNull()
  })

  it('a reopened store reads the saved state instead of the roster; a roster changed since, or a damaged save, is read again', async () => {
    const dir = await temp.make()
    const signer = makeSigner()
    let leader = await makeReplica(signer, { dir })
    const { org, member, officer } = await orgWithHistory(leader)
    await leader.org.currentState(org.id)
    expect(await leader.validator.auth.shelve(org.id)).toBe(true)
    expect(await leader.validator.auth.shelve(org.id)).toBe(false) // saved already
    const [expected] = await fromRoster(leader, org.id)
    await leader.close()

    // Reads of the roster at its current heads (a removal's earlier heads are read as before).
    const reads = vi.spyOn(AuthState, 'fromDoc')
    const readsAtHead = async () => {
      const now = A.getHeads(await leader.org.roster(org.id))
        .sort()
        .join()
      return reads.mock.calls.filter(([, , h]) => [...(h ?? [])].sort().join() === now).length
    }
    leader = await makeReplica(signer, { dir })
    let state = await leader.org.currentState(org.id)
    expect(await readsAtHead()).toBe(0)
    expect(tables(state)).toEqual(tables(expected))
    expect(state.isMember(member.signer.memberKey)).toBe(true)

    // A change the saved state does not hold: a member kicked after the save.
    await leader.org.kick(org.id, member.signer.memberKey)
    await leader.close()
    leader = await makeReplica(signer, { dir })
    state = await leader.org.currentState(org.id)
    expect(await readsAtHead()).toBe(1)
    expect(state.isMember(member.signer.memberKey)).toBe(false)
    expect(tables(state)).toEqual(tables((await fromRoster(leader, org.id))[0]))

    // A damaged save (heads that match, a state that does not read) is ignored.
    await leader.org.currentState(org.id)
    expect(await leader.validator.auth.shelve(org.id)).toBe(true)
    await leader.store.putSetting(shelfKeys(org.id).state, { format: 1, heads: 'x', actors: [], tables: [] })
    await leader.close()
    reads.mockClear()
    leader = await makeReplica(signer, { dir })
    state = await leader.org.currentState(org.id)
    expect(await readsAtHead()).toBe(1)
    expect(state.isMember(officer.signer.memberKey)).toBe(true)
    expect(state.isMember(member.signer.memberKey)).toBe(false)
    // And what the store judges with it is judged as before: the officer's change is taken.
    await officer.org.setNotes(org.id, officer.signer.memberKey, 'still an officer')
    expect((await sync(officer, leader)).rejected).toEqual([])
    await leader.close()
  })
})
