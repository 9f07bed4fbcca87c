/** `verseguy invite create|accept`. */
import type { Command } from 'commander'
import type { OrgSummary } from '../../node/index.ts'
import { number } from '../options.ts'
import { printJson, printLines } from '../output.ts'
import { type Common, commandContext, common, defaultHandle, examples, resolveRank } from './context.ts'

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
