/** `verseguy invite create|list|revoke|accept`. */
import type { Command } from 'commander'
import type { InviteView, OrgSummary } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import { number } from '../options.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { type Common, commandContext, common, defaultHandle, examples, resolveRank } from './context.ts'
import { allPages, orgPath } from './roster-refs.ts'

/** The longest an invite may stay valid: a year. */
const MAX_INVITE_HOURS = 24 * 365

export function registerInvite(program: Command): void {
  const ctx = commandContext(program)
  const invite = program.command('invite').description('invites into an org')
  examples(
    common(
      invite
        .command('create')
        .description('a signed, single-use invite for a rank below yours')
        .requiredOption('--rank <rank>', 'rank id or name, e.g. Member')
        .option(
          '--hours <n>',
          'valid for this many hours, more than 0 (default 72)',
          number('--hours', { above: 0, max: MAX_INVITE_HOURS }),
        ),
    ),
    'invite create --rank Member',
    'invite create --rank Recruit --hours 24',
  ).action(async (opts: Common & { rank: string; hours?: number }) => {
    const out = await ctx.run(opts, async (api) => {
      const orgId = await ctx.org(api, opts)
      const rank = await resolveRank(api, orgId, opts.rank)
      return api.request<{ token: string; invite: { id: string; expiresAt: number } }>(
        'POST',
        `/api/v1/orgs/${encodeURIComponent(orgId)}/invites`,
        { rank, ...(opts.hours === undefined ? {} : { expiresInHours: opts.hours }) },
      )
    })
    if (opts.json) printJson({ token: out.token, id: out.invite.id, expiresAt: out.invite.expiresAt })
    else printLines([out.token, `(single use; expires ${new Date(out.invite.expiresAt).toISOString()})`])
  })
  examples(
    common(
      invite
        .command('list')
        .description('invites of the org and their state, newest first (members:invite or members:manage)'),
    ),
    'invite list',
    'invite list --json',
  ).action(async (opts: Common) => {
    const invites = await ctx.run(opts, async (api) =>
      allPages<InviteView>(api, `${orgPath(await ctx.org(api, opts))}/invites`),
    )
    if (opts.json) return printJson(invites)
    await printTable(
      ['id', 'rank', 'state', 'created', 'expires', 'used by'],
      invites.map((i) => [
        i.id,
        i.rank,
        i.status,
        when(i.createdAt),
        when(i.expiresAt),
        i.usedBy?.slice(0, 12) ?? '',
      ]),
      `No invites yet: ${ctx.hint('invite create --rank Member')}`,
    )
  })
  examples(
    common(
      invite
        .command('revoke')
        .description('revoke an open invite: no node admits anyone with it any more (members:invite)')
        .argument('<invite>', 'invite id (its start is enough)'),
    ),
    'invite revoke 5c1e0a',
  ).action(async (given: string, opts: Common) => {
    const revoked = await ctx.run(opts, async (api) => {
      const org = await ctx.org(api, opts)
      let id = given.toLowerCase()
      if (!/^[0-9a-f]{32}$/.test(id)) {
        const fits = (await allPages<InviteView>(api, `${orgPath(org)}/invites`)).filter((i) =>
          i.id.startsWith(id),
        )
        if (fits.length !== 1)
          throw new CliError(
            fits.length === 0
              ? `No invite ${given}; ${ctx.hint('invite list')} lists them.`
              : `${given} fits ${fits.length} invites (${fits.map((i) => i.id.slice(0, 8)).join(', ')}): give more of it.`,
            fits.length === 0 ? { kind: 'not-found' } : { usage: true },
          )
        id = (fits[0] as InviteView).id
      }
      return api.request<InviteView>('DELETE', `${orgPath(org)}/invites/${id}`)
    })
    if (opts.json) return printJson(revoked)
    printLines([`Revoked invite ${revoked.id}: no node admits anyone with it any more.`])
  })
  examples(
    common(
      invite
        .command('accept')
        .description("join an org with an invite token: any member's node online admits you")
        .argument('<token>', 'the invite token (vginv1.…)')
        .option('--handle <handle>', 'your RSI handle in the org (default: Member_ and your key)'),
      false,
    ),
    'invite accept vginv1.… --handle Cmdr_Nova',
  ).action(async (token: string, opts: Common & { handle?: string }) => {
    const joined = await ctx.run(opts, async (api) =>
      api.request<OrgSummary>('POST', '/api/v1/invites/accept', {
        token,
        handle: opts.handle ?? (await defaultHandle(api)),
      }),
    )
    if (opts.json) printJson(joined)
    else printLines([`Joined ${joined.name} [${joined.tag}] (${joined.id}).`])
  })
}
