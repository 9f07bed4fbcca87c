/**
 * Issue 4 figures, reported (no target): real nodes in one process on 127.0.0.1 (mDNS
 * off, one bootstrap node, DHT discovery), for 10 and 30 nodes:
 * - convergence: every node makes 100 changes at once (a ship, then 99 updates to it);
 *   time until every node holds every node's whole chain;
 * - gossip latency: single changes made one at a time by one node, from commit to
 *   stored on each other node (p50 / p99; a change gossip misses arrives by catch-up);
 * - RSS per node: the process's resident memory after start and joins, less its RSS
 *   before the first node, divided by the number of nodes.
 *
 * All nodes share this process and its two cores: every change is verified and stored
 * N times on one machine, so these are upper bounds on what N separate machines take.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry } from '../crdt/index.ts'
import { initDataDir, VerseGuyNode } from '../node/index.ts'
import { ownChains } from '../node/status.ts'
import { waitFor } from '../tests/helpers/wait-for.ts'
import { measureProcesses } from './convergence-processes.ts'
import { percentile, printTable, quick, type Row, writeResults } from './lib.ts'

process.env.VERSEGUY_NET_LISTEN ??= '/ip4/127.0.0.1/tcp/0'
process.env.VERSEGUY_NET_MDNS ??= '0'

const SIZES = process.env.CONV_SIZES?.split(',').map(Number) ?? (quick ? [4] : [10, 30])
const CHANGES = quick ? 20 : 100
const PROBES = quick ? 10 : 40
const PASS = 'convergence bench passphrase'
const MiB = 1024 * 1024
const began = performance.now()
/** Progress on stderr: a 30-node run takes many minutes. */
const progress = (what: string) =>
  console.error(`[${((performance.now() - began) / 1000).toFixed(1)} s] ${what}`)

interface Mesh {
  readonly nodes: VerseGuyNode[]
  readonly org: string
  readonly dirs: string[]
}

async function startMesh(count: number): Promise<Mesh> {
  const dirs: string[] = []
  const nodes: VerseGuyNode[] = []
  const start = async (bootstrap: string[]) => {
    const d = await mkdtemp(join(tmpdir(), 'vg-conv-'))
    dirs.push(d)
    await initDataDir(d, PASS)
    await writeFile(
      join(d, 'config.json'),
      JSON.stringify({
        net: { mdns: false, bootstrap, syncIntervalSeconds: 5, discoveryIntervalSeconds: 600 },
        storage: { sync: false },
      }),
    )
    const n = new VerseGuyNode({ dataDir: d, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
    await n.start()
    nodes.push(n)
    return n
  }
  const leader = await start([])
  const boot = [leader.addresses()[0] as string]
  const org = await leader.services.org.createOrg({ name: 'Bench Mesh', tag: 'BMSH', handle: 'Lead_0' })
  for (let i = 1; i < count; i++) {
    const m = await start(boot)
    const { token } = await leader.services.invites.createInvite(org.id, { rank: 'member', bootstrap: boot })
    await m.services.invites.accept(token, `Mem_${i}`, m.admissions, AbortSignal.timeout(60_000))
    await m.mesh.syncAll()
    progress(`${i + 1} of ${count} nodes joined`)
  }
  await waitFor(
    'every join everywhere',
    async () => {
      for (const n of nodes) if ((await n.services.org.members(org.id)).length !== count) return false
      return true
    },
    { timeoutMs: 300_000, intervalMs: 20 },
  )
  // One discovery round now that all are members: they find each other in the DHT.
  await Promise.all(nodes.map((n) => n.mesh.discover()))
  progress('every node knows every join')
  return { nodes, org: org.id, dirs }
}

async function stopMesh(m: Mesh): Promise<void> {
  for (const n of m.nodes) await n.stop()
  for (const d of m.dirs) await rm(d, { recursive: true, force: true })
}

/** Every node holds every author's chain up to what that author's own node holds. */
async function allConverged(nodes: VerseGuyNode[]): Promise<boolean> {
  const want = new Map<string, number>()
  for (const n of nodes) {
    const me = n.services.org.me
    want.set(me, (await ownChains(n.documents, me)).seq)
  }
  for (const n of nodes)
    for (const [author, seq] of want)
      if ((await ownChains(n.documents, author as never)).seq < seq) return false
  return true
}

/** Single changes by the first node, one at a time: commit → stored on each other node. */
async function gossipLatency(m: Mesh): Promise<number[]> {
  const [sender, ...others] = m.nodes as [VerseGuyNode, ...VerseGuyNode[]]
  const made = new Map<string, number>()
  const samples: number[] = []
  let waiting = 0
  const listeners = others.map((n) => {
    const on = (e: { origin: string; entries: readonly Entry[] }) => {
      if (e.origin !== 'remote') return
      for (const x of e.entries) {
        const t = made.get(x.hash)
        if (t !== undefined) {
          samples.push(performance.now() - t)
          waiting--
        }
      }
    }
    n.documents.on('change', on)
    return () => n.documents.off('change', on)
  })
  const me = sender.services.org.me
  const ship = await sender.services.fleet.addShip(m.org, { model: 'Probe', manufacturer: 'RSI' })
  await waitFor('the probe ship everywhere', () => allConverged(m.nodes), {
    timeoutMs: 120_000,
    intervalMs: 20,
  })
  const local = (e: { origin: string; entries: readonly Entry[] }) => {
    if (e.origin === 'local') for (const x of e.entries) made.set(x.hash, performance.now())
  }
  sender.documents.on('change', local)
  for (let i = 0; i < PROBES; i++) {
    waiting += others.length
    await sender.services.fleet.updateShip(m.org, me, ship.id, { name: `Probe ${i}` })
    await waitFor('a probe on every node', async () => waiting <= 0, { timeoutMs: 60_000, intervalMs: 20 })
    await new Promise((r) => setTimeout(r, 50))
  }
  sender.documents.off('change', local)
  for (const off of listeners) off()
  return samples
}

async function measure(count: number): Promise<Row[]> {
  globalThis.gc?.()
  const rssBefore = process.memoryUsage().rss
  const t0 = performance.now()
  const m = await startMesh(count)
  const startMs = performance.now() - t0
  globalThis.gc?.()
  const rssPerNode = (process.memoryUsage().rss - rssBefore) / count
  try {
    const latency = await gossipLatency(m)
    progress(`${PROBES} gossip probes measured`)
    // Every node makes CHANGES changes at once.
    const t1 = performance.now()
    await Promise.all(
      m.nodes.map(async (n, i) => {
        const ship = await n.services.fleet.addShip(m.org, { model: `Ship ${i}`, manufacturer: 'MISC' })
        for (let c = 1; c < CHANGES; c++)
          await n.services.fleet.updateShip(m.org, n.services.org.me, ship.id, { name: `Ship ${i}.${c}` })
      }),
    )
    const madeMs = performance.now() - t1
    progress(`${count * CHANGES} changes made`)
    await waitFor('convergence', () => allConverged(m.nodes), { timeoutMs: 900_000, intervalMs: 20 })
    const convergeMs = performance.now() - t1
    return [
      { figure: `${count} nodes: start and join`, value: startMs / 1000, unit: 's' },
      { figure: `${count} nodes: RSS per node`, value: rssPerNode / MiB, unit: 'MiB' },
      { figure: `${count} nodes: gossip latency p50`, value: percentile(latency, 50), unit: 'ms' },
      { figure: `${count} nodes: gossip latency p99`, value: percentile(latency, 99), unit: 'ms' },
      {
        figure: `${count} nodes: ${CHANGES} changes each, all made`,
        value: madeMs / 1000,
        unit: 's',
      },
      {
        figure: `${count} nodes: ${CHANGES} changes each, converged`,
        value: convergeMs / 1000,
        unit: 's',
        note: `${count * CHANGES} changes, each verified and stored on ${count} nodes in one process`,
      },
    ]
  } finally {
    await stopMesh(m)
  }
}

/**
 * `--processes`: one process per node, as members run them (convergence-processes.ts):
 * start and join, and gossip latency with the periodic pulls off and on.
 */
async function runProcesses(): Promise<Row[]> {
  const sizes = process.env.CONV_SIZES?.split(',').map(Number) ?? (quick ? [4] : [30])
  const rows: Row[] = []
  // `CONV_PULLS=on` (or `off`) measures one mode only.
  const modes = (['off', 'on'] as const).filter((m) => (process.env.CONV_PULLS ?? m) === m)
  for (const n of sizes)
    for (const pulls of modes) rows.push(...(await measureProcesses(n, pulls, PROBES, progress)))
  printTable(`Convergence, a process per node (${sizes.join(' and ')} nodes${quick ? ', quick' : ''})`, rows)
  const file = writeResults('convergence-processes', {
    sizes,
    probes: PROBES,
    figures: Object.fromEntries(rows.map((r) => [r.figure, { value: r.value, unit: r.unit, note: r.note }])),
  })
  console.log(`results: ${file}`)
  return rows
}

export async function run(): Promise<Row[]> {
  if (process.argv.includes('--processes')) return runProcesses()
  const rows: Row[] = []
  for (const n of SIZES) rows.push(...(await measure(n)))
  printTable(`Convergence (${SIZES.join(' and ')} nodes${quick ? ', quick' : ''})`, rows)
  const file = writeResults('convergence', {
    sizes: SIZES,
    changesPerNode: CHANGES,
    probes: PROBES,
    figures: Object.fromEntries(rows.map((r) => [r.figure, { value: r.value, unit: r.unit }])),
  })
  console.log(`results: ${file}`)
  return rows
}

if (import.meta.main) await run()
