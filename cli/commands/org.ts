/** `verseguy org create|list|show|update|delete|leave`. */
import type { Command } from 'commander'
import type { OrgSummary } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { type Common, commandContext, common, defaultHandle, examples } from './context.ts'

export function registerOrg(program: Command): void {
  const ctx = commandContext(program)
  const org = program.command('org').description('orgs on this node')
  const path = (id: string) => `/api/v1/orgs/${encodeURIComponent(id)}`

  examples(
    common(
      org
        .command('create')
        .description('found an org: you become its Leader')
        .requiredOption('--name <name>', '3 to 64 characters, unique on this node')
        .requiredOption('--tag <tag>', '2 to 5 upper-case letters or digits')
        .option('--description <text>', 'what the org is about')
        .option('--handle <handle>', 'your RSI handle in the org (default: Member_ and your key)'),
      false,
    ),
    'org create --name "Crimson Fleet" --tag CRIM --handle Cmdr_Vex',
  ).action(async (opts: Common & { name: string; tag: string; description?: string; handle?: string }) => {
    const created = await ctx.run(opts, async (api) =>
      api.request<OrgSummary>('POST', '/api/v1/orgs', {
        name: opts.name,
        tag: opts.tag,
        description: opts.description,
        handle: opts.handle ?? (await defaultHandle(api)),
      }),
    )
    if (opts.json) printJson(created)
    else printLines([`Created org ${created.name} [${created.tag}] (${created.id}); you are its Leader.`])
  })

  examples(
    common(org.command('list').description('orgs this node holds'), false),
    'org list',
    'org list --json',
  ).action(async (opts: Common) => {
    const orgs = await ctx.run(opts, (api) => api.request<OrgSummary[]>('GET', '/api/v1/orgs'))
    if (opts.json) printJson(orgs)
    else
      await printTable(
        ['id', 'name', 'tag', 'members', 'founded', 'state'],
        orgs.map((o) => [
          o.id,
          o.name,
          o.tag,
          o.memberCount,
          when(o.founded),
          o.deleted ? 'deleted' : 'live',
        ]),
        `No orgs yet: ${ctx.hint('org create --name N --tag T')}`,
      )
  })

  examples(
    common(org.command('show').description('one org: name, tag, description, members')),
    'org show',
  ).action(async (opts: Common) => {
    const o = await ctx.run(opts, async (api) =>
      api.request<OrgSummary>('GET', path(await ctx.org(api, opts))),
    )
    if (opts.json) printJson(o)
    else printLines(orgLines(o))
  })

  examples(
    common(
      org
        .command('update')
        .description("change the org's name, tag or description (org:manage)")
        .option('--name <name>', 'the new name')
        .option('--tag <tag>', 'the new tag')
        .option('--description <text>', 'the new description'),
    ),
    'org update --description "Industry and exploration"',
  ).action(async (opts: Common & { name?: string; tag?: string; description?: string }) => {
    const { name, tag, description } = opts
    if (name === undefined && tag === undefined && description === undefined)
      throw new CliError('Give at least one of --name, --tag, --description.', { usage: true })
    const o = await ctx.run(opts, async (api) =>
      api.request<OrgSummary>('PATCH', path(await ctx.org(api, opts)), { name, tag, description }),
    )
    if (opts.json) printJson(o)
    else printLines([`Updated ${o.name} [${o.tag}].`])
  })

  examples(
    common(
      org
        .command('delete')
        .description('mark the org deleted: it becomes read-only everywhere; nothing is erased (org:delete)')
        .option('--yes', 'confirm'),
    ),
    'org delete --yes',
  ).action(async (opts: Common & { yes?: boolean }) => {
    if (opts.yes !== true)
      throw new CliError('Deleting makes the org read-only for every member. Add --yes to confirm.', {
        usage: true,
      })
    const o = await ctx.run(opts, async (api) =>
      api.request<OrgSummary>('DELETE', path(await ctx.org(api, opts))),
    )
    if (opts.json) printJson(o)
    else printLines([`Deleted ${o.name} [${o.tag}]: it is read-only from now on.`])
  })

  examples(
    common(
      org
        .command('leave')
        .description('leave the org: your changes stop counting there; your hangar stays yours')
        .option('--yes', 'confirm'),
    ),
    'org leave --yes',
  ).action(async (opts: Common & { yes?: boolean }) => {
    if (opts.yes !== true)
      throw new CliError('Leaving cannot be undone by you. Add --yes to confirm.', { usage: true })
    const o = await ctx.run(opts, async (api) =>
      api.request<OrgSummary>('POST', `${path(await ctx.org(api, opts))}/leave`),
    )
    if (opts.json) printJson(o)
    else printLines([`You left ${o.name} [${o.tag}].`])
  })
}

function orgLines(o: OrgSummary): string[] {
  return [
    `${o.name} [${o.tag}]${o.deleted ? ' (deleted, read-only)' : ''}`,
    `  id           ${o.id}`,
    `  founded      ${when(o.founded)}`,
    `  owner        ${o.owner}`,
    `  members      ${o.memberCount}`,
    ...(o.description === '' ? [] : [`  description  ${o.description}`]),
  ]
}
