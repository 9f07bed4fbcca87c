/** `verseguy ship add|list|show|update|remove|stats|import`. */
import type { Command } from 'commander'
import type { FleetStats, ShipSummary, ShipView } from '../../node/index.ts'
import { INSURANCE, SHIP_STATUS, VISIBILITY } from '../../node/light.ts'
import { CliError, NodeAnswerError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'
import { number, oneOf, wholeNumber } from '../options.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { registerShipImport } from './ship-import.ts'

const SORTS = ['model', 'manufacturer', 'status', 'cost', 'added'] as const
const KEY = /^[0-9a-f]{64}$/

export const orgPath = (org: string) => `/api/v1/orgs/${encodeURIComponent(org)}`
/** One ship's path: `owner` is a member key or `me`. */
export const shipPath = (org: string, owner: string, ship: string) =>
  `${orgPath(org)}/members/${encodeURIComponent(owner)}/ships/${encodeURIComponent(ship)}`

/**
 * The member `--owner` names: `me`, a member key, a key's first characters (8 or more),
 * or a handle (any case), looked up in the roster (members:view).
 */
export async function resolveMember(api: ApiClient, org: string, given: string): Promise<string> {
  if (given === 'me' || KEY.test(given)) return given
  const want = given.toLowerCase()
  const found = new Set<string>()
  let cursor: string | null = null
  do {
    const page: { items: { memberKey: string; handle: string }[]; next: string | null } = await api.request(
      'GET',
      `${orgPath(org)}/members?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    )
    for (const m of page.items)
      if (m.handle.toLowerCase() === want || (want.length >= 8 && m.memberKey.startsWith(want)))
        found.add(m.memberKey)
    cursor = page.next
  } while (cursor !== null)
  const [only, ...more] = found
  if (only === undefined)
    throw new CliError(`No member ${given} in this org: give a handle, a member key or \`me\`.`)
  if (more.length > 0) throw new CliError(`${given} names ${found.size} members: give the whole member key.`)
  return only
}

/**
 * Runs a request about one ship; when no `--owner` was given and the ship is not in your
 * hangar, the error says how to name another member's.
 */
export async function inHangar<T>(owner: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (owner !== undefined || !(e instanceof NodeAnswerError) || e.code !== 'ship-not-found') throw e
    throw new CliError(`${e.message} Another member's ship? Name its owner: --owner HANDLE.`, {
      kind: 'not-found',
    })
  }
}

/** Keeps the defined values of `o`. */
export function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

/** The ship flags `add` and `update` share (besides model and manufacturer). */
function shipFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', "the ship's own name")
    .option('--role <role>', 'e.g. fighter, mining, cargo')
    .option('--status <status>', SHIP_STATUS.join(', '), oneOf('--status', SHIP_STATUS))
    .option('--location <place>', 'where it is parked')
    .option('--insurance <kind>', INSURANCE.join(', '), oneOf('--insurance', INSURANCE))
    .option('--visibility <who>', `${VISIBILITY.join(', ')} (default org)`, oneOf('--visibility', VISIBILITY))
    .option('--pledge-date <date>', 'YYYY-MM-DD')
    .option('--cost <usd>', 'pledge cost', number('--cost', { min: 0 }))
}

interface ShipOpts extends Common {
  name?: string
  role?: string
  status?: string
  location?: string
  insurance?: string
  visibility?: string
  pledgeDate?: string
  cost?: number
}

const shipFields = (o: ShipOpts) =>
  defined({
    name: o.name,
    role: o.role,
    status: o.status,
    location: o.location,
    insurance: o.insurance,
    visibility: o.visibility,
    pledgeDate: o.pledgeDate,
    cost: o.cost,
  })

export function shipLines(s: ShipView): string[] {
  return [
    `${s.model} (${s.manufacturer})${s.name === '' ? '' : ` "${s.name}"`}`,
    `  id          ${s.id}`,
    `  owner       ${s.owner}`,
    `  status      ${s.status}`,
    `  role        ${s.role || '—'}`,
    `  location    ${s.location || '—'}`,
    `  insurance   ${s.insurance}`,
    `  cost        ${s.cost} USD`,
    `  pledged     ${s.pledgeDate ?? '—'}`,
    ...(s.pledgeId === '' ? [] : [`  pledge id   ${s.pledgeId}`]),
    `  visibility  ${s.visibility}`,
    `  added       ${when(s.addedAt)}`,
    ...(s.loadouts.length === 0 ? ['  loadouts    none'] : ['  loadouts']),
    ...s.loadouts.flatMap((l) => [
      `    ${l.active ? '*' : ' '} ${l.name} (${l.id})`,
      ...l.components.map(
        (c) => `        ${c.slot}: ${c.item}${c.manufacturer === '' ? '' : ` (${c.manufacturer})`}`,
      ),
    ]),
  ]
}

/** Prints fleet stats for people: the totals, then a table of every breakdown. */
export async function printStats(s: FleetStats): Promise<void> {
  printLines([`${s.ships} ship${s.ships === 1 ? '' : 's'}, total value ${s.totalCost} USD`])
  const rows = (['byManufacturer', 'byRole', 'byStatus', 'byInsurance'] as const).flatMap((f) =>
    Object.entries(s[f])
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, n]) => [f.slice(2).toLowerCase(), k, n]),
  )
  if (rows.length > 0) await printTable(['by', 'value', 'ships'], rows, '')
}

export function registerShip(program: Command): void {
  const ctx = commandContext(program)
  const ship = program.command('ship').description('ships in your hangar and the org fleet')

  examples(
    common(
      shipFlags(
        ship
          .command('add')
          .description('add a ship to your hangar')
          .requiredOption('--model <model>', 'e.g. Cutlass Black')
          .requiredOption('--manufacturer <name>', 'e.g. Drake Interplanetary'),
      ),
    ),
    'ship add --model "Cutlass Black" --manufacturer Drake --insurance lti --role fighter',
  ).action(async (opts: ShipOpts & { model: string; manufacturer: string }) => {
    const added = await ctx.run(opts, async (api) =>
      api.request<ShipView>('POST', `${orgPath(await ctx.org(api, opts))}/ships`, {
        model: opts.model,
        manufacturer: opts.manufacturer,
        ...shipFields(opts),
      }),
    )
    if (opts.json) printJson(added)
    else printLines([`Added ${added.model} (${added.id}) to your hangar.`])
  })

  examples(
    common(
      ship
        .command('list')
        .description('your ships, or with --all every ship you may see (fleet:view), a page at a time')
        .option('--all', "every member's ships you may see")
        .option('--owner <member>', "one member's hangar: handle, member key or me")
        .option('--manufacturer <name>', 'only this manufacturer (whole name, any case)')
        .option('--role <role>', 'only this role (any case)')
        .option('--status <status>', SHIP_STATUS.join(', '), oneOf('--status', SHIP_STATUS))
        .option('--insurance <kind>', INSURANCE.join(', '), oneOf('--insurance', INSURANCE))
        .option('--sort <by>', `${SORTS.join(', ')} (default model)`, oneOf('--sort', SORTS))
        .option('--desc', 'descending order')
        .option(
          '--limit <n>',
          'ships per page (default 50, at most 500)',
          wholeNumber('--limit', { min: 1, max: 500 }),
        )
        .option('--cursor <cursor>', 'the next page, as the previous one printed'),
    ),
    'ship list',
    'ship list --all --manufacturer Drake --status available',
    'ship list --owner Cmdr_Vex --sort cost --desc --json',
  ).action(
    async (
      opts: Common & {
        all?: boolean
        owner?: string
        manufacturer?: string
        role?: string
        status?: string
        insurance?: string
        sort?: string
        desc?: boolean
        limit?: number
        cursor?: string
      },
    ) => {
      if (opts.all && opts.owner !== undefined)
        throw new CliError('Give either --all or --owner, not both.', { usage: true })
      const page = await ctx.run(opts, async (api) => {
        const org = await ctx.org(api, opts)
        const owner = opts.all ? undefined : await resolveMember(api, org, opts.owner ?? 'me')
        const query = new URLSearchParams(
          defined({
            owner,
            manufacturer: opts.manufacturer,
            role: opts.role,
            status: opts.status,
            insurance: opts.insurance,
            sort: opts.sort,
            order: opts.desc ? 'desc' : undefined,
            limit: opts.limit?.toString(),
            cursor: opts.cursor,
          }) as Record<string, string>,
        )
        return api.request<{ items: ShipSummary[]; next: string | null; total: number }>(
          'GET',
          `${orgPath(org)}/ships?${query}`,
        )
      })
      if (opts.json) {
        printJson(page)
        return
      }
      await printTable(
        ['id', 'model', 'manufacturer', 'name', 'role', 'status', 'insurance', 'cost', 'owner'],
        page.items.map((s) => [
          s.id,
          s.model,
          s.manufacturer,
          s.name,
          s.role,
          s.status,
          s.insurance,
          s.cost,
          s.owner.slice(0, 12),
        ]),
        'No ships.',
      )
      if (page.next !== null)
        printLines([`${page.items.length} of ${page.total} ships; next page: ${ctx.nextPage(page.next)}`])
    },
  )

  examples(
    common(
      ship
        .command('show')
        .description('one ship with its loadouts')
        .argument('<ship>', 'ship id (ship list shows them)')
        .option('--owner <member>', 'whose hangar: handle, member key or me (default me)'),
    ),
    'ship show 3f9c2a1b7d4e5f60',
    'ship show 3f9c2a1b7d4e5f60 --owner Cmdr_Vex --json',
  ).action(async (id: string, opts: Common & { owner?: string }) => {
    const s = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const owner = await resolveMember(api, org, opts.owner ?? 'me')
      return inHangar(opts.owner, () => api.request<ShipView>('GET', shipPath(org, owner, id)))
    })
    if (opts.json) printJson(s)
    else printLines(shipLines(s))
  })

  examples(
    common(
      shipFlags(
        ship
          .command('update')
          .description("change a ship (yours; a lower member's with fleet:manage)")
          .argument('<ship>', 'ship id')
          .option('--owner <member>', 'whose hangar: handle, member key or me (default me)'),
      ),
    ),
    'ship update 3f9c2a1b7d4e5f60 --status destroyed',
    'ship update 3f9c2a1b7d4e5f60 --location "Port Olisar" --visibility officers',
  ).action(async (id: string, opts: ShipOpts & { owner?: string }) => {
    const patch = shipFields(opts)
    if (Object.keys(patch).length === 0)
      throw new CliError(
        'Give at least one of --name, --role, --status, --location, --insurance, --visibility, --pledge-date, --cost.',
        { usage: true },
      )
    const s = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const owner = await resolveMember(api, org, opts.owner ?? 'me')
      return inHangar(opts.owner, () => api.request<ShipView>('PATCH', shipPath(org, owner, id), patch))
    })
    if (opts.json) printJson(s)
    else
      printLines([
        `Updated ${s.model} (${s.id}): ${s.status}${s.location === '' ? '' : `, at ${s.location}`}.`,
      ])
  })

  examples(
    common(
      ship
        .command('remove')
        .description("remove a ship and its loadouts (yours; a lower member's with fleet:manage)")
        .argument('<ship>', 'ship id')
        .option('--owner <member>', 'whose hangar: handle, member key or me (default me)'),
    ),
    'ship remove 3f9c2a1b7d4e5f60',
  ).action(async (id: string, opts: Common & { owner?: string }) => {
    const s = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const owner = await resolveMember(api, org, opts.owner ?? 'me')
      return inHangar(opts.owner, () => api.request<ShipView>('DELETE', shipPath(org, owner, id)))
    })
    if (opts.json) printJson(s)
    else printLines([`Removed ${s.model} (${s.id}).`])
  })

  examples(
    common(
      ship
        .command('stats')
        .description('hangar stats: ships, total value, by manufacturer, role, status, insurance')
        .option('--owner <member>', "another member's hangar (fleet:view): handle, member key or me"),
    ),
    'ship stats',
    'ship stats --owner Cmdr_Vex --json',
  ).action(async (opts: Common & { owner?: string }) => {
    const s = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const owner = await resolveMember(api, org, opts.owner ?? 'me')
      return api.request<FleetStats>('GET', `${orgPath(org)}/fleet/stats/${encodeURIComponent(owner)}`)
    })
    if (opts.json) printJson(s)
    else await printStats(s)
  })

  registerShipImport(ship, ctx)
}
