/**
 * The convergence bench with one process per node (`convergence.bench.ts --processes`),
 * as members run them: N nodes on 127.0.0.1 (mDNS off, one bootstrap node), each a
 * child process (`convergence-child.ts`) driven over IPC. Gossip latency: single
 * changes made one at a time, each by the next node in turn, from the call that makes it
 * to stored on each other node (wall clock, shared by the processes). Run with the
 * periodic pulls off (one a day: a change arrives by gossip or not at all, bar the
 * catch-up a new connection starts) and on (every 5 s, as the in-process bench). The
 * nodes' CPU time during the probes is reported beside the latencies (what the periodic
 * pulls cost shows there).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { waitFor } from '../tests/helpers/wait-for.ts'
import { benchNodeDir } from './bench-node-dir.ts'
import { percentile, type Row } from './lib.ts'

const PASS = 'convergence bench passphrase'
/** The cheapest scrypt the key file allows: N key files are sealed and opened here. */
const CHILD = new URL('./convergence-child.ts', import.meta.url).pathname

export type Pulls = 'off' | 'on'

class Child {
  readonly #proc: ChildProcess
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #next = 0
  readonly ready: Promise<void>

  constructor(dir: string, onGot: (hashes: string[], at: number) => void) {
    this.#proc = fork(CHILD, [dir, PASS], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.ready = new Promise((resolve, reject) => {
      this.#proc.once('exit', (code) => reject(new Error(`a node process exited (${code})`)))
      this.#proc.on('message', (m: Record<string, unknown>) => {
        if (m.ready === true) resolve()
        else if (Array.isArray(m.got)) onGot(m.got as string[], m.at as number)
        else {
          const call = this.#calls.get(m.id as number)
          this.#calls.delete(m.id as number)
          if (m.ok === true) call?.resolve(m.value)
          else call?.reject(new Error(String(m.error)))
        }
      })
    })
  }

  call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#proc.send({ id, op, ...args })
    })
  }

  async stop(): Promise<void> {
    await this.call('stop').catch(() => {})
    if (this.#proc.exitCode === null) this.#proc.kill()
  }
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x)
    }),
  )
}

/** Starts, joins and probes `count` node processes; stops them and removes their data. */
export async function measureProcesses(
  count: number,
  pulls: Pulls,
  probes: number,
  progress: (what: string) => void,
): Promise<Row[]> {
  const dirs: string[] = []
  const children: Child[] = []
  /** hash → node index → when it was stored there. */
  const arrivals = new Map<string, Map<number, number>>()
  const start = async (bootstrap: string[]) => {
    const d = await benchNodeDir('vg-convp-', PASS, bootstrap, pulls === 'off' ? 86_400 : 5)
    dirs.push(d)
    const index = children.length
    const c = new Child(d, (hashes, at) => {
      // Kept for every entry: a receiver may report one before its sender's reply is in.
      for (const h of hashes) {
        const seen = arrivals.get(h) ?? new Map<number, number>()
        arrivals.set(h, seen)
        if (!seen.has(index)) seen.set(index, at)
      }
    })
    children.push(c)
    await c.ready
    return c
  }
  const load = loadavg()
  try {
    const t0 = performance.now()
    const leader = await start([])
    const boot = (await leader.call<{ addresses: string[] }>('addresses')).addresses.slice(0, 1)
    const org = await leader.call<string>('createOrg', { handle: 'Lead_0' })
    // A few at a time: libp2p resets a burst of connections from one address (127.0.0.1).
    const members: Child[] = []
    await pool(
      Array.from({ length: count - 1 }, (_, i) => i),
      3,
      async () => {
        members.push(await start(boot))
      },
    )
    progress(`${count} node processes started (pulls ${pulls})`)
    await pool(
      members.map((m, i) => [m, i + 1] as const),
      2,
      async ([m, i]) => {
        // Once more if the admission timed out: on a loaded machine it may (not measured here).
        for (let attempt = 1; ; attempt++) {
          const token = await leader.call<string>('invite', { org, bootstrap: boot })
          try {
            await m.call('accept', { token, handle: `Mem_${i}` })
            return
          } catch (err) {
            if (attempt === 2) throw err
            progress(`join ${i} failed (${(err as Error).message}); once more`)
          }
        }
      },
    )
    await waitFor(
      'every join on every node',
      async () =>
        (await Promise.all(children.map((c) => c.call<number>('members', { org })))).every(
          (n) => n === count,
        ),
      { timeoutMs: 300_000, intervalMs: 100 },
    )
    const connected = await Promise.all(children.map((c) => c.call<number>('discover')))
    const startMs = performance.now() - t0
    progress(
      `every node knows every join; connections per node ${Math.min(...connected)}–${Math.max(...connected)}`,
    )

    const ships = await Promise.all(children.map((c) => c.call<string>('addShip', { org })))
    const cpu0 = await Promise.all(children.map((c) => c.call<number>('cpu')))
    const probing = performance.now()
    const samples: number[] = []
    let missed = 0
    for (let p = 0; p < probes; p++) {
      const who = p % count
      const sender = children[who] as Child
      const { hash, at } = await sender.call<{ hash: string; at: number }>('update', {
        org,
        ship: ships[who],
        name: `Probe ${p}`,
      })
      const seen = arrivals.get(hash) ?? new Map<number, number>()
      arrivals.set(hash, seen)
      const deadline = Date.now() + 30_000
      while (seen.size < count - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      for (const t of seen.values()) samples.push(t - at)
      missed += count - 1 - seen.size
      await new Promise((r) => setTimeout(r, 50))
    }
    const probeMs = performance.now() - probing
    const cpu1 = await Promise.all(children.map((c) => c.call<number>('cpu')))
    const cpuMs = cpu1.reduce((sum, x, i) => sum + x - (cpu0[i] as number), 0)
    progress(`${probes} gossip probes measured (pulls ${pulls})`)
    const label = `${count} processes, pulls ${pulls}`
    return [
      { figure: `${label}: start and join`, value: startMs / 1000, unit: 's' },
      { figure: `${label}: gossip latency p50`, value: percentile(samples, 50), unit: 'ms' },
      { figure: `${label}: gossip latency p99`, value: percentile(samples, 99), unit: 'ms' },
      {
        // What the nodes cost the machine while gossiping (a core is 100 %).
        figure: `${label}: CPU per node during the probes`,
        value: Number(((100 * cpuMs) / count / probeMs).toFixed(1)),
        unit: '%',
        note: `all ${count} nodes: ${(cpuMs / probeMs).toFixed(2)} cores of ${navigator.hardwareConcurrency}`,
      },
      {
        figure: `${label}: deliveries missed within 30 s`,
        value: missed,
        unit: 'count',
        note: `of ${probes * (count - 1)}; load average at start ${load.map((x) => x.toFixed(1)).join(' ')}`,
      },
    ]
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()))
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
}
