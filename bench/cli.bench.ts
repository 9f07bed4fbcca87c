/**
 * Issue 13: a command run while no node runs opens the store directly (no libp2p, mDNS,
 * DHT or HTTP listener), so it answers fast. Measured on a stopped node holding the
 * 10,000-member org (the scale bench's data: `VERSEGUY_SCALE_DIR`, else /tmp/scale10k if it
 * holds one, else built here, which takes minutes), each command the real `verseguy` entry
 * point in a child process, as `npx verseguy …` runs it (npx's own start left out of
 * every side alike), against a bare `node -e 0`, alternating, medians of N; wall time and
 * the child's own CPU time (user + system, every thread). `member list` once the CLI has
 * it; until then `org list` (which loads the same roster). Beside them, as the A/B: the
 * path commands took before (the whole node started in the command's process, KDF,
 * libp2p and API listener included, then one request). The data directory is copied
 * first: the original may be in use, and LevelDB's open renews files.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildProgram } from '../cli/main.ts'
import { median, printTable, quick, type Row, writeResults } from './lib.ts'
import { buildHistory, type History } from './scale-history.ts'

const PASS = 'scale bench passphrase'
const BIN = new URL('../cli/bin.mjs', import.meta.url).pathname
const FULL_NODE = new URL('./cli-full-node-child.ts', import.meta.url).pathname
const ROUNDS = quick ? 3 : 9

interface Sample {
  readonly ms: number
  readonly cpuMs: number
}

function runChild(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(process.execPath, ['--import', CPU_HOOK, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const ms = performance.now() - t
      const cpu = /cpu-ms ([\d.]+)/.exec(stderr)
      if (code !== 0 || cpu === null) reject(new Error(`${args.join(' ')} exited ${code}:\n${stderr}`))
      else resolve({ ms, cpuMs: Number(cpu[1]) })
    })
  })
}

/** Prints the child's own CPU time at exit (the same hook in every child measured). */
const CPU_HOOK = `data:text/javascript,${encodeURIComponent(`
import { writeSync } from 'node:fs'
process.on('exit', () => { const u = process.cpuUsage(); writeSync(2, '\\ncpu-ms ' + (u.user + u.system) / 1000 + '\\n') })
`)}`

async function scaleData(): Promise<{ dir: string; history: History; cleanup: () => Promise<void> }> {
  const given =
    process.env.VERSEGUY_SCALE_DIR ?? (existsSync('/tmp/scale10k/history.json') ? '/tmp/scale10k' : null)
  const work = await mkdtemp(join(tmpdir(), 'vg-cli-bench-'))
  const cleanup = () => rm(work, { recursive: true, force: true })
  const dir = join(work, 'node')
  if (given !== null && existsSync(join(given, 'history.json'))) {
    await cp(join(given, 'node'), dir, { recursive: true })
    return { dir, history: JSON.parse(readFileSync(join(given, 'history.json'), 'utf8')) as History, cleanup }
  }
  const history = await buildHistory(
    dir,
    PASS,
    { members: quick ? 1_000 : 10_000, joinRounds: 10, operations: 5, signUps: { min: 20, max: 100 } },
    (line) => process.stderr.write(`${line}\n`),
  )
  return { dir, history, cleanup }
}

export async function run(): Promise<Row[]> {
  const { dir, history, cleanup } = await scaleData()
  try {
    const hasMemberList = buildProgram().commands.some((c) => c.name() === 'member')
    const list = hasMemberList ? ['member', 'list', '--org', history.orgId] : ['org', 'list']
    // A stopped node's command takes no passphrase for a read: none is given.
    const noPass = { VERSEGUY_PASSPHRASE: '' }
    // The path before: the whole node, on loopback and without mDNS as the other benches.
    const fullEnv = { VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/0', VERSEGUY_NET_MDNS: '0' }
    const cases: { name: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
      { name: 'node -e 0', args: ['-e', '0'], env: {} },
      { name: `verseguy ${list.slice(0, 2).join(' ')}`, args: [BIN, '-d', dir, ...list], env: noPass },
      { name: 'verseguy status', args: [BIN, '-d', dir, 'status'], env: noPass },
      {
        name: `before: whole node started for ${list.slice(0, 2).join(' ')}`,
        args: [FULL_NODE, dir, PASS, hasMemberList ? `/orgs/${history.orgId}/members` : '/orgs'],
        env: fullEnv,
      },
    ]
    // One unmeasured round: the module compile cache filled, LevelDB's last log recovered.
    for (const c of cases) await runChild(c.args, c.env)
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]))
    for (let round = 0; round < ROUNDS; round++)
      for (const c of cases) samples.get(c.name)?.push(await runChild(c.args, c.env))
    const med = (name: string) => {
      const s = samples.get(name) ?? []
      return { ms: median(s.map((x) => x.ms)), cpuMs: median(s.map((x) => x.cpuMs)) }
    }
    const bare = med('node -e 0')
    const rows: Row[] = []
    for (const c of cases) {
      const m = med(c.name)
      rows.push({
        figure: `${c.name}: wall`,
        value: m.ms,
        unit: 'ms',
        note: `${(m.ms / bare.ms).toFixed(2)}× bare`,
      })
      rows.push({
        figure: `${c.name}: CPU`,
        value: m.cpuMs,
        unit: 'ms',
        ...(c.name === 'node -e 0' ? {} : { target: '< 3× bare' }),
        note: `${(m.cpuMs / bare.cpuMs).toFixed(2)}× bare`,
      })
    }
    printTable(
      `Commands on a stopped node, ${history.members.toLocaleString('en')}-member org (medians of ${ROUNDS}, alternating)`,
      rows,
    )
    const file = writeResults('cli', {
      members: history.members,
      rounds: ROUNDS,
      command: list.join(' '),
      memberListAvailable: hasMemberList,
      samples: Object.fromEntries(samples),
      rows,
    })
    console.log(`results: ${file}`)
    return rows
  } finally {
    await cleanup()
  }
}

if (import.meta.main) await run()
