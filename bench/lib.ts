/** Small benchmark helpers: timing, medians, a printed table, JSON results. */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export const quick = process.argv.includes('--quick')

/**
 * A full garbage collection, so a timed run starts with a collected heap and does not pay
 * for garbage the setup before it left (call it before each side of a comparison alike).
 */
export const settle: () => void = (() => {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

export async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

/** Wall time and this process's CPU time (user + system, every thread) of one run, in ms. */
export interface Measured {
  readonly ms: number
  readonly cpuMs: number
}

export async function measure(fn: () => unknown | Promise<unknown>): Promise<Measured> {
  const cpu = process.cpuUsage()
  const t = performance.now()
  await fn()
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 }
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
  // Load averages (1, 5, 15 min) when the results were written: the machine may be shared.
  const machine = {
    node: process.version,
    cpus: navigator.hardwareConcurrency,
    platform: process.platform,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  }
  writeFileSync(
    file,
    `${JSON.stringify({ name, quick, at: new Date().toISOString(), ...codeMeasured(), machine, ...data }, null, 2)}\n`,
  )
  return file.pathname
}

/**
 * Which code a result measured: the commit, and whether the tree differed from it
 * (results files themselves aside: the benches write them). Null outside a git checkout.
 */
function codeMeasured(): { commit: string | null; dirty: boolean | null } {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim()
  try {
    const commit = git('rev-parse', 'HEAD')
    const changed = git('status', '--porcelain', '--', '.', ':(exclude)bench/results')
    return { commit, dirty: changed.length > 0 }
  } catch {
    return { commit: null, dirty: null }
  }
}
