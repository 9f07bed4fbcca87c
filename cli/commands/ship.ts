/** `verseguy ship add|list`. */
import type { Command } from 'commander'
import type { ShipSummary, ShipView } from '../../node/index.ts'
import { INSURANCE } from '../../node/light.ts'
import { number, oneOf } from '../options.ts'
import { printJson, printLines, printTable } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'

export function registerShip(program: Command): void {
  const ctx = commandContext(program)
  const ship = program.command('ship').description('ships in your hangar and the org fleet')
  const ships = (org: string) => `/api/v1/orgs/${encodeURIComponent(org)}/ships`
  examples(
    common(
      ship
        .command('add')
        .description('add a ship to your hangar')
        .requiredOption('--model <model>', 'e.g. Cutlass Black')
        .requiredOption('--manufacturer <name>', 'e.g. Drake Interplanetary')
        .option('--name <name>', "the ship's own name")
        .option('--cost <usd>', 'pledge cost', number('--cost', { min: 0 }))
        .option('--insurance <kind>', INSURANCE.join(', '), oneOf('--insurance', INSURANCE))
        .option('--location <place>', 'where it is parked'),
    ),
    'ship add --model "Cutlass Black" --manufacturer Drake --insurance lti',
  ).action(
    async (
      opts: Common & {
        model: string
        manufacturer: string
        name?: string
        cost?: number
        insurance?: string
        location?: string
      },
    ) => {
      const added = await ctx.run(opts, async (api) => {
        const { model, manufacturer, name, cost, insurance, location } = opts
        const body = Object.fromEntries(
          Object.entries({ model, manufacturer, name, cost, insurance, location }).filter(
            ([, v]) => v !== undefined,
          ),
        )
        return api.request<ShipView>('POST', ships(await ctx.org(api, opts)), body)
      })
      if (opts.json) printJson(added)
      else printLines([`Added ${added.model} (${added.id}) to your hangar.`])
    },
  )
  examples(
    common(
      ship
        .command('list')
        .description('your ships, or with --all every member ship you may see')
        .option('--all', "every member's ships"),
    ),
    'ship list',
    'ship list --all --json',
  ).action(async (opts: Common & { all?: boolean }) => {
    const list = await ctx.run(opts, async (api) =>
      api.request<ShipSummary[]>('GET', `${ships(await ctx.org(api, opts))}${opts.all ? '?all=1' : ''}`),
    )
    if (opts.json) printJson(list)
    else
      await printTable(
        ['id', 'model', 'manufacturer', 'name', 'status', 'owner'],
        list.map((s) => [s.id, s.model, s.manufacturer, s.name, s.status, s.owner.slice(0, 12)]),
        'No ships.',
      )
  })
}
