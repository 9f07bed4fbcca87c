/**
 * `InviteService.accept`, the use case behind `invite accept`, over a transport of real
 * replicas (no network): the org is kept only once a staged copy holds the admission; a
 * final refusal from a node the inviter named ends the accept at once, one from a node
 * found otherwise only if no other node admits; the staging area is always discarded.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../crdt/index.ts'
import type { Invite } from '../../../services/org/invite.ts'
import type { JoinAnswer, JoinTransport } from '../../../services/org/invite-service.ts'
import { makeReplica, type Replica, sync, useReplicas } from '../../helpers/replica.ts'

const replica = useReplicas({ storage: 'memory' })
const LISTED = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWListedLiar'

/**
 * Nodes by name: `liar` answers "used" whatever; `admitter` admits through `leader` (and
 * the staged copy gets the org unless `partial`); anything else cannot be reached.
 */
function transport(
  leader: Replica,
  staging: Replica,
  newcomer: Replica,
  order: string[],
  opts: { partial?: boolean } = {},
): JoinTransport & { asked: string[]; discarded: number; committed: number } {
  const t = {
    asked: [] as string[],
    discarded: 0,
    committed: 0,
    async *candidates(_invite: Invite) {
      yield* order
    },
    async stage() {
      return {
        join: async (target: string, org: string, request: Uint8Array): Promise<JoinAnswer> => {
          t.asked.push(target)
          if (target === 'liar' || target === LISTED)
            return { ok: false, code: 'used', reason: 'this invite was already used' }
          if (target !== 'admitter') throw new Error('connection refused')
          const answer = await leader.invites.admit(request, { member: newcomer.signer.memberKey, org })
          if (answer.ok && opts.partial !== true) await sync(leader, staging)
          return answer
        },
        isMember: async (org: string, member: string) =>
          (await staging.store.has(`org:${org}` as never)) &&
          (await staging.org.currentState(org)).isMember(member),
        commit: async () => {
          t.committed++
          await sync(staging, newcomer)
        },
        discard: async () => {
          t.discarded++
        },
      }
    },
  }
  return t
}

async function setUp(bootstrap: string[] = []) {
  const leader = await replica()
  const newcomer = await replica()
  const staging = await makeReplica(newcomer.signer, { storage: 'memory' })
  const org = await leader.org.createOrg({ name: 'Accept Org', tag: 'ACC', handle: 'Lead_A' })
  const { token } = await leader.invites.createInvite(org.id, { rank: 'member', bootstrap })
  return { leader, newcomer, staging, org: org.id, token }
}

describe('accepting an invite', () => {
  it('a node found off the invite that says "used" does not stop another from admitting', async () => {
    const { leader, newcomer, staging, org, token } = await setUp()
    const t = transport(leader, staging, newcomer, ['liar', 'gone', 'admitter'])
    try {
      expect(await newcomer.invites.accept(token, 'New_N', t)).toMatchObject({ id: org, memberCount: 2 })
      expect(t.asked).toEqual(['liar', 'gone', 'admitter'])
      expect(t.discarded).toBe(1)
    } finally {
      await staging.close()
    }
  })

  it('said only by nodes found off the invite, the refusal stands once no node admits', async () => {
    const { leader, newcomer, staging, token } = await setUp()
    const t = transport(leader, staging, newcomer, ['liar', 'gone'])
    try {
      await expect(newcomer.invites.accept(token, 'New_N', t)).rejects.toThrow(
        /^this invite was already used\.$/,
      )
      expect(t.asked).toEqual(['liar', 'gone'])
      expect(await newcomer.org.listOrgs()).toEqual([])
      expect(t.discarded).toBe(1)
    } finally {
      await staging.close()
    }
  })

  it('a node the inviter named is believed at once', async () => {
    const { leader, newcomer, staging, token } = await setUp([LISTED])
    const t = transport(leader, staging, newcomer, [LISTED, 'admitter'])
    try {
      await expect(newcomer.invites.accept(token, 'New_N', t)).rejects.toMatchObject({
        name: 'InviteRefusedError',
        code: 'invite-refused',
        refusal: 'used',
        message: 'this invite was already used.',
      })
      expect(t.asked).toEqual([LISTED])
      expect(await newcomer.org.listOrgs()).toEqual([])
    } finally {
      await staging.close()
    }
  })

  it('admitted, but the staged copy lacks the admission: nothing is kept', async () => {
    const { leader, newcomer, staging, token } = await setUp()
    const t = transport(leader, staging, newcomer, ['admitter'], { partial: true })
    try {
      await expect(newcomer.invites.accept(token, 'New_N', t)).rejects.toThrow(
        /^No member's node of this org could be reached .*did not arrive whole/,
      )
      expect(t.committed).toBe(0)
      expect(t.discarded).toBe(1)
      expect(await newcomer.org.listOrgs()).toEqual([])
      expect(await newcomer.store.list()).toEqual([])
    } finally {
      await staging.close()
    }
  })

  it('a bad handle or token is refused before any node is asked or any staging made', async () => {
    const { leader, newcomer, staging, token } = await setUp()
    const t = transport(leader, staging, newcomer, ['admitter'])
    try {
      await expect(newcomer.invites.accept(token, 'x', t)).rejects.toThrow(/^handle: /)
      await expect(newcomer.invites.accept('vginv1.nope', 'New_N', t)).rejects.toThrow(/^token: /)
      expect(t.asked).toEqual([])
      expect(t.discarded).toBe(0)
    } finally {
      await staging.close()
    }
  })

  it('given no deadline, gives up after five minutes on its clock with nothing kept', async () => {
    const clock = new ManualClock()
    const leader = await replica({ clock })
    const newcomer = await replica({ clock })
    const org = await leader.org.createOrg({ name: 'Accept Org', tag: 'ACC', handle: 'Lead_A' })
    const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
    let discarded = 0
    // A search that finds no node until it is told to stop.
    const silent: JoinTransport = {
      async *candidates(_invite: Invite, signal: AbortSignal) {
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        )
      },
      async stage() {
        return {
          join: async () => ({ ok: false, code: 'used', reason: 'unreachable' }),
          isMember: async () => false,
          commit: async () => {},
          discard: async () => {
            discarded++
          },
        }
      },
    }
    let settled = false
    const accepting = newcomer.invites.accept(token, 'New_N', silent).finally(() => {
      settled = true
    })
    accepting.catch(() => {})
    await clock.advance(299_999)
    expect(settled).toBe(false)
    await clock.advance(1)
    await expect(accepting).rejects.toThrow(/timed out/)
    expect(discarded).toBe(1)
    expect(clock.pending).toBe(0)
    expect(await newcomer.org.listOrgs()).toEqual([])
  })
})
