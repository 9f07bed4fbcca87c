/**
 * Issue 3 and 12 scale figures, on an org with a realistic history (scale-history.ts):
 * 10,000 members who each joined by an invite of their own, 50,000 ships their owners
 * added one change at a time, 20 operations with 100 to 500 sign-ups each. A node holding
 * it starts to ready in ≤ 3 s with ≤ 300 MB RSS; a local change (add a ship, sign up) is
 * persisted in ≤ 20 ms at p95; the roster query and fleet stats take ≤ 200 ms. Measured
 * in a child process started like `verseguy start`; a bare `node -e 0` start is the
 * baseline. `--quick`: 1,000 members (a smoke run). `VERSEGUY_SCALE_MEMBERS=N` sets
 * another size (for profiling the build).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from '../crdt/index.ts'
import { indexTotalKey } from '../crdt/store/index-totals.ts'
import { layout } from '../node/index.ts'
import { shelfKeys } from '../services/org/auth-snapshot.ts'
import { printTable, quick, type Row, time, writeResults } from './lib.ts'

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

import { buildHistory, type History, type HistoryShape } from './scale-history.ts'

// Benchmark nodes stay on loopback: no mDNS multicast on the machine's network.
process.env.VERSEGUY_NET_LISTEN ??= '/ip4/127.0.0.1/tcp/0'
process.env.VERSEGUY_NET_MDNS ??= '0'

const MEMBERS = Number(process.env.VERSEGUY_SCALE_MEMBERS ?? (quick ? 1_000 : 10_000))
const SHAPE: HistoryShape = {
  members: MEMBERS,
  joinRounds: 10,
  operations: quick ? 5 : 20,
  signUps: quick ? { min: 20, max: 100 } : { min: 100, max: 500 },
}
const PASS = 'scale bench passphrase'

interface ChildResult {
  readonly [figure: string]: number | Record<string, number>
  readonly phases: Record<string, number>
}

function runChild(
  dir: string,
  orgId: string,
  compileCache: string,
  mode = '',
): Promise<{ spawnToExitMs: number; result: ChildResult }> {
  const child = new URL('./scale-child.ts', import.meta.url).pathname
  const t = performance.now()
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, PASS, orgId, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_COMPILE_CACHE: compileCache },
    })
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.on('exit', (code) => {
      if (code !== 0) reject(new Error(`scale child exited ${code}`))
      else
        resolve({
          spawnToExitMs: performance.now() - t,
          result: JSON.parse(out.trim().split('\n').pop() as string),
        })
    })
  })
}

/** Removes the org's saved authorization state: the next start reads it from the roster (as after a crash). */
async function forgetSavedState(nodeDir: string, orgId: string): Promise<void> {
  const db = await Database.open(layout(nodeDir).db)
  try {
    const keys = shelfKeys(orgId)
    await db.write(
      [
        { type: 'del', section: db.settings, key: keys.heads },
        { type: 'del', section: db.settings, key: keys.state },
        // The org's fleet totals too: the first start then builds them from every hangar row,
        // as a node does once per data directory (after a catch-up, or an upgrade).
        { type: 'del', section: db.meta, key: indexTotalKey(`hangar:${orgId}.`) },
      ],
      true,
    )
  } finally {
    await db.close()
  }
}

/**
 * `VERSEGUY_SCALE_DIR=DIR`: generate once into DIR and reuse it on later runs (the data
 * takes minutes to build); without it a temp folder is used and removed.
 */
export async function run(): Promise<Row[]> {
  const keep = process.env.VERSEGUY_SCALE_DIR
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'vg-scale-')))
  try {
    let history: History
    let buildMs: number | null = null
    const marker = join(dir, 'history.json')
    if (keep !== undefined && existsSync(marker))
      history = JSON.parse(readFileSync(marker, 'utf8')) as History
    else {
      let built: History | undefined
      buildMs = await time(async () => {
        built = await buildHistory(join(dir, 'node'), PASS, SHAPE, (line) =>
          process.stderr.write(`${line}\n`),
        )
      })
      history = built as History
      writeFileSync(marker, JSON.stringify(history))
      console.log(
        `built ${history.members} members, ${history.ships} ships, ${history.operations} operations and ` +
          `${history.signUps} sign-ups in ${((buildMs as number) / 1000).toFixed(1)} s`,
      )
    }
    const bare = await time(
      () => new Promise((r) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('exit', r)),
    )
    // The machine's load as the node starts (a shared machine's figures depend on it).
    const load = loadavg()
    // A first start compiles every module (an empty compile cache, as after an install)
    // and reads the org's authorization state from the roster (none saved: as after an
    // install or a crash); its stop saves it. The measured start after it reuses both, as
    // every later start of `verseguy` after a clean stop does.
    const compileCache = await mkdtemp(join(tmpdir(), 'vg-scale-cc-'))
    await forgetSavedState(join(dir, 'node'), history.orgId)
    const { result: first } = await runChild(join(dir, 'node'), history.orgId, compileCache, 'start-only')
    const { result: r } = await runChild(join(dir, 'node'), history.orgId, compileCache)
    await rm(compileCache, { recursive: true, force: true })
    const ph = r.phases
    const phaseNote = Object.entries(ph)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ')
    if (r.members !== history.members + 1 || (r.ships as number) < history.ships)
      throw new Error(`wrong data: ${JSON.stringify(r)}`)
    const MB = 2 ** 20
    const rows: Row[] = [
      { figure: 'bare `node -e 0` (baseline)', value: bare, unit: 'ms' },
      {
        figure: 'start to ready',
        value: r.readyMs as number,
        unit: 'ms',
        target: '≤ 3000',
        note: 'process start → node ready, incl. scrypt unlock; modules from the compile cache, auth state as saved at the last stop',
      },
      { figure: 'start to ready, CPU', value: r.readyCpuMs as number, unit: 'ms', note: 'user + system' },
      {
        figure: 'passphrase unlock (scrypt) alone',
        value: r.kdfAloneMs as number,
        unit: 'ms',
        note: 'memory-hard KDF, N=2^17 r=8, timed by itself after the run: a fixed cost of every start',
      },
      {
        figure: 'passphrase unlock inside the start',
        value: ph.unlock as number,
        unit: 'ms',
        note: 'first step of node.start(): a wrong passphrase must open and change nothing',
      },
      {
        figure: 'loading modules',
        value: r.modulesMs as number,
        unit: 'ms',
        note: `inside start to ready; Node's own start before it ${(r.nodeStartMs as number).toFixed(0)} ms`,
      },
      {
        figure: 'node.start() steps',
        value: sum(Object.values(ph)),
        unit: 'ms',
        note: phaseNote,
      },
      {
        figure: 'start to ready, first start',
        value: first.readyMs as number,
        unit: 'ms',
        note: `empty compile cache, no saved auth state (after an install or a crash); CPU ${(first.readyCpuMs as number).toFixed(0)} ms, orgs ${(first.phases.orgs as number).toFixed(0)} ms`,
      },
      { figure: 'load average (1 min) at start', value: load[0] as number, unit: '' },
      { figure: 'RSS after start', value: (r.rssAfterStart as number) / MB, unit: 'MiB', target: '≤ 300' },
      {
        figure: 'roster query (first)',
        value: r.rosterMs as number,
        unit: 'ms',
        target: '≤ 200',
        note: `${r.members} members`,
      },
      { figure: 'roster query (again)', value: r.rosterAgainMs as number, unit: 'ms' },
      {
        figure: 'fleet stats (first)',
        value: r.statsMs as number,
        unit: 'ms',
        target: '≤ 200',
        note: `${r.ships} ships; the first query after a start, the totals stored by an earlier one`,
      },
      { figure: 'fleet stats (again)', value: r.statsAgainMs as number, unit: 'ms' },
      {
        figure: 'fleet stats, totals built',
        value: first.statsBuildMs as number,
        unit: 'ms',
        note: 'the first query ever on a data directory (in the first start): totals built from every hangar row and stored; later starts read them',
      },
      {
        figure: 'fleet stats after the work',
        value: r.statsAfterWorkMs as number,
        unit: 'ms',
        target: '≤ 200',
        note: 'after the ships added and sign-ups below: totals stored with each change, no hangar read again',
      },
      {
        figure: 'add ship persisted, p95',
        value: r.addShipP95 as number,
        unit: 'ms',
        target: '≤ 20',
        note: 'fsync on',
      },
      { figure: 'add ship persisted, p50', value: r.addShipP50 as number, unit: 'ms' },
      {
        figure: 'add ship, CPU per change',
        value: r.addShipCpuMs as number,
        unit: 'ms',
        note: 'mean, user + system, all threads (signing, fsync)',
      },
      {
        figure: 'sign up / withdraw persisted, p95',
        value: r.signUpP95 as number,
        unit: 'ms',
        target: '≤ 20',
        note: `operation with ${r.opParticipants} sign-ups`,
      },
      { figure: 'sign up / withdraw persisted, p50', value: r.signUpP50 as number, unit: 'ms' },
      {
        figure: 'sign up / withdraw, CPU per change',
        value: r.signUpCpuMs as number,
        unit: 'ms',
        note: 'mean, user + system, all threads',
      },
      { figure: 'RSS after the work', value: (r.rssAfterWork as number) / MB, unit: 'MiB' },
    ]
    if (buildMs !== null)
      rows.push({
        figure: 'building the history',
        value: buildMs / 1000,
        unit: 's',
        note: `${history.received} members' entries taken through the sync path`,
      })
    printTable(
      `Scale (${history.members} members, ${history.ships} ships, ${history.operations} operations, ` +
        `${history.signUps} sign-ups${quick ? ', quick' : ''})`,
      rows,
    )
    const file = writeResults('scale', {
      history,
      loadAverage: load,
      startPhases: { first: first.phases, measured: ph },
      figures: Object.fromEntries(
        rows.map((x) => [x.figure, { value: x.value, unit: x.unit, target: x.target }]),
      ),
    })
    console.log(`results: ${file}`)
    return rows
  } finally {
    if (keep === undefined) await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) await run()
