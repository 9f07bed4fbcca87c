/** Printing results: JSON for `--json`, tables and short human text otherwise. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`)
}

/**
 * A table for people: a header row and one row a record (cli-table3, loaded when a table
 * is printed, so defining commands stays cheap). `empty` is printed instead of an empty table.
 */
export async function printTable(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  empty: string,
): Promise<void> {
  if (rows.length === 0) {
    printLines([empty])
    return
  }
  const { default: Table } = await import('cli-table3')
  const table = new Table({
    head: [...head],
    style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] },
  })
  for (const row of rows) table.push(row.map(String))
  process.stdout.write(`${table.toString()}\n`)
}

/** A time (ms since the epoch) as people read it: `2026-12-02 20:15 UTC`. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
