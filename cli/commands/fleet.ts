/** `verseguy fleet stats`: the org's fleet composition. */
import type { Command } from 'commander'
import type { FleetStats } from '../../node/index.ts'
import { printJson } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { orgPath, printStats } from './ship.ts'

export function registerFleet(program: Command): void {
  const ctx = commandContext(program)
  const fleet = program.command('fleet').description("the org's fleet")
  examples(
    common(
      fleet
        .command('stats')
        .description(
          "the org's fleet composition over every ship you may see (fleet:view): ships, total value, by manufacturer, role, status, insurance",
        ),
    ),
    'fleet stats',
    'fleet stats --json',
  ).action(async (opts: Common) => {
    const s = await ctx.run(opts, async (api) =>
      api.request<FleetStats>('GET', `${orgPath(await ctx.org(api, opts))}/fleet/stats`),
    )
    if (opts.json) printJson(s)
    else await printStats(s)
  })
}
