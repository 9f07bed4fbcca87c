/**
 * A day of org life run entirely through the CLI (`main`, as `npx verseguy …` runs it),
 * against four real nodes on 127.0.0.1 that sync over libp2p: a leader founds the org and
 * invites three members, promotes one to Officer, installs a Pro license from an issuer
 * key made with the CLI and creates a custom rank; members add ships with loadouts and
 * sign up for an operation with them, the leader confirms them and runs the operation
 * planned → in progress → completed; its calendar parses back as RFC 5545, `audit verify`
 * finds every chain ok and `audit list --member` shows each member's actions.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  AuditPage,
  AuditVerification,
  MemberListItem,
  OperationView,
  ShipView,
} from '../../node/index.ts'
import { runMain } from '../helpers/cli.ts'
import { parseIcs } from '../helpers/ics.ts'
import { type TestNode, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const nodes = useNodes('file')
let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vg-scenario-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

/** `verseguy -d <node's dir> …`, expected to succeed; its standard output. */
async function on(node: TestNode, ...args: string[]): Promise<string> {
  const res = await runMain(['-d', node.dir, ...args])
  expect(res.code, `verseguy ${args.join(' ')}\n${res.stderr}`).toBe(0)
  return res.stdout
}
const onJson = async <T>(node: TestNode, ...args: string[]): Promise<T> =>
  JSON.parse(await on(node, ...args, '--json')) as T

const MEMBERS = [
  { handle: 'Cmdr_Nova', model: 'Prospector', manufacturer: 'MISC', role: 'mining', slot: 'Miner' },
  { handle: 'Cmdr_Rook', model: 'Cutlass Black', manufacturer: 'Drake', role: 'fighter', slot: 'Escort' },
  { handle: 'Cmdr_Kite', model: 'Vulture', manufacturer: 'Drake', role: 'salvage', slot: 'Salvager' },
] as const

describe('a day of org life through the CLI', () => {
  it('founds, invites, licenses, equips, runs an operation and audits it', async () => {
    // The leader founds the org.
    const leader = await nodes.start('leader')
    const org = await onJson<{ id: string }>(
      leader,
      'org',
      'create',
      '--name',
      'Crimson Fleet',
      '--tag',
      'CRIM',
      '--handle',
      'Cmdr_Vex',
    )

    // Three members join with invites the leader makes.
    const members: TestNode[] = []
    for (const m of MEMBERS) {
      const node = await nodes.start(m.handle.toLowerCase())
      const { token } = await onJson<{ token: string }>(leader, 'invite', 'create', '--rank', 'Member')
      expect(await on(node, 'invite', 'accept', token, '--handle', m.handle)).toContain('Crimson Fleet')
      members.push(node)
    }
    const nova = members[0] as TestNode
    const roster = await onJson<{ items: MemberListItem[] }>(leader, 'member', 'list')
    expect(roster.items.map((m) => m.handle).sort()).toEqual([
      'Cmdr_Kite',
      'Cmdr_Nova',
      'Cmdr_Rook',
      'Cmdr_Vex',
    ])

    // Nova becomes an Officer.
    await on(leader, 'rank', 'assign', 'Cmdr_Nova', 'Officer')
    expect(await on(leader, 'member', 'show', 'Cmdr_Nova')).toMatch(/Officer/)

    // A Pro license: the issuer's key made and trusted with the CLI, the license issued for
    // the org as `license status` names it, installed on the leader's node.
    const key = join(work, 'vendor.key')
    await on(leader, 'license', 'keygen', '--out', key, '--issuer', 'Scenario Issuer')
    await on(leader, 'license', 'trust', `${key}.pub`)
    const status = await on(leader, 'license', 'status')
    const ref = new RegExp(`${org.id}\\.[0-9a-f]{64}`).exec(status)?.[0]
    expect(ref, status).toBeDefined()
    const file = join(work, 'crim.license')
    await on(
      leader,
      'license',
      'issue',
      '--key',
      key,
      '--org',
      ref as string,
      '--tier',
      'pro',
      '--days',
      '365',
      '--out',
      file,
    )
    await on(leader, 'license', 'install', file)
    expect(await on(leader, 'license', 'status')).toMatch(/pro/i)

    // A custom rank (a Pro feature) for Kite.
    await on(leader, 'rank', 'create', 'Wing Lead', '--level', '30', '--like', 'Member')
    await on(leader, 'rank', 'assign', 'Cmdr_Kite', 'Wing Lead')

    // Each member adds a ship with a loadout.
    const ships = new Map<string, string>()
    for (const [i, m] of MEMBERS.entries()) {
      const node = members[i] as TestNode
      const ship = await onJson<ShipView>(
        node,
        'ship',
        'add',
        '--model',
        m.model,
        '--manufacturer',
        m.manufacturer,
        '--role',
        m.role,
        '--insurance',
        'lti',
        '--cost',
        '200',
      )
      await on(node, 'loadout', 'add', ship.id, '--name', 'Standard', '--component', 'nose=CF-337 Panther')
      ships.set(m.handle, ship.id)
    }
    const nova1 = await onJson<ShipView>(nova, 'ship', 'show', ships.get('Cmdr_Nova') as string)
    expect(nova1.loadouts.map((l) => l.name)).toEqual(['Standard'])

    // The leader plans an operation with a slot for each.
    const at = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000)
    const op = await onJson<OperationView>(
      leader,
      'op',
      'create',
      '--title',
      'Aaron Halo run',
      '--type',
      'mining',
      '--at',
      at.toISOString(),
      '--duration',
      '120',
      ...MEMBERS.flatMap((m) => ['--slot', m.slot]),
      '--description',
      'Bring a full tank.',
    )
    expect(op.status).toBe('planned')
    const upcoming = parseIcs(await on(leader, 'op', 'ical'))
    expect(upcoming.events.map((e) => e.summary)).toContain('Aaron Halo run')

    // Members see it on their nodes and sign up with their ships.
    for (const [i, m] of MEMBERS.entries()) {
      const node = members[i] as TestNode
      const seen = await waitFor(
        `${m.handle} sees the operation`,
        async () => {
          const res = await runMain(['-d', node.dir, 'op', 'show', op.id, '--json'])
          return res.code === 0 ? (JSON.parse(res.stdout) as OperationView) : undefined
        },
        30_000,
      )
      const slot = seen.slots.find((s) => s.role === m.slot)
      await on(
        node,
        'op',
        'signup',
        op.id,
        '--slot',
        slot?.id as string,
        '--ship',
        ships.get(m.handle) as string,
      )
    }

    // The leader sees the three sign-ups and confirms them.
    await waitFor(
      'the leader sees three sign-ups',
      async () => {
        const o = await onJson<OperationView>(leader, 'op', 'show', op.id)
        return o.participants.length === 3 ? o : undefined
      },
      30_000,
    )
    for (const m of MEMBERS) await on(leader, 'op', 'confirm', op.id, m.handle)
    const confirmed = await onJson<OperationView>(leader, 'op', 'show', op.id)
    expect(confirmed.participants.map((p) => [p.state, p.ship])).toEqual(
      expect.arrayContaining(MEMBERS.map((m) => ['confirmed', ships.get(m.handle)])),
    )

    // Planned → in progress → completed.
    await on(leader, 'op', 'status', op.id, 'in-progress')
    await on(leader, 'op', 'status', op.id, 'completed')
    expect((await onJson<OperationView>(leader, 'op', 'show', op.id)).status).toBe('completed')
    const refused = await runMain(['-d', leader.dir, 'op', 'status', op.id, 'planned'])
    expect(refused.code).toBe(1)

    // Its calendar file is valid RFC 5545.
    const ics = join(work, 'halo-run.ics')
    await on(leader, 'op', 'ical', op.id, '--out', ics)
    const cal = parseIcs(await readFile(ics, 'utf8'))
    expect(cal.events).toHaveLength(1)
    expect(cal.events[0]).toMatchObject({ summary: 'Aaron Halo run' })
    expect(cal.events[0]?.start.getTime()).toBe(at.getTime())

    // Every chain the leader holds verifies, and each member's actions are in the trail.
    await waitFor(
      "the leader holds and verifies every member's chain",
      async () => {
        const v = await onJson<AuditVerification>(leader, 'audit', 'verify')
        return v.ok && v.chains.length === 4 ? v : undefined
      },
      30_000,
    )
    expect(await on(leader, 'audit', 'verify')).toMatch(/4 chain\(s\), \d+ entries: all ok/)
    for (const [i, m] of MEMBERS.entries()) {
      const trail = await onJson<AuditPage>(leader, 'audit', 'list', '--member', m.handle)
      const actions = trail.items.map((e) => e.action)
      expect(actions, m.handle).toEqual(expect.arrayContaining(['ship.add', 'loadout.add']))
      expect(
        actions.some((a) => a.startsWith('op.')),
        `${m.handle}: ${actions}`,
      ).toBe(true)
      const table = await on(members[i] as TestNode, 'audit', 'list', '--member', m.handle)
      expect(table).toContain(m.handle)
    }
    const lead = (await onJson<AuditPage>(leader, 'audit', 'list', '--member', 'Cmdr_Vex')).items.map(
      (e) => e.action,
    )
    expect(lead).toEqual(
      expect.arrayContaining([
        'org.create',
        'invite.create',
        'member.admit',
        'member.rank',
        'rank.create',
        'license.install',
      ]),
    )
    expect(lead.filter((a) => a.startsWith('op.')).length).toBeGreaterThanOrEqual(5)
  }, 300_000)
})
