/**
 * `verseguy op feed [--rotate]`: the URL of this member's calendar feed of the org's
 * operations (served by the running node at `/cal/<token>.ics`), how to subscribe to it,
 * and a rotation for a URL that leaked.
 */
import type { Command } from 'commander'
import { printJson, printLines } from '../output.ts'
import { type CommandContext, type Common, common, examples } from './context.ts'

/** What `GET /orgs/{org}/calendar` answers. */
interface Feed {
  readonly url: string
  readonly webcal: string
  readonly running: boolean
  readonly pastDays: number
  readonly refreshMinutes: number
}

/** Adds `feed` to the `op` group. */
export function addOpFeed(op: Command, ctx: CommandContext): void {
  examples(
    common(
      op
        .command('feed')
        .description("your calendar feed's URL: subscribe to it in a calendar app (ops:view)")
        .option('--rotate', 'make a new URL; the old one stops working at once'),
    ),
    'op feed',
    'op feed --rotate',
  ).action(async (opts: Common & { rotate?: boolean }) => {
    const feed = await ctx.run(opts, async (api) => {
      const path = `/api/v1/orgs/${encodeURIComponent(await ctx.org(api, opts))}/calendar`
      return opts.rotate ? api.request<Feed>('POST', `${path}/rotate`) : api.request<Feed>('GET', path)
    })
    if (opts.json) return printJson(feed)
    const loopback = /^http:\/\/(127\.|\[::1\]|localhost)/.test(feed.url)
    printLines([
      opts.rotate ? 'New calendar feed URL (the old one no longer works):' : 'Calendar feed URL:',
      `  ${feed.url}`,
      `  ${feed.webcal}`,
      '',
      `Every upcoming operation and those that ended in the last ${feed.pastDays} days, times in UTC;`,
      `calendar apps are asked to poll every ${feed.refreshMinutes} minutes. Subscribe to it:`,
      '  Thunderbird     New Calendar > On the Network, paste the http:// URL',
      '  GNOME Calendar  Manage Calendars > Add Calendar, paste the URL',
      '  a phone         add a subscribed calendar with the URL, or open the webcal:// one',
      loopback
        ? 'It listens on loopback: only this machine reaches it (a phone on the LAN: docs/calendar.md).'
        : 'Devices on your LAN reach it at this address.',
      `Whoever has the URL sees the org's operations. If it leaked: ${ctx.hint('op feed --rotate')}`,
      ...(feed.running
        ? []
        : ['', `The node is not running: it serves the feed once started: ${ctx.hint('start')}`]),
    ])
  })
}
