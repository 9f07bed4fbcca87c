/**
 * The kick, lived through the API and the CLI on real nodes: B (an officer) is
 * offline when the leader A kicks it; C (a member) is away from A too. B comes back
 * still unaware, adds a ship and writes notes on C; C, unaware as well, takes them.
 * When C meets A again, C hears of the kick and A gets B's writes through C: none of them
 * shows on A or on C, and `member flagged` on A (API and CLI) lists each one as done by a
 * removed member.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import type { FlaggedChange, MemberListItem, ShipSummary } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { foundOrg, joinOrg, keyOf } from '../helpers/roster-nodes.ts'
import { startTestNodeIn, type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const nodes = useNodes()
const BAN_MS = 10 * 60_000

/** Cuts the two nodes apart both ways, as if one were away. */
function cut(x: TestNode, y: TestNode): void {
  x.node.network.ban(y.node.network.peerId, BAN_MS)
  y.node.network.ban(x.node.network.peerId, BAN_MS)
}

function mend(x: TestNode, y: TestNode): void {
  x.node.network.unban(y.node.network.peerId)
  y.node.network.unban(x.node.network.peerId)
}

describe('kick while offline, through the API and the CLI', () => {
  it("a member kicked while offline changes things; none of it holds anywhere; the leader's node flags it", async () => {
    const o = await foundOrg(nodes, 'Kick Offline Org')
    const a = o.leader
    const b = await joinOrg(nodes, o, 'officer', 'Off_B')
    const c = await joinOrg(nodes, o, 'member', 'Mem_C')
    const [bKey, cKey] = await Promise.all([keyOf(b), keyOf(c)])
    await b.api('POST', `${o.path}/ships`, { model: 'Cutlass Black', manufacturer: 'Drake' })
    const shipsOn = async (t: TestNode) =>
      (await t.api<{ items: ShipSummary[] }>('GET', `${o.path}/ships`)).items.map((s) => s.model).sort()
    await waitFor("B's ship and everyone on C", async () => (await shipsOn(c)).length === 1)
    await waitFor('C on B', async () =>
      b.api('GET', `${o.path}/members/${cKey}`).then(
        () => true,
        () => false,
      ),
    )

    // B stops; C is away from A. The leader kicks B.
    await b.node.stop()
    cut(a, c)
    const kicked = await a.api<MemberListItem>('POST', `${o.path}/members/${bKey}/kick`)
    expect(kicked.handle).toBe('Off_B')
    expect(await runMain(['-d', a.dir, 'member', 'show', bKey])).toMatchObject({ code: 1 })

    // B starts again, reaches only C, and (never told) keeps using its rights.
    const b2 = await startTestNodeIn(b.dir)
    try {
      a.node.network.ban(b2.node.network.peerId, BAN_MS)
      b2.node.network.ban(a.node.network.peerId, BAN_MS)
      await b2.node.network.libp2p.dial(multiaddr(c.node.addresses()[0] as string))
      await b2.api('POST', `${o.path}/ships`, { model: 'Carrack', manufacturer: 'Anvil' })
      await b2.api('PATCH', `${o.path}/members/${cKey}`, { notes: 'written by a removed officer' })
      await b2.node.mesh.syncAll()
      await waitFor("B's writes on C", async () => (await shipsOn(c)).includes('Carrack'))
      expect((await c.api<MemberListItem>('GET', `${o.path}/members/${cKey}`)).notes).toBe(
        'written by a removed officer',
      )
    } finally {
      await b2.node.stop()
    }

    // C meets A again: it hears of the kick, and A gets B's writes through it.
    mend(a, c)
    await c.node.network.libp2p.dial(multiaddr(a.node.addresses()[0] as string))
    await c.node.mesh.syncAll()
    await a.node.mesh.syncAll()
    const flaggedOn = async () => (await a.api<{ items: FlaggedChange[] }>('GET', `${o.path}/flagged`)).items
    await waitFor('both of B’s writes flagged on A', async () => (await flaggedOn()).length === 2, 30_000)
    await waitFor('the kick on C', async () =>
      c.api('GET', `${o.path}/members/${bKey}`).then(
        () => false,
        () => true,
      ),
    )

    // Refused everywhere: neither A nor C shows any of it.
    for (const t of [a, c]) {
      expect(await shipsOn(t)).toEqual(['Cutlass Black'])
      expect((await t.api<MemberListItem>('GET', `${o.path}/members/${cKey}`)).notes).toBe('')
      const members = await t.api<{ items: MemberListItem[] }>('GET', `${o.path}/members`)
      expect(members.items.map((m) => m.handle).sort()).toEqual(['Lead_A', 'Mem_C'])
    }
    const flagged = await flaggedOn()
    expect(flagged.map((f) => f.action).sort()).toEqual(['member.notes', 'ship.add'])
    expect(flagged.every((f) => f.author === bKey && f.why === 'removed')).toBe(true)

    // The same through the CLI: JSON, and a table for people.
    const json = await runMain(['-d', a.dir, 'member', 'flagged', '--all', '--json'])
    expect(json.code, json.stderr).toBe(0)
    expect((JSON.parse(json.stdout) as FlaggedChange[]).map((f) => f.action).sort()).toEqual([
      'member.notes',
      'ship.add',
    ])
    const table = await runMain(['-d', a.dir, 'member', 'flagged'])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toContain('ship.add')
    expect(table.stdout).toContain('removed')
    expect(table.stdout).toContain(bKey.slice(0, 12))
    // A member may not review them (members:kick or members:manage): exit 3.
    const denied = await runMain(['-d', c.dir, 'member', 'flagged'])
    expect(denied.code).toBe(3)
    expect(denied.stderr).toMatch(
      /needs members:kick or members:manage, which your rank Member does not have/,
    )
  }, 180_000)
})
