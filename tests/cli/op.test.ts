/**
 * `verseguy op …` against a running node (one real node process, the leader's), the CLI's
 * main run in this process; a second member's node runs in process too. Exit codes: 0 ok,
 * 1 refused, 2 usage (naming the flag), 3 forbidden.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initDataDir } from '../../node/index.ts'
import type { OperationView } from '../../services/operations/index.ts'
import { type RunningNode, runMain, startNode } from '../helpers/cli.ts'
import { parseIcs } from '../helpers/ics.ts'
import { FAST_KDF, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const PASS = 'op cli passphrase'
const env = { VERSEGUY_PASSPHRASE: PASS }
const nodes = useNodes()
let root: string
let dir: string
let leader: RunningNode

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vg-cli-op-'))
  dir = join(root, 'leader')
  await initDataDir(dir, PASS, FAST_KDF)
  leader = await startNode(['-d', dir, '--api-port', '0', '--log-level', 'silent'], env)
  const org = await runMain([
    '-d',
    dir,
    'org',
    'create',
    '--name',
    'Op Squadron',
    '--tag',
    'OPS',
    '--handle',
    'Cmdr_Lead',
  ])
  expect(org.code, org.stderr).toBe(0)
}, 60_000)
afterAll(async () => {
  await leader?.stop()
  await rm(root, { recursive: true, force: true })
})

/** `verseguy -d <leader> op …` */
const op = (...args: string[]) => runMain(['-d', dir, 'op', ...args])
const json = async <T>(...args: string[]): Promise<T> => {
  const res = await op(...args, '--json')
  expect(res.code, res.stderr).toBe(0)
  return JSON.parse(res.stdout) as T
}
const hours = (h: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + h * 3_600_000)
const iso = (d: Date) => d.toISOString().replace(':00.000Z', 'Z')

describe('verseguy op', () => {
  it('plans, runs and exports an operation; bad flags are usage errors naming the flag', async () => {
    const start = hours(30)
    // Usage errors (exit 2) name the flag, before anything runs.
    const usage: [string[], string][] = [
      [
        ['create', '--title', 'X', '--type', 'mining', '--at', '2030-01-02 18:30', '--duration', '60'],
        '--at',
      ],
      [
        ['create', '--title', 'X', '--type', 'mining', '--at', '2030-01-02T18:30', '--duration', '60'],
        '--at',
      ],
      [['create', '--title', 'X', '--type', 'piracy', '--at', iso(start), '--duration', '60'], '--type'],
      [['create', '--title', 'X', '--type', 'mining', '--at', iso(start), '--duration', '0'], '--duration'],
      [['list', '--status', 'done'], '--status'],
      [['list', '--upcoming', '--past'], '--upcoming'],
    ]
    for (const [args, flag] of usage) {
      const res = await op(...args)
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.stderr).toContain(flag)
    }
    expect(await json<unknown[]>('list')).toEqual([])

    const created = await json<OperationView>(
      'create',
      '--title',
      'Halo run',
      '--type',
      'mining',
      '--at',
      iso(start).replace('Z', '+00:00'),
      '--duration',
      '120',
      '--slot',
      'Miner',
      '--slot',
      'Escort',
      '--description',
      'Bring a Prospector.',
    )
    expect(created).toMatchObject({ title: 'Halo run', status: 'planned', scheduledAt: start.getTime() })
    expect(created.slots.map((s) => s.role)).toEqual(['Escort', 'Miner'])
    const id = created.id
    const drill = await op(
      'create',
      '--title',
      'Drill',
      '--type',
      'training',
      '--at',
      iso(hours(5)),
      '--duration',
      '30',
      '--draft',
    )
    expect(drill.code, drill.stderr).toBe(0)
    expect(drill.stdout).toMatch(/^Scheduled Drill \([0-9a-f]{32}\) for .* UTC, draft\.\n$/)

    const table = await op('list')
    expect(table.code).toBe(0)
    expect(table.stdout.indexOf('Drill')).toBeLessThan(table.stdout.indexOf('Halo run'))
    expect((await json<OperationView[]>('list', '--status', 'draft')).map((o) => o.title)).toEqual(['Drill'])
    expect(await json<OperationView[]>('list', '--past')).toEqual([])

    // Update; slots; sign-ups by handle.
    expect((await op('update', id)).code).toBe(2)
    const updated = await op('update', id, '--title', 'Halo run, west', '--duration', '90')
    expect(updated.code, updated.stderr).toBe(0)
    expect(updated.stdout).toContain('Updated Halo run, west')
    const slot = await json<{ slot: string }>('slot', 'add', id, '--role', 'Gunner')
    expect(slot.slot).toMatch(/^[0-9a-f]{16}$/)
    expect((await op('slot', 'remove', id, slot.slot)).code).toBe(0)
    const miner = created.slots.find((s) => s.role === 'Miner')?.id as string
    expect((await op('signup', id, '--slot', miner, '--tentative')).code).toBe(0)
    const confirm = await op('confirm', id, 'cmdr_lead')
    expect(confirm.code, confirm.stderr).toBe(0)
    const shown = await op('show', id)
    expect(shown.stdout).toContain('Halo run, west [mining] planned')
    expect(shown.stdout).toMatch(/Miner .*confirmed/)
    // People read handles, not keys: the leader, the slot's holder and the sign-up.
    expect(shown.stdout).toMatch(/leader {7}Cmdr_Lead\n/)
    expect(shown.stdout).toMatch(/Miner [0-9a-f]{16} \(Cmdr_Lead\)/)
    expect(shown.stdout).toMatch(/│ Cmdr_Lead +│ Miner/)
    expect((await op('confirm', id, 'Nobody_Here')).stderr).toMatch(/No member Nobody_Here/)
    expect((await op('withdraw', id)).stdout).toContain('You withdrew from Halo run, west.')

    // The lifecycle: a step it forbids is refused (exit 1), an unknown status is a usage error.
    const jump = await op('status', id, 'completed')
    expect(jump.code).toBe(1)
    expect(jump.stderr).toMatch(/cannot go from planned to completed/)
    expect((await op('status', id, 'finished')).code).toBe(2)
    expect((await op('status', id, 'in-progress')).stdout).toContain('is in-progress')
    expect((await op('status', id, 'completed')).code).toBe(0)
    expect((await op('cancel', id, '--yes')).code).toBe(1)
    expect((await op('cancel', drill.stdout.match(/[0-9a-f]{32}/)?.[0] as string)).code).toBe(2)
    expect((await op('show', 'ab'.repeat(16))).code).toBe(1)

    // Calendars: one operation's on stdout, every upcoming one's to a file.
    const upcoming = await op(
      'create',
      '--title',
      'Patrol',
      '--type',
      'combat',
      '--at',
      iso(hours(50)),
      '--duration',
      '60',
    )
    expect(upcoming.code).toBe(0)
    const one = await op('ical', id)
    expect(one.code, one.stderr).toBe(0)
    expect(parseIcs(one.stdout).events).toEqual([
      expect.objectContaining({
        uid: `${id}@verseguy`,
        summary: 'Halo run, west',
        start: start,
        end: new Date(start.getTime() + 90 * 60_000),
        utc: true,
      }),
    ])
    const out = join(root, 'ops.ics')
    const file = await op('ical', '--out', out)
    expect(file.stdout).toBe(`Wrote 2 operations to ${out}.\n`)
    const cal = parseIcs(await readFile(out, 'utf8'))
    expect(cal.name).toBe('Op Squadron operations')
    expect(cal.events.map((e) => e.summary)).toEqual(['Drill', 'Patrol'])
    expect(cal.events.every((e) => e.utc)).toBe(true)
  })

  it('a Member signs himself up, but signing up someone else is forbidden (exit 3)', async () => {
    const inv = await runMain(['-d', dir, 'invite', 'create', '--rank', 'Member', '--json'])
    expect(inv.code, inv.stderr).toBe(0)
    const m = await nodes.start('m')
    await m.api('POST', '/api/v1/invites/accept', { token: JSON.parse(inv.stdout).token, handle: 'Mem_M' })
    const created = await json<OperationView>(
      'create',
      '--title',
      'Escort',
      '--type',
      'combat',
      '--at',
      iso(hours(20)),
      '--duration',
      '60',
    )
    const mine = (...args: string[]) => runMain(['-d', m.dir, 'op', ...args])
    await waitFor('the operation on the member node', async () => (await mine('show', created.id)).code === 0)
    const other = await mine('signup', created.id, '--member', 'Cmdr_Lead', '--role', 'Pilot')
    expect(other.code).toBe(3)
    expect(other.stderr).toMatch(/needs ops:manage, which your rank Member does not have/)
    expect((await mine('withdraw', created.id, '--member', 'Cmdr_Lead')).code).toBe(3)
    expect((await mine('status', created.id, 'open')).code).toBe(3)
    const self = await mine('signup', created.id, '--role', 'Gunner')
    expect(self.code, self.stderr).toBe(0)
    // The leader sees it, and removes it.
    await waitFor('the sign-up on the leader node', async () =>
      (await json<OperationView>('show', created.id)).participants.some((p) => p.role === 'Gunner'),
    )
    const removed = await op('withdraw', created.id, '--member', 'Mem_M')
    expect(removed.code, removed.stderr).toBe(0)
    expect((await json<OperationView>('show', created.id)).participants).toEqual([])
  })
})

describe('verseguy op --tz', () => {
  it('keeps the time zone: op show gives the local times; a zone Intl does not know is refused; none clears it', async () => {
    const create = (tz: string) =>
      op(
        'create',
        '--title',
        'Social night',
        '--type',
        'social',
        '--at',
        '2030-01-04T19:00Z',
        '--duration',
        '180',
        '--tz',
        tz,
        '--json',
      )
    const made = await create('Europe/Berlin')
    expect(made.code, made.stderr).toBe(0)
    const id = (JSON.parse(made.stdout) as OperationView).id
    const shown = await op('show', id)
    expect(shown.stdout).toMatch(/time zone {4}Europe\/Berlin: Fri, 4 Jan 2030, 20:00.23:00 CET/)
    const refused = await create('Mars/Olympus')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('timeZone')
    expect(refused.stderr).toContain('IANA time zone')
    expect((await json<OperationView>('update', id, '--tz', 'none')).timeZone).toBeNull()
  })
})
