/**
 * Joining on real nodes on 127.0.0.1: the invite carries the addresses of the members
 * online when it was made; with the inviter offline, another member's node admits the
 * newcomer, who then fetches the org. A newcomer with a revoked, expired or used invite
 * is told so plainly, and nothing is stored on its node.
 */
import { describe, expect, it } from 'vitest'
import { useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const nodes = useNodes()

type Member = { memberKey: string; handle: string }

describe('admission on real nodes', () => {
  it('a member who is not the inviter admits the newcomer while the inviter is offline', async () => {
    const a = await nodes.start('a')
    const b = await nodes.start('b')
    const c = await nodes.start('c')
    const d = await nodes.start('d')
    const org = await a.api<{ id: string }>('POST', '/api/v1/orgs', {
      name: 'Gate Org',
      tag: 'GATE',
      handle: 'Lead_A',
    })
    const first = await a.api<{ token: string }>('POST', `/api/v1/orgs/${org.id}/invites`, { rank: 'member' })
    await b.api('POST', '/api/v1/invites/accept', { token: first.token, handle: 'Mem_B' })
    const bKey = b.node.services.org.me
    await waitFor('B a member on A', async () =>
      (await a.api<{ items: Member[] }>('GET', `/api/v1/orgs/${org.id}/members?limit=500`)).items.some(
        (m) => m.memberKey === bKey,
      ),
    )

    // The invite carries B's address too (B is a member, connected to A).
    const bId = b.node.network.peerId
    const second = await waitFor('an invite that names B', async () => {
      const inv = await a.api<{ token: string; invite: { bootstrap: string[] } }>(
        'POST',
        `/api/v1/orgs/${org.id}/invites`,
        { rank: 'recruit' },
      )
      return inv.invite.bootstrap.some((x) => x.endsWith(`/p2p/${bId}`)) && inv
    })
    // Revoked or expired: the inviter's node says so plainly, and the newcomer stores nothing.
    const revoked = await a.api<{ token: string; invite: { id: string } }>(
      'POST',
      `/api/v1/orgs/${org.id}/invites`,
      { rank: 'recruit' },
    )
    await a.node.services.invites.revokeInvite(org.id, revoked.invite.id)
    await expect(
      d.api('POST', '/api/v1/invites/accept', { token: revoked.token, handle: 'Late_D' }),
    ).rejects.toThrow(/this invite was revoked/)
    const expired = await a.api<{ token: string }>('POST', `/api/v1/orgs/${org.id}/invites`, {
      rank: 'recruit',
      expiresInHours: 1 / 3_600_000,
    })
    await new Promise((r) => setTimeout(r, 5))
    await expect(
      d.api('POST', '/api/v1/invites/accept', { token: expired.token, handle: 'Late_D' }),
    ).rejects.toThrow(/this invite expired on /)
    expect(await d.api<unknown[]>('GET', '/api/v1/orgs')).toEqual([])

    await a.node.stop() // the inviter goes offline

    const joined = await c.api<{ id: string; memberCount: number }>('POST', '/api/v1/invites/accept', {
      token: second.token,
      handle: 'Rec_C',
    })
    expect(joined).toMatchObject({ id: org.id, memberCount: 3 })
    const cKey = c.node.services.org.me
    const onB = (await b.api<{ items: Member[] }>('GET', `/api/v1/orgs/${org.id}/members?limit=500`)).items
    expect(onB.map((m) => m.handle).sort()).toEqual(['Lead_A', 'Mem_B', 'Rec_C'])
    const onC = (await c.api<{ items: Member[] }>('GET', `/api/v1/orgs/${org.id}/members?limit=500`)).items
    expect(onC.map((m) => m.memberKey).sort()).toEqual(onB.map((m) => m.memberKey).sort())
    expect(onC.some((m) => m.memberKey === cKey)).toBe(true)

    // The same invite again, from another newcomer: refused plainly, nothing stored.
    await expect(
      d.api('POST', '/api/v1/invites/accept', { token: second.token, handle: 'Late_D' }),
    ).rejects.toThrow(/this invite was already used/)
    expect(await d.api<unknown[]>('GET', '/api/v1/orgs')).toEqual([])
    expect((await d.node.status()).chain?.seq).toBe(0)
  }, 90_000)
})
