/** Small benchmark helpers: timing, medians, a printed table, JSON results. */
import { mkdirSync, writeFileSync } from 'node:fs'

export const quick = process.argv.includes('--quick')

export async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}

export interface Row {
  readonly figure: string
  readonly value: number
  readonly unit: string
  readonly target?: string
  readonly note?: string
}

export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`)
  console.table(
    rows.map((r) => ({
      figure: r.figure,
      value: Number(r.value.toPrecision(4)),
      unit: r.unit,
      target: r.target ?? '',
      note: r.note ?? '',
    })),
  )
}

export function writeResults(name: string, data: Record<string, unknown>): string {
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const file = new URL(`${name}${quick ? '.quick' : ''}.json`, dir)
  const machine = { node: process.version, cpus: navigator.hardwareConcurrency, platform: process.platform }
  writeFileSync(
    file,
    `${JSON.stringify({ name, quick, at: new Date().toISOString(), machine, ...data }, null, 2)}\n`,
  )
  return file.pathname
}
