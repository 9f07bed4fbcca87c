/**
 * `verseguy op create|list|show|update|cancel|status|slot add|slot remove|signup|withdraw|
 * confirm|ical|feed`. Times are ISO 8601 with an offset (`2030-01-02T18:30Z`,
 * `2030-01-02T20:30+02:00`); a time without one is a usage error, as it would mean a
 * different moment on every member's machine.
 */
import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { OperationView } from '../../node/index.ts'
import { OP_STATUSES, OP_TYPES } from '../../node/light.ts'
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'
import { oneOf, wholeNumber } from '../options.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { addOpFeed } from './op-feed.ts'
import { isoTime } from './op-input.ts'
import { keysIn, opLines, participantRows } from './op-view.ts'
import { handlesOf, memberKeyOf } from './roster-refs.ts'

const duration = wholeNumber('--duration', { min: 1, max: 10_080 })
const collect = (value: string, previous: string[] = []) => [...previous, value]

type Page<T> = { items: T[]; next: string | null }

export function registerOp(program: Command): void {
  const ctx = commandContext(program)
  const op = program.command('op').description('operations: plan, sign up, run, calendar')
  const ops = (org: string) => `/api/v1/orgs/${encodeURIComponent(org)}/ops`
  const one = (org: string, id: string) => `${ops(org)}/${encodeURIComponent(id)}`
  /** Runs `fn` with the API and the org, and prints the operation it answers. */
  const change = async (
    opts: Common,
    fn: (api: ApiClient, org: string) => Promise<OperationView>,
    done: (o: OperationView) => string,
  ) => {
    const o = await ctx.run(opts, async (api) => fn(api, await ctx.org(api, opts)))
    if (opts.json) printJson(o)
    else printLines([done(o)])
  }
  examples(
    common(
      op
        .command('create')
        .description('schedule an operation (ops:create); you lead it unless --leader')
        .requiredOption('--title <title>', '1 to 100 characters')
        .requiredOption('--type <type>', OP_TYPES.join(', '), oneOf('--type', OP_TYPES))
        .requiredOption('--at <time>', 'start: ISO 8601 with an offset (2030-01-02T18:30Z)', isoTime('--at'))
        .requiredOption('--duration <minutes>', '1 to 10080', duration)
        .option('--description <text>', 'briefing')
        .option('--leader <member>', 'handle or member key (default: you)')
        .option('--slot <role>', 'a slot to fill (repeat for more)', collect)
        .option('--tz <zone>', 'the IANA time zone it is planned in (Europe/Berlin), shown beside UTC')
        .option('--draft', 'create it as a draft (default: planned)'),
    ),
    'op create --title "Halo run" --type mining --at 2030-01-02T18:30Z --duration 120 --slot Miner --slot Escort',
    'op create --title "Social night" --type social --at 2030-01-04T20:00+01:00 --duration 180 --tz Europe/Berlin',
  ).action(
    async (
      opts: Common & {
        title: string
        type: string
        at: number
        duration: number
        description?: string
        leader?: string
        slot?: string[]
        tz?: string
        draft?: boolean
      },
    ) =>
      change(
        opts,
        async (api, org) =>
          api.request<OperationView>('POST', ops(org), {
            title: opts.title,
            type: opts.type,
            scheduledAt: opts.at,
            durationMin: opts.duration,
            description: opts.description,
            leader: opts.leader === undefined ? undefined : await memberKeyOf(api, org, opts.leader),
            status: opts.draft ? 'draft' : 'planned',
            slots: (opts.slot ?? []).map((role) => ({ role })),
            timeZone: opts.tz,
          }),
        (o) => `Scheduled ${o.title} (${o.id}) for ${when(o.scheduledAt)}, ${o.status}.`,
      ),
  )

  examples(
    common(
      op
        .command('list')
        .description('operations by start time (ops:view)')
        .option('--upcoming', 'only those not yet over, nor completed or cancelled')
        .option('--past', 'only those over, completed or cancelled')
        .option('--status <status>', OP_STATUSES.join(', '), oneOf('--status', OP_STATUSES)),
    ),
    'op list --upcoming',
    'op list --status completed --json',
  ).action(async (opts: Common & { upcoming?: boolean; past?: boolean; status?: string }) => {
    if (opts.upcoming && opts.past)
      throw new CliError('Give --upcoming or --past, not both.', { usage: true })
    const filter = opts.upcoming ? 'upcoming' : opts.past ? 'past' : 'all'
    const list = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const out: OperationView[] = []
      let cursor: string | null = null
      do {
        const q = new URLSearchParams({ limit: '500', when: filter })
        if (opts.status !== undefined) q.set('status', opts.status)
        if (cursor !== null) q.set('cursor', cursor)
        const page: Page<OperationView> = await api.request<Page<OperationView>>('GET', `${ops(org)}?${q}`)
        out.push(...page.items)
        cursor = page.next
      } while (cursor !== null)
      return out
    })
    if (opts.json) printJson(list)
    else
      await printTable(
        ['id', 'start', 'title', 'type', 'status', 'sign-ups'],
        list.map((o) => [
          o.id,
          when(o.scheduledAt),
          o.title,
          o.type,
          o.status,
          `${o.counts.confirmed} confirmed, ${o.counts.pending + o.counts.tentative} open`,
        ]),
        'No operations.',
      )
  })

  examples(
    common(
      op
        .command('show')
        .description('one operation, its slots and sign-ups')
        .argument('<op>', 'operation id'),
    ),
    'op show 3f2a…',
  ).action(async (id: string, opts: Common) => {
    const { o, handles } = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const o = await api.request<OperationView>('GET', one(org, id))
      return { o, handles: opts.json ? new Map<string, string>() : await handlesOf(api, org, keysIn(o)) }
    })
    if (opts.json) printJson(o)
    else {
      printLines(opLines(o, handles))
      await printTable(
        ['member', 'role', 'slot', 'ship', 'state'],
        participantRows(o, handles),
        'No sign-ups yet.',
      )
    }
  })

  examples(
    common(
      op
        .command('update')
        .description('change an operation (its leader or ops:manage)')
        .argument('<op>', 'operation id')
        .option('--title <title>', 'the new title')
        .option('--description <text>', 'the new briefing')
        .option('--type <type>', OP_TYPES.join(', '), oneOf('--type', OP_TYPES))
        .option('--at <time>', 'the new start: ISO 8601 with an offset', isoTime('--at'))
        .option('--duration <minutes>', '1 to 10080', duration)
        .option('--leader <member>', 'hand it to another member (handle or member key)')
        .option('--tz <zone>', 'the IANA time zone it is planned in (Europe/Berlin); none: no zone'),
    ),
    'op update 3f2a… --at 2030-01-03T19:00Z --duration 90',
    'op update 3f2a… --tz America/New_York',
  ).action(
    async (
      id: string,
      opts: Common & {
        title?: string
        description?: string
        type?: string
        at?: number
        duration?: number
        leader?: string
        tz?: string
      },
    ) => {
      const { title, description, type, at, duration: durationMin, leader, tz } = opts
      if ([title, description, type, at, durationMin, leader, tz].every((v) => v === undefined))
        throw new CliError(
          'Give at least one of --title, --description, --type, --at, --duration, --leader, --tz.',
          { usage: true },
        )
      await change(
        opts,
        async (api, org) =>
          api.request<OperationView>('PATCH', one(org, id), {
            title,
            description,
            type,
            scheduledAt: at,
            durationMin,
            leader: leader === undefined ? undefined : await memberKeyOf(api, org, leader),
            timeZone: tz === undefined ? undefined : tz === 'none' ? null : tz,
          }),
        (o) => `Updated ${o.title} (${o.id}): ${when(o.scheduledAt)}, ${o.durationMin} min.`,
      )
    },
  )

  examples(
    common(
      op
        .command('cancel')
        .description('cancel an operation: final (its leader or ops:manage)')
        .argument('<op>', 'operation id')
        .option('--yes', 'confirm'),
    ),
    'op cancel 3f2a… --yes',
  ).action(async (id: string, opts: Common & { yes?: boolean }) => {
    if (opts.yes !== true)
      throw new CliError('A cancelled operation cannot be planned again. Add --yes to confirm.', {
        usage: true,
      })
    await change(
      opts,
      (api, org) => api.request<OperationView>('POST', `${one(org, id)}/cancel`),
      (o) => `Cancelled ${o.title} (${o.id}).`,
    )
  })

  examples(
    common(
      op
        .command('status')
        .description(
          'move along the lifecycle: draft → planned → open ⇄ locked → in-progress → completed (its leader or ops:manage)',
        )
        .argument('<op>', 'operation id')
        .argument('<status>', OP_STATUSES.join(', '), oneOf('status', OP_STATUSES)),
    ),
    'op status 3f2a… in-progress',
  ).action(async (id: string, status: string, opts: Common) =>
    change(
      opts,
      (api, org) => api.request<OperationView>('PUT', `${one(org, id)}/status`, { status }),
      (o) => `${o.title} (${o.id}) is ${o.status}.`,
    ),
  )

  const slot = op.command('slot').description("an operation's slots (its leader or ops:manage)")
  examples(
    common(
      slot
        .command('add')
        .description('add a slot')
        .argument('<op>', 'operation id')
        .requiredOption('--role <role>', 'e.g. Pilot, Gunner, Miner')
        .option('--ship <ship>', 'a ship id the slot is for'),
    ),
    'op slot add 3f2a… --role Gunner',
  ).action(async (id: string, opts: Common & { role: string; ship?: string }) => {
    const added = await ctx.run(opts, async (api) =>
      api.request<{ slot: string; op: OperationView }>('POST', `${one(await ctx.org(api, opts), id)}/slots`, {
        role: opts.role,
        ship: opts.ship,
      }),
    )
    if (opts.json) printJson(added)
    else printLines([`Added slot ${added.slot} (${opts.role}) to ${added.op.title}.`])
  })
  examples(
    common(
      slot
        .command('remove')
        .description('remove a slot; its holder keeps a sign-up without it')
        .argument('<op>', 'operation id')
        .argument('<slot>', 'slot id'),
    ),
    'op slot remove 3f2a… 9c1d…',
  ).action(async (id: string, slotId: string, opts: Common) =>
    change(
      opts,
      (api, org) =>
        api.request<OperationView>('DELETE', `${one(org, id)}/slots/${encodeURIComponent(slotId)}`),
      (o) => `Removed slot ${slotId} from ${o.title}.`,
    ),
  )

  examples(
    common(
      op
        .command('signup')
        .description(
          'sign yourself up (pending until confirmed), or with --member someone else (its leader or ops:manage)',
        )
        .argument('<op>', 'operation id')
        .option('--role <role>', "your role (default: the slot's)")
        .option('--slot <slot>', 'a slot id (op show lists them)')
        .option('--ship <ship>', 'one of your ships (ship list)')
        .option('--tentative', 'maybe')
        .option('--member <member>', 'sign up this member instead (handle or member key)'),
    ),
    'op signup 3f2a… --slot 9c1d… --ship 0a1b2c3d4e5f6071',
    'op signup 3f2a… --member Cmdr_Vex --role Escort',
  ).action(
    async (
      id: string,
      opts: Common & { role?: string; slot?: string; ship?: string; tentative?: boolean; member?: string },
    ) =>
      change(
        opts,
        async (api, org) => {
          const input = { role: opts.role, slot: opts.slot, ship: opts.ship, tentative: opts.tentative }
          if (opts.member === undefined)
            return api.request<OperationView>('PUT', `${one(org, id)}/signup`, input)
          const key = await memberKeyOf(api, org, opts.member)
          return api.request<OperationView>('PUT', `${one(org, id)}/participants/${key}`, input)
        },
        (o) => `Signed ${opts.member ?? 'you'} up for ${o.title} (${o.id}).`,
      ),
  )

  examples(
    common(
      op
        .command('withdraw')
        .description(
          "withdraw your sign-up, or with --member remove someone else's (its leader or ops:manage)",
        )
        .argument('<op>', 'operation id')
        .option('--member <member>', "remove this member's sign-up (handle or member key)"),
    ),
    'op withdraw 3f2a…',
    'op withdraw 3f2a… --member Cmdr_Vex',
  ).action(async (id: string, opts: Common & { member?: string }) =>
    change(
      opts,
      async (api, org) =>
        opts.member === undefined
          ? api.request<OperationView>('DELETE', `${one(org, id)}/signup`)
          : api.request<OperationView>(
              'DELETE',
              `${one(org, id)}/participants/${await memberKeyOf(api, org, opts.member)}`,
            ),
      (o) =>
        opts.member === undefined
          ? `You withdrew from ${o.title}.`
          : `Removed ${opts.member}'s sign-up from ${o.title}.`,
    ),
  )

  examples(
    common(
      op
        .command('confirm')
        .description("confirm a member's sign-up (its leader or ops:manage)")
        .argument('<op>', 'operation id')
        .argument('<member>', 'handle or member key'),
    ),
    'op confirm 3f2a… Cmdr_Vex',
  ).action(async (id: string, member: string, opts: Common) =>
    change(
      opts,
      async (api, org) =>
        api.request<OperationView>(
          'POST',
          `${one(org, id)}/participants/${await memberKeyOf(api, org, member)}/confirm`,
        ),
      (o) => `Confirmed ${member} for ${o.title}.`,
    ),
  )

  examples(
    common(
      op
        .command('ical')
        .description('an iCalendar file (RFC 5545) of one operation, or of every upcoming one')
        .argument('[op]', 'operation id (default: every upcoming operation)')
        .option('--out <file>', 'write it to this file (default: print it)'),
    ),
    'op ical --out operations.ics',
    'op ical 3f2a… > halo-run.ics',
  ).action(async (id: string | undefined, opts: Common & { out?: string }) => {
    const { calendar } = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const path = id === undefined ? `${ops(org)}/ical` : `${one(org, id)}/ical`
      return api.request<{ calendar: string }>('GET', `${path}?format=json`)
    })
    if (opts.json) printJson({ calendar })
    else if (opts.out === undefined) process.stdout.write(calendar)
    if (opts.out !== undefined) {
      await writeFile(opts.out, calendar)
      const events = calendar.split('BEGIN:VEVENT').length - 1
      if (!opts.json) printLines([`Wrote ${events} operation${events === 1 ? '' : 's'} to ${opts.out}.`])
    }
  })
  addOpFeed(op, ctx)
}
