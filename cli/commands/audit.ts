/**
 * `verseguy audit list|verify|export`: the org's audit trail (its members' signed chain
 * entries), newest first with filters; its verification per member (exit 1 when any chain
 * is not ok, with the evidence); its export as JSON Lines or CSV (licensed).
 */
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import type { AuditIssue, AuditPage, AuditVerification } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import type { ApiClient } from '../node-client.ts'
import { oneOf, wholeNumber } from '../options.ts'
import { printJson, printLines, printTable, when } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'
import { handlesOf, memberKeyOf } from './roster-refs.ts'

interface ListOptions extends Common {
  member?: string
  action?: string
  doc?: string
  since?: number
  until?: number
  limit?: number
  cursor?: string
}

interface ExportOptions extends Common {
  format: 'jsonl' | 'csv'
  out?: string
  member?: string
  action?: string
  doc?: string
  since?: number
  until?: number
}

/** A time flag: ms since the epoch, or an ISO date/time (`2026-12-01`, `2026-12-01T18:00Z`). */
function timeFlag(flag: string): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
    if (!Number.isSafeInteger(n) || n < 0)
      throw new CliError(
        `${flag} must be a date/time (e.g. 2026-12-01T18:00Z) or ms since the epoch (got ${JSON.stringify(value)})`,
        {
          usage: true,
        },
      )
    return n
  }
}

function filters(cmd: Command): Command {
  return cmd
    .option('--member <member>', "only this member's entries (handle or member key)")
    .option('--action <action>', 'only this action (e.g. ship.add)')
    .option('--doc <doc>', 'only entries about this document or resource')
    .option('--since <time>', 'from this time (ISO date/time or ms)', timeFlag('--since'))
    .option('--until <time>', 'up to this time (ISO date/time or ms)', timeFlag('--until'))
}

/** The filters' query string; `--member` by handle or key (a whole key is taken as is). */
async function query(
  api: ApiClient,
  orgId: string,
  o: ListOptions | ExportOptions,
  extra: Record<string, string | number | undefined>,
): Promise<string> {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries({
    member: o.member === undefined ? undefined : await memberKeyOf(api, orgId, o.member),
    action: o.action,
    doc: o.doc,
    since: o.since,
    until: o.until,
    ...extra,
  }))
    if (v !== undefined) q.set(k, String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}

export function registerAudit(program: Command): void {
  const ctx = commandContext(program)
  const audit = program.command('audit').description("the org's audit trail: list, verify, export")
  const base = (orgId: string) => `/api/v1/orgs/${encodeURIComponent(orgId)}/audit`

  examples(
    filters(common(audit.command('list').description('audit entries, newest first (audit:view)')))
      .option(
        '--limit <n>',
        'entries per page (1–500, default 50)',
        wholeNumber('--limit', { min: 1, max: 500 }),
      )
      .option('--cursor <cursor>', 'continue after a previous page (its next cursor)'),
    'audit list',
    'audit list --member Cmdr_Nova --since 2026-12-01 --limit 20',
    'audit list --action ship.add --json',
  ).action(async (opts: ListOptions) => {
    const { page, handles } = await ctx.run(opts, async (api) => {
      const orgId = await ctx.org(api, opts)
      const page = await api.request<AuditPage>(
        'GET',
        `${base(orgId)}${await query(api, orgId, opts, { limit: opts.limit, cursor: opts.cursor })}`,
      )
      return {
        page,
        handles: await handlesOf(
          api,
          orgId,
          page.items.map((e) => e.author),
        ),
      }
    })
    if (opts.json) {
      printJson(page)
      return
    }
    await printTable(
      ['time', 'member', 'seq', 'action', 'resource'],
      page.items.map((e) => [
        when(e.time),
        handles.get(e.author) ?? `${e.author.slice(0, 12)}…`,
        e.seq,
        e.action,
        e.resource,
      ]),
      'No audit entries match.',
    )
    if (page.next !== null) printLines([`More: ${ctx.nextPage(page.next)}`])
  })

  examples(
    common(
      audit
        .command('verify')
        .description("verify every member's chain; exit 1 with the evidence if any is not ok"),
    ),
    'audit verify',
    'audit verify --json',
  ).action(async (opts: Common) => {
    const report = await ctx.run(opts, async (api) =>
      api.request<AuditVerification>('GET', `${base(await ctx.org(api, opts))}/verify`),
    )
    if (opts.json) printJson(report)
    else {
      printLines([
        `${report.chains.length} chain(s), ${report.chains.reduce((n, c) => n + c.entries, 0)} entries: ${report.ok ? 'all ok' : 'NOT OK'}`,
        ...report.chains.flatMap((c) => [
          `  ${c.author.slice(0, 16)}…  ${c.status}  ${c.verified}/${c.entries} verified`,
          ...c.issues.map((i) => `    ${describe(i)}`),
        ]),
      ])
    }
    if (!report.ok)
      throw new CliError('The audit trail does not verify: see the issues above.', { kind: 'conflict' })
  })

  examples(
    filters(
      common(
        audit
          .command('export')
          .description('export the trail as JSON Lines or CSV (license feature audit-export)'),
      ),
    )
      .requiredOption('--format <format>', 'jsonl or csv', oneOf('--format', ['jsonl', 'csv'] as const))
      .option('--out <file>', 'write to this file (default: standard output)'),
    'audit export --format csv --out audit.csv',
    'audit export --format jsonl --since 2026-12-01',
  ).action(async (opts: ExportOptions) => {
    await ctx.run(opts, async (api) => {
      const orgId = await ctx.org(api, opts)
      const body = await api.download(
        `${base(orgId)}/export${await query(api, orgId, opts, { format: opts.format })}`,
      )
      const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>)
      if (opts.out === undefined) await pipeline(source, process.stdout, { end: false })
      else await pipeline(source, createWriteStream(opts.out, { mode: 0o600 }))
    })
    if (opts.out !== undefined) process.stderr.write(`Wrote ${opts.out}\n`)
  })
}

function describe(i: AuditIssue): string {
  switch (i.kind) {
    case 'gap':
      return `gap: entries ${i.from}–${i.to} missing`
    case 'truncated':
      return `truncated: a head at seq ${i.knownSeq} was seen, only ${i.haveSeq} held`
    case 'fork': {
      return `fork at seq ${i.seq}: two signed entries ${i.evidence.map((e) => `${e.entry?.hash.slice(0, 16) ?? '?'}… (${e.entry?.action ?? '?'} ${e.entry?.resource ?? ''})`).join(' and ')}`
    }
    case 'tampered': {
      const e = i.evidence
      return `tampered at seq ${i.seq ?? '?'}: ${i.reason}${e?.entry ? ` (${e.entry.action} ${e.entry.resource}, hash ${e.entry.hash.slice(0, 16)}…)` : ''}`
    }
  }
}
