/** `verseguy member list|show|kick|note|handle|flagged`. */
import type { Command } from 'commander'
import type { FlaggedChange, MemberListItem, MemberView, NodeStatus } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'
import { oneOf, wholeNumber } from '../options.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { allPages, memberKeyOf, orgPath, resolveMember } from './roster-refs.ts'

const SORTS = ['handle', 'rank', 'joined', 'ships'] as const
const PAGE_MAX = 500

interface Page<T> {
  readonly items: T[]
  readonly next: string | null
  readonly total: number
}

interface PageOpts extends Common {
  limit?: number
  cursor?: string
  all?: boolean
}

/** `--limit`, `--cursor`, `--all` on a list command. */
function paged(cmd: Command): Command {
  return cmd
    .option(
      '--limit <n>',
      `how many per page (1 to ${PAGE_MAX}, default 50)`,
      wholeNumber('--limit', { min: 1, max: PAGE_MAX }),
    )
    .option('--cursor <cursor>', 'the page after this cursor (printed under the previous page)')
    .option('--all', 'every page')
}

/** One page (or with `--all` every page) of the list at `path`. */
async function fetchPage<T>(
  api: ApiClient,
  path: string,
  opts: PageOpts,
  query: Record<string, string>,
): Promise<Page<T>> {
  if (opts.all) {
    const items = await allPages<T>(api, path, new URLSearchParams(query).toString())
    return { items, next: null, total: items.length }
  }
  const params = new URLSearchParams(query)
  if (opts.limit !== undefined) params.set('limit', String(opts.limit))
  if (opts.cursor !== undefined) params.set('cursor', opts.cursor)
  return api.request<Page<T>>('GET', `${path}?${params}`)
}

export function registerMember(program: Command): void {
  const ctx = commandContext(program)
  const member = program.command('member').description("the org's members")
  /** Under a page: how many of how many, and the command for the next one. */
  const more = (page: Page<unknown>) =>
    page.next === null ? [] : [`${page.items.length} of ${page.total}; next page: ${ctx.nextPage(page.next)}`]

  examples(
    common(
      paged(
        member
          .command('list')
          .description('members with rank, handle, joined and ships, a page at a time (members:view)')
          .option('--sort <by>', SORTS.join(', '), oneOf('--sort', SORTS)),
      ),
    ),
    'member list',
    'member list --sort rank --limit 20',
    'member list --all --json',
  ).action(async (opts: PageOpts & { sort?: string }) => {
    const page = await ctx.run(opts, async (api) =>
      fetchPage<MemberListItem>(api, `${orgPath(await ctx.org(api, opts))}/members`, opts, {
        ...(opts.sort === undefined ? {} : { sort: opts.sort }),
      }),
    )
    if (opts.json) return printJson(opts.all ? page.items : page)
    await printTable(
      ['handle', 'rank', 'joined', 'ships', 'key'],
      page.items.map((m) => [m.handle, m.rankName, when(m.joinedAt), m.ships, m.memberKey.slice(0, 12)]),
      'No members.',
    )
    printLines(more(page))
  })

  examples(
    common(
      member
        .command('show')
        .description('one member (members:view): by handle or the start of their key')
        .argument('<member>', 'handle or member key (its start is enough)'),
    ),
    'member show Cmdr_Nova',
    'member show 3fa9c2 --json',
  ).action(async (given: string, opts: Common) => {
    const m = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const key = await memberKeyOf(api, org, given)
      return api.request<MemberListItem>('GET', `${orgPath(org)}/members/${key}`)
    })
    if (opts.json) return printJson(m)
    printLines([
      `${m.handle}`,
      `  key      ${m.memberKey}`,
      `  rank     ${m.rankName} (${m.rank}, level ${m.level})`,
      `  joined   ${when(m.joinedAt)}`,
      `  ships    ${m.ships}`,
      ...(m.notes === '' ? [] : [`  notes    ${m.notes}`]),
    ])
  })

  examples(
    common(
      member
        .command('kick')
        .description('remove a member below your level (members:kick): what they do from now has no effect')
        .argument('<member>', 'handle or member key (its start is enough)')
        .option('--yes', 'confirm'),
    ),
    'member kick Cmdr_Nova --yes',
  ).action(async (given: string, opts: Common & { yes?: boolean }) => {
    if (opts.yes !== true)
      throw new CliError('Kicking removes the member from the org on every node. Add --yes to confirm.', {
        usage: true,
      })
    const m = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const target = await resolveMember(api, org, given)
      return api.request<MemberView>('POST', `${orgPath(org)}/members/${target.memberKey}/kick`)
    })
    if (opts.json) return printJson(m)
    printLines([
      `Removed ${m.handle} (${m.memberKey.slice(0, 12)}). What they do past now has no effect; ` +
        `changes they made concurrently are listed by ${ctx.hint('member flagged')}.`,
    ])
  })

  examples(
    common(
      member
        .command('note')
        .description("set the notes on a member (members:manage); '' clears them")
        .argument('<member>', 'handle or member key (its start is enough)')
        .argument('<text>', 'the notes, at most 2000 characters'),
    ),
    'member note Cmdr_Nova "Prefers mining ops"',
  ).action(async (given: string, text: string, opts: Common) => {
    const m = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const key = await memberKeyOf(api, org, given)
      return api.request<MemberListItem>('PATCH', `${orgPath(org)}/members/${key}`, { notes: text })
    })
    if (opts.json) return printJson(m)
    printLines([`Notes on ${m.handle} saved.`])
  })

  examples(
    common(
      member
        .command('handle')
        .description("change your RSI handle in the org, or with --member another's (members:manage)")
        .argument('<handle>', 'the new handle: 3 to 60 letters, digits, - or _')
        .option('--member <member>', 'whose handle (default: yours)'),
    ),
    'member handle Cmdr_Vex',
    'member handle Nova_2 --member Cmdr_Nova',
  ).action(async (handle: string, opts: Common & { member?: string }) => {
    const m = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const key =
        opts.member === undefined
          ? ((await api.request<NodeStatus>('GET', '/api/v1/status')).memberKey ?? '')
          : await memberKeyOf(api, org, opts.member)
      return api.request<MemberListItem>('PATCH', `${orgPath(org)}/members/${key}`, { handle })
    })
    if (opts.json) return printJson(m)
    printLines([`Handle set: ${m.handle} (${m.memberKey.slice(0, 12)}).`])
  })

  examples(
    common(
      paged(
        member
          .command('flagged')
          .description(
            'changes of removed or demoted members past their recorded heads: no effect anywhere (members:kick or members:manage)',
          ),
      ),
    ),
    'member flagged',
    'member flagged --all --json',
  ).action(async (opts: PageOpts) => {
    const { page, handles } = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      const page = await fetchPage<FlaggedChange>(api, `${orgPath(org)}/flagged`, opts, {})
      // Removed members are off the list: their keys show, a current member's handle too.
      const handles = new Map<string, string>()
      if (!opts.json && page.items.length > 0)
        for (const m of await allPages<MemberListItem>(api, `${orgPath(org)}/members`))
          handles.set(m.memberKey, m.handle)
      return { page, handles }
    })
    if (opts.json) return printJson(opts.all ? page.items : page)
    await printTable(
      ['time', 'author', 'why', 'action', 'resource', 'seq'],
      page.items.map((f) => [
        when(f.time),
        handles.get(f.author) ?? f.author.slice(0, 12),
        f.why,
        f.action,
        f.resource,
        f.seq,
      ]),
      'Nothing flagged: no removed or demoted member wrote past their recorded head.',
    )
    printLines(more(page))
  })
}
