/** `verseguy rank list|create|update|delete|assign`. */
import type { Command } from 'commander'
import type { MemberView, RankView } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import { wholeNumber } from '../options.ts'
import { printJson, printLines, printTable } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { orgPath, resolveMember, resolveRankRef } from './roster-refs.ts'

/** Below the highest level a rank may have. */
const LEVEL_MAX = 999_999

/** `fleet:*,ops:view` → its permissions; `''` → none. */
function permissionList(value: string): string[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
}

/** A rank id from a name: `Wing Lead` → `wing-lead`. */
function idFrom(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
}

const level = () => wholeNumber('--level', { min: 1, max: LEVEL_MAX })

export function registerRank(program: Command): void {
  const ctx = commandContext(program)
  const rank = program.command('rank').description("the org's ranks")

  examples(
    common(rank.command('list').description("the org's ranks, highest first (ranks:view)")),
    'rank list',
    'rank list --json',
  ).action(async (opts: Common) => {
    const ranks = await ctx.run(opts, async (api) =>
      api.request<RankView[]>('GET', `${orgPath(await ctx.org(api, opts))}/ranks`),
    )
    if (opts.json) return printJson(ranks)
    await printTable(
      ['id', 'name', 'level', 'permissions'],
      ranks.map((r) => [r.id, r.name, r.level, r.permissions.join(', ')]),
      'No ranks.',
    )
  })

  examples(
    common(
      rank
        .command('create')
        .description('create a rank below your level (ranks:manage; a license with custom ranks)')
        .argument('<name>', 'the name people see, 1 to 32 characters')
        .requiredOption('--level <n>', 'a whole number from 1, below your own level', level())
        .option(
          '--like <rank>',
          "take this rank's permissions (with Pro, a custom rank has one of the default ranks' sets)",
        )
        .option(
          '--permissions <list>',
          'comma-separated, e.g. fleet:*,ops:view (ones you hold; a set of your own needs Enterprise)',
        )
        .option('--id <id>', 'lower-case letters, digits and - (default: from the name)'),
    ),
    'rank create "Wing Lead" --level 30 --like Member',
    'rank create Quartermaster --level 40 --permissions members:view,fleet:*,ops:view',
  ).action(
    async (
      name: string,
      opts: Common & { level: number; like?: string; permissions?: string; id?: string },
    ) => {
      if ((opts.like === undefined) === (opts.permissions === undefined))
        throw new CliError('Give one of --like or --permissions.', { usage: true })
      const created = await ctx.run(opts, async (api) => {
        const org = await ctx.org(api, opts)
        const permissions =
          opts.like !== undefined
            ? (await resolveRankRef(api, org, opts.like)).permissions
            : permissionList(opts.permissions as string)
        return api.request<RankView>('POST', `${orgPath(org)}/ranks`, {
          id: opts.id ?? idFrom(name),
          name,
          level: opts.level,
          permissions,
        })
      })
      if (opts.json) return printJson(created)
      printLines([`Created rank ${created.name} (${created.id}, level ${created.level}).`])
    },
  )

  examples(
    common(
      rank
        .command('update')
        .description("change a rank's name, level or permissions (ranks:manage; below your level)")
        .argument('<rank>', 'rank id or name (its start is enough)')
        .option('--name <name>', 'the new name')
        .option('--level <n>', 'the new level', level())
        .option('--permissions <list>', 'the new permissions, comma-separated (replaces them all)'),
    ),
    'rank update wing-lead --level 35',
    'rank update "Wing Lead" --permissions fleet:*,ops:*',
  ).action(async (given: string, opts: Common & { name?: string; level?: number; permissions?: string }) => {
    const { name, level: lvl, permissions } = opts
    if (name === undefined && lvl === undefined && permissions === undefined)
      throw new CliError('Give at least one of --name, --level, --permissions.', { usage: true })
    const updated = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const r = await resolveRankRef(api, org, given)
      return api.request<RankView>('PATCH', `${orgPath(org)}/ranks/${r.id}`, {
        ...(name === undefined ? {} : { name }),
        ...(lvl === undefined ? {} : { level: lvl }),
        ...(permissions === undefined ? {} : { permissions: permissionList(permissions) }),
      })
    })
    if (opts.json) return printJson(updated)
    printLines([`Updated rank ${updated.name} (${updated.id}, level ${updated.level}).`])
  })

  examples(
    common(
      rank
        .command('delete')
        .description('delete a rank nobody holds (ranks:manage)')
        .argument('<rank>', 'rank id or name (its start is enough)')
        .option('--yes', 'confirm'),
    ),
    'rank delete wing-lead --yes',
  ).action(async (given: string, opts: Common & { yes?: boolean }) => {
    if (opts.yes !== true)
      throw new CliError('Deleting a rank cannot be undone. Add --yes to confirm.', { usage: true })
    const deleted = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const r = await resolveRankRef(api, org, given)
      return api.request<RankView>('DELETE', `${orgPath(org)}/ranks/${r.id}`)
    })
    if (opts.json) return printJson(deleted)
    printLines([`Deleted rank ${deleted.name} (${deleted.id}).`])
  })

  examples(
    common(
      rank
        .command('assign')
        .description('promote or demote a member below your level to a rank below yours (ranks:assign)')
        .argument('<member>', 'handle or member key (its start is enough)')
        .argument('<rank>', 'rank id or name (its start is enough)'),
    ),
    'rank assign Cmdr_Nova Officer',
  ).action(async (who: string, given: string, opts: Common) => {
    const m = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const target = await resolveMember(api, org, who)
      const r = await resolveRankRef(api, org, given)
      return api.request<MemberView>('PUT', `${orgPath(org)}/members/${target.memberKey}/rank`, {
        rank: r.id,
      })
    })
    if (opts.json) return printJson(m)
    printLines([`${m.handle} is now ${m.rankName}.`])
  })
}
