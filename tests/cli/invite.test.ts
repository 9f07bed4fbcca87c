/**
 * `verseguy invite list|revoke` against running nodes (in process, through their API):
 * the list with each invite's state, revoking by the start of its id, and the refusals
 * (exit 3 without members:invite, 1 for an unknown id).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { InviteView } from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { foundOrg, joinOrg, type RosterOrg } from '../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../helpers/start-nodes.ts'

const nodes = useNodes('file')
let o: RosterOrg
let member: TestNode

beforeAll(async () => {
  o = await foundOrg(nodes, 'Invite CLI Org')
  member = await joinOrg(nodes, o, 'member', 'Mem_B')
}, 120_000)

const lead = (...args: string[]) => runMain(['-d', o.leader.dir, ...args])

describe('verseguy invite list / revoke', () => {
  it('lists invites with their state and revokes one by the start of its id', async () => {
    const made = await lead('invite', 'create', '--rank', 'Recruit', '--json')
    expect(made.code, made.stderr).toBe(0)
    const { id } = JSON.parse(made.stdout) as { id: string }
    const table = await lead('invite', 'list')
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(new RegExp(`${id}.*recruit.*open`))
    expect(table.stdout).toMatch(/member.*used/)

    const denied = await runMain(['-d', member.dir, 'invite', 'list'])
    expect(denied.code).toBe(3)
    expect(denied.stderr).toMatch(
      /needs members:invite or members:manage, which your rank Member does not have/,
    )

    const revoked = await lead('invite', 'revoke', id.slice(0, 8))
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stdout).toContain(`Revoked invite ${id}`)
    const list = JSON.parse((await lead('invite', 'list', '--json')).stdout) as InviteView[]
    expect(list.find((i) => i.id === id)?.status).toBe('revoked')
    const unknown = await lead('invite', 'revoke', 'ffffffff')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('No invite ffffffff')
  })
})
