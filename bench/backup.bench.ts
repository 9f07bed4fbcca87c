/**
 * Issue 15: `backup create` and `backup restore` (into an empty data directory) on the
 * 10,000-member, 50,000-ship org (the scale bench's data: `VERSEGUY_SCALE_DIR`, else
 * /tmp/scale10k if it holds one, else built here, which takes minutes; `--quick`: a
 * 300-member org built here), against `tar` + gzip of the raw data directory (and its
 * untar) in the same run, alternating, medians of N. Wall time, and CPU time: this
 * process's for ours (what a backup costs the node: open, read, compress, write, fsync),
 * tar's and gzip's own (bash's `times`) for theirs. The backup also checks every chain
 * and change on restore, which tar never does: the ratio is the price of that.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../crdt/index.ts'
import { LocalNode } from '../node/local-node.ts'
import { restoreNewNode } from '../node/restore-new-node.ts'
import { type Measured, measure, median, printTable, quick, type Row, settle, writeResults } from './lib.ts'
import { buildHistory, type History } from './scale-history.ts'

const PASS = 'scale bench passphrase'
const ROUNDS = quick ? 3 : 3

async function scaleData(work: string): Promise<{ dir: string; history: History }> {
  const given =
    process.env.VERSEGUY_SCALE_DIR ?? (existsSync('/tmp/scale10k/history.json') ? '/tmp/scale10k' : null)
  const dir = join(work, 'node')
  if (!quick && given !== null && existsSync(join(given, 'history.json'))) {
    await cp(join(given, 'node'), dir, { recursive: true })
    return { dir, history: JSON.parse(readFileSync(join(given, 'history.json'), 'utf8')) as History }
  }
  const members = quick ? 300 : Number(process.env.VERSEGUY_SCALE_MEMBERS ?? 10_000)
  const history = await buildHistory(
    dir,
    PASS,
    { members, joinRounds: 10, operations: 5, signUps: { min: 20, max: 100 } },
    (line) => process.stderr.write(`${line}\n`),
  )
  // Kept for later runs where VERSEGUY_SCALE_DIR names an empty folder (as the scale bench does).
  if (!quick && given !== null && !existsSync(join(given, 'history.json'))) {
    await cp(dir, join(given, 'node'), { recursive: true })
    await writeFile(join(given, 'history.json'), JSON.stringify(history))
  }
  return { dir, history }
}

/** `script` in bash; wall time, and the CPU time of what it ran (bash's `times`: children's user + system). */
function shell(script: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn('bash', ['-c', `${script}\ntimes`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('exit', (code) => {
      const ms = performance.now() - t
      // `times`: the shell's user/sys, then its children's: "0m1.234s 0m0.567s".
      const lines = out.trim().split('\n')
      const children = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '')
      if (code !== 0 || children === null) return reject(new Error(`${script} exited ${code}: ${err}`))
      const [, um, us, sm, ss] = children.map(Number) as [number, number, number, number, number]
      resolve({ ms, cpuMs: (um * 60 + us + sm * 60 + ss) * 1000 })
    })
  })
}

async function ourBackup(dir: string, file: string): Promise<Measured> {
  settle()
  return measure(async () => {
    const node = await LocalNode.open({ dataDir: dir, logger: { forComponent: () => silentLogger } })
    try {
      const job = node.backups().create({ file, withKey: true })
      while (job.state === 'running') await new Promise((r) => setTimeout(r, 5))
      if (job.state === 'failed') throw new Error(job.error?.message)
    } finally {
      await node.close()
    }
  })
}

export async function run(): Promise<Row[]> {
  const work = await mkdtemp(join(tmpdir(), 'vg-backup-bench-'))
  try {
    const { dir, history } = await scaleData(work)
    const file = join(work, 'node.vgbak')
    const tgz = join(work, 'node.tgz')
    const samples: Record<string, Measured[]> = { backup: [], tar: [], restore: [], untar: [] }
    for (let round = 0; round < ROUNDS; round++) {
      await rm(file, { force: true })
      await rm(tgz, { force: true })
      samples.backup?.push(await ourBackup(dir, file))
      samples.tar?.push(await shell(`tar -czf '${tgz}' -C '${dir}' . && sync '${tgz}'`))
      const into = join(work, `restored-${round}`)
      const untarInto = join(work, `untarred-${round}`)
      settle()
      samples.restore?.push(await measure(() => restoreNewNode(into, file)))
      samples.untar?.push(
        await shell(`mkdir -p '${untarInto}' && tar -xzf '${tgz}' -C '${untarInto}' && sync`),
      )
      await rm(into, { recursive: true, force: true })
      await rm(untarInto, { recursive: true, force: true })
    }
    const med = (k: string) => {
      const s = samples[k] ?? []
      return { ms: median(s.map((x) => x.ms)), cpuMs: median(s.map((x) => x.cpuMs)) }
    }
    const [b, t, r, u] = [med('backup'), med('tar'), med('restore'), med('untar')]
    const size = statSync(file).size
    const tarSize = statSync(tgz).size
    const rows: Row[] = [
      {
        figure: 'backup create: wall',
        value: b.ms,
        unit: 'ms',
        target: '< 2× tar+gzip',
        note: `${(b.ms / t.ms).toFixed(2)}× tar+gzip`,
      },
      {
        figure: 'backup create: CPU',
        value: b.cpuMs,
        unit: 'ms',
        note: `${(b.cpuMs / t.cpuMs).toFixed(2)}× tar+gzip`,
      },
      { figure: 'tar+gzip: wall', value: t.ms, unit: 'ms' },
      { figure: 'tar+gzip: CPU', value: t.cpuMs, unit: 'ms' },
      {
        figure: 'backup restore (new dir, verified): wall',
        value: r.ms,
        unit: 'ms',
        note: `${(r.ms / u.ms).toFixed(2)}× untar`,
      },
      {
        figure: 'backup restore: CPU',
        value: r.cpuMs,
        unit: 'ms',
        note: `${(r.cpuMs / u.cpuMs).toFixed(2)}× untar`,
      },
      {
        // The median hides it: Automerge's heap grows to its size during the first restore
        // in a process, and the later ones reuse it (a user restores once, in a new process).
        figure: 'backup restore, first in the process: wall',
        value: samples.restore?.[0]?.ms ?? 0,
        unit: 'ms',
        note: `${((samples.restore?.[0]?.ms ?? 0) / (samples.untar?.[0]?.ms ?? 1)).toFixed(2)}× its untar`,
      },
      { figure: 'untar: wall', value: u.ms, unit: 'ms' },
      { figure: 'untar: CPU', value: u.cpuMs, unit: 'ms' },
      {
        figure: 'backup file',
        value: size / 1024 / 1024,
        unit: 'MiB',
        note: `${(size / tarSize).toFixed(2)}× the .tgz`,
      },
      { figure: 'tar.gz file', value: tarSize / 1024 / 1024, unit: 'MiB' },
    ]
    printTable(
      `Backup and restore, ${history.members.toLocaleString('en')} members, ${history.ships.toLocaleString('en')} ships (medians of ${ROUNDS}, alternating with tar)`,
      rows,
    )
    const out = writeResults('backup', {
      members: history.members,
      ships: history.ships,
      rounds: ROUNDS,
      samples,
      rows,
    })
    console.log(`results: ${out}`)
    return rows
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

if (import.meta.main) await run()
