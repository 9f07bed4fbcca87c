/**
 * `verseguy ship import FILE`: a HangarXPLOR (JSON or CSV) or FleetYards hangar export
 * into your hangar, as one change with one audit entry; `--dry-run` shows what would be
 * added and skipped. The file is read here within the import's bound (its size checked
 * before it is read) and sent to the node as text.
 */
import type { Command } from 'commander'
import type { ImportResult } from '../../node/index.ts'
import { IMPORT_FORMATS } from '../../node/light.ts'
import { oneOf } from '../options.ts'
import { printJson, printLines, printTable } from '../output.ts'
import { type CommandContext, type Common, common, examples } from './context.ts'

const importPath = (org: string) => `/api/v1/orgs/${encodeURIComponent(org)}/ships/import`

interface ImportOpts extends Common {
  format?: string
  dryRun?: boolean
}

/** Adds `import` to the `ship` command group. */
export function registerShipImport(ship: Command, ctx: CommandContext): void {
  examples(
    common(
      ship
        .command('import')
        .description(
          'import your hangar from a HangarXPLOR (JSON or CSV) or FleetYards export: one change, duplicates skipped',
        )
        .argument('<file>', 'the export file (at most 1 MiB, 1,000 entries)')
        .option(
          '--format <format>',
          `${IMPORT_FORMATS.join(', ')} (default: found from the content)`,
          oneOf('--format', IMPORT_FORMATS),
        )
        .option('--dry-run', 'show what would be added and skipped; change nothing'),
    ),
    'ship import HangarItems.json --dry-run',
    'ship import HangarItems.csv --format hangarxplor-csv',
    'ship import fleetyards-hangar.json --json',
  ).action(async (file: string, opts: ImportOpts) => {
    const { readImportFile } = await import('../../node/index.ts')
    const text = await readImportFile(file)
    const result = await ctx.run(opts, async (api) =>
      api.request<ImportResult>('POST', importPath(await ctx.org(api, opts)), {
        text,
        ...(opts.format === undefined ? {} : { format: opts.format }),
        ...(opts.dryRun ? { dryRun: true } : {}),
      }),
    )
    if (opts.json) {
      printJson(result)
      return
    }
    await printResult(result)
  })
}

async function printResult(r: ImportResult): Promise<void> {
  const rows = [
    ...r.added.map((s) => [
      s.row,
      r.dryRun ? 'would add' : 'added',
      s.model,
      s.manufacturer,
      s.name,
      s.insurance,
      '',
    ]),
    ...r.skipped.map((s) => [s.row, 'skipped', s.model, '', s.name, '', s.detail]),
  ].sort((a, b) => (a[0] as number) - (b[0] as number))
  await printTable(
    ['row', 'result', 'model', 'manufacturer', 'name', 'insurance', 'why'],
    rows,
    'The file holds no ships.',
  )
  const n = (k: number) => `${k} ship${k === 1 ? '' : 's'}`
  printLines([
    r.dryRun
      ? `Dry run (${r.format}): would add ${n(r.added.length)}, skip ${r.skipped.length}. Nothing was changed.`
      : r.added.length === 0
        ? `Nothing to import (${r.format}): skipped ${r.skipped.length}. Nothing was changed.`
        : `Imported ${n(r.added.length)} (${r.format}) in one change; skipped ${r.skipped.length}.`,
  ])
}
