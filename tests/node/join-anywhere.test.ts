/**
 * Invites that work when the inviter is gone, on real nodes on 127.0.0.1: any member's
 * node online admits the newcomer, found under the org's rendezvous in the DHT, which the
 * newcomer reaches through its own bootstrap peers or any live address in the invite; an
 * invite made by the CLI on a stopped node works once a member is online.
 */
import { describe, expect, it } from 'vitest'
import { readInvite } from '../../services/org/invite.ts'
import { runMain } from '../helpers/cli.ts'
import { TEST_NODE_PASS, type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const nodes = useNodes()

type Member = { memberKey: string; handle: string }
type Created = { token: string; invite: { bootstrap: string[] } }

/** An org founded on `f`, with `m` admitted as a member through `f`. */
async function orgWithMember(f: TestNode, m: TestNode): Promise<string> {
  const org = await f.api<{ id: string }>('POST', '/api/v1/orgs', {
    name: 'Far Org',
    tag: 'FAR',
    handle: 'Lead_F',
  })
  const inv = await f.api<Created>('POST', `/api/v1/orgs/${org.id}/invites`, { rank: 'member' })
  await m.api('POST', '/api/v1/invites/accept', { token: inv.token, handle: 'Mem_M' })
  return org.id
}

/** Stops and starts the node again: it listens on a new port, its old addresses are dead. */
async function restart(n: TestNode): Promise<void> {
  await n.node.stop()
  await n.node.start()
}

async function expectJoined(n: TestNode, via: TestNode, org: string, handles: string[]): Promise<void> {
  const key = n.node.services.org.me
  await waitFor('the newcomer on the admitting node', async () =>
    (await via.api<{ items: Member[] }>('GET', `/api/v1/orgs/${org}/members?limit=500`)).items.some(
      (x) => x.memberKey === key,
    ),
  )
  const onN = (await n.api<{ items: Member[] }>('GET', `/api/v1/orgs/${org}/members?limit=500`)).items
  expect(onN.map((x) => x.handle).sort()).toEqual(handles)
}

describe('joining with the inviter gone', () => {
  it("an invite that names only the inviter, gone: the newcomer's configured bootstrap peer, a member found under the rendezvous, admits it", async () => {
    const [f, m] = await Promise.all([nodes.start('f'), nodes.start('m')])
    const org = await orgWithMember(f, m)
    const mPeer = m.node.network.peerId
    await m.node.stop() // M is offline while the invite is made: it names F only
    const inv = await f.api<Created>('POST', `/api/v1/orgs/${org}/invites`, { rank: 'recruit' })
    expect(inv.invite.bootstrap.some((a) => a.includes(mPeer))).toBe(false)
    await f.node.stop() // the inviter goes offline for good
    await m.node.start()

    const n = await nodes.start('n', { net: { bootstrap: [m.node.addresses()[0]] } })
    const joined = await n.api<{ id: string; memberCount: number }>('POST', '/api/v1/invites/accept', {
      token: inv.token,
      handle: 'Rec_N',
    })
    expect(joined).toMatchObject({ id: org, memberCount: 3 })
    await expectJoined(n, m, org, ['Lead_F', 'Mem_M', 'Rec_N'])
  }, 90_000)

  it('an invite made by the CLI on a stopped node: the newcomer finds a member under the rendezvous in the DHT', async () => {
    // R: an always-on node of no org (a relay, say); the members use it as their bootstrap peer.
    const r = await nodes.start('r')
    const boot = [r.node.addresses()[0] as string]
    const [f, m] = await Promise.all([
      nodes.start('f', { net: { bootstrap: boot } }),
      nodes.start('m', { net: { bootstrap: boot, discoveryIntervalSeconds: 1 } }),
    ])
    const org = await orgWithMember(f, m)
    const fKey = f.node.services.org.me
    await f.node.stop()

    // `invite create` with no node running: the CLI (its main, in this process) starts one
    // for the command and stops it.
    const made = await runMain(['-d', f.dir, 'invite', 'create', '--rank', 'Recruit', '--json'], {
      VERSEGUY_PASSPHRASE: TEST_NODE_PASS,
    })
    expect(made.code, made.stderr).toBe(0)
    const token = JSON.parse(made.stdout).token as string
    const read = readInvite(token)
    if (!read.ok) throw new Error(read.reason)
    expect(read.invite.rendezvous).toMatch(/^[0-9a-f]{64}$/)
    expect(read.invite.inviter).toBe(fKey)
    expect(read.invite.bootstrap).toContain(boot[0])

    await restart(m) // whatever address of M the invite may hold is dead now
    const live = m.node.addresses()
    expect(read.invite.bootstrap.some((a) => live.includes(a))).toBe(false)

    // The newcomer knows nobody but what the invite says: R (no member) is its way into the DHT.
    const n = await nodes.start('n')
    const joined = await n.api<{ id: string; memberCount: number }>('POST', '/api/v1/invites/accept', {
      token,
      handle: 'Rec_N',
    })
    expect(joined).toMatchObject({ id: org, memberCount: 3 })
    await expectJoined(n, m, org, ['Lead_F', 'Mem_M', 'Rec_N'])
    expect(await r.api<unknown[]>('GET', '/api/v1/orgs')).toEqual([])
  }, 120_000)
})
