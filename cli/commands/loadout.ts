/** `verseguy loadout add|edit|activate|remove`: a ship's named loadouts, one active. */
import type { Command } from 'commander'
import type { ShipView } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'
import { printJson, printLines } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { resolveMember, shipLines, shipPath } from './ship.ts'

interface Component {
  slot: string
  item: string
  manufacturer?: string
}

/**
 * `--component slot=item[@manufacturer]`, repeatable: a spec that does not read is a
 * usage error (exit 2) naming the flag.
 */
function component(value: string, previous: Component[] = []): Component[] {
  const eq = value.indexOf('=')
  const slot = value.slice(0, eq).trim()
  const rest = value.slice(eq + 1)
  const at = rest.lastIndexOf('@')
  const item = (at < 0 ? rest : rest.slice(0, at)).trim()
  const manufacturer = at < 0 ? undefined : rest.slice(at + 1).trim()
  if (eq < 0 || slot === '' || item === '')
    throw new CliError(
      `--component must be slot=item or slot=item@manufacturer (got ${JSON.stringify(value)})`,
      {
        usage: true,
      },
    )
  return [...previous, { slot, item, ...(manufacturer === undefined ? {} : { manufacturer }) }]
}

const ownerFlag = (cmd: Command) =>
  cmd.option(
    '--owner <member>',
    "whose ship: handle, member key or me (default me; another's needs fleet:manage)",
  )

export function registerLoadout(program: Command): void {
  const ctx = commandContext(program)
  const loadout = program
    .command('loadout')
    .description("a ship's loadouts: named component sets, one active")
  const loadouts = async (api: ApiClient, opts: Common & { owner?: string }, ship: string) => {
    const org = await ctx.org(api, opts)
    return `${shipPath(org, await resolveMember(api, org, opts.owner ?? 'me'), ship)}/loadouts`
  }

  examples(
    common(
      ownerFlag(
        loadout
          .command('add')
          .description('add a named loadout to a ship (the first becomes active)')
          .argument('<ship>', 'ship id')
          .requiredOption('--name <name>', 'e.g. PvE, Mining')
          .option('--component <slot=item[@manufacturer]>', 'a component; repeat for each slot', component)
          .option('--active', "make it the ship's active loadout"),
      ),
    ),
    'loadout add 3f9c2a1b7d4e5f60 --name PvE --component "nose=CF-337 Panther@Klaus & Werner" --component wing=M5A',
  ).action(
    async (
      ship: string,
      opts: Common & { owner?: string; name: string; component?: Component[]; active?: boolean },
    ) => {
      const { id } = await ctx.run(opts, async (api) =>
        api.request<{ id: string }>('POST', await loadouts(api, opts, ship), {
          name: opts.name,
          components: opts.component ?? [],
          ...(opts.active ? { active: true } : {}),
        }),
      )
      if (opts.json) printJson({ id })
      else printLines([`Added loadout ${opts.name} (${id}) to ship ${ship}.`])
    },
  )

  examples(
    common(
      ownerFlag(
        loadout
          .command('edit')
          .description('rename a loadout or replace its components (slots not given are taken out)')
          .argument('<ship>', 'ship id')
          .argument('<loadout>', 'loadout id (ship show lists them)')
          .option('--name <name>', 'the new name')
          .option(
            '--component <slot=item[@manufacturer]>',
            'the new set of components; repeat for each slot',
            component,
          )
          .option('--clear', 'take every component out'),
      ),
    ),
    'loadout edit 3f9c2a1b7d4e5f60 9a8b7c6d5e4f3a2b --component nose=M5A --component wing=M5A',
    'loadout edit 3f9c2a1b7d4e5f60 9a8b7c6d5e4f3a2b --name "PvE heavy"',
  ).action(
    async (
      ship: string,
      id: string,
      opts: Common & { owner?: string; name?: string; component?: Component[]; clear?: boolean },
    ) => {
      if (opts.clear && opts.component !== undefined)
        throw new CliError('Give either --component or --clear, not both.', { usage: true })
      const components = opts.clear ? [] : opts.component
      if (opts.name === undefined && components === undefined)
        throw new CliError('Give --name, --component or --clear.', { usage: true })
      const s = await ctx.run(opts, async (api) =>
        api.request<ShipView>('PATCH', `${await loadouts(api, opts, ship)}/${encodeURIComponent(id)}`, {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(components === undefined ? {} : { components }),
        }),
      )
      if (opts.json) printJson(s)
      else printLines(shipLines(s))
    },
  )

  examples(
    common(
      ownerFlag(
        loadout
          .command('activate')
          .description("make a loadout the ship's active one")
          .argument('<ship>', 'ship id')
          .argument('<loadout>', 'loadout id'),
      ),
    ),
    'loadout activate 3f9c2a1b7d4e5f60 9a8b7c6d5e4f3a2b',
  ).action(async (ship: string, id: string, opts: Common & { owner?: string }) => {
    const s = await ctx.run(opts, async (api) =>
      api.request<ShipView>('POST', `${await loadouts(api, opts, ship)}/${encodeURIComponent(id)}/activate`),
    )
    if (opts.json) printJson(s)
    else
      printLines([`${s.loadouts.find((l) => l.active)?.name ?? id} is now the active loadout of ${s.model}.`])
  })

  examples(
    common(
      ownerFlag(
        loadout
          .command('remove')
          .description('remove a loadout (if it was active, the next one becomes active)')
          .argument('<ship>', 'ship id')
          .argument('<loadout>', 'loadout id'),
      ),
    ),
    'loadout remove 3f9c2a1b7d4e5f60 9a8b7c6d5e4f3a2b',
  ).action(async (ship: string, id: string, opts: Common & { owner?: string }) => {
    const s = await ctx.run(opts, async (api) =>
      api.request<ShipView>('DELETE', `${await loadouts(api, opts, ship)}/${encodeURIComponent(id)}`),
    )
    if (opts.json) printJson(s)
    else printLines([`Removed loadout ${id} from ${s.model}; ${s.loadouts.length} left.`])
  })
}
