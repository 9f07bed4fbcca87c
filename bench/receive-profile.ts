/**
 * Profiles only the timed `store.receive(batch)` of the domain bench (10,000 remote hangar
 * changes): a CPU profile around the receive, split into stages by inclusive time.
 * `npx node bench/receive-profile.ts [rounds] [outDir]`
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import * as A from '@automerge/automerge'
import { Database, DocumentStore } from '../crdt/index.ts'
import { hangarIndexer } from '../services/fleet/index.ts'
import { everything, makeReplica } from '../tests/helpers/replica.ts'
import { makeSigner } from '../tests/helpers/signer.ts'
import { hangarHistory } from './domain-setup.ts'
import { median, settle } from './lib.ts'

const rounds = Number(process.argv[2] ?? 3)
/** A directory for the profiles, or `--time`: no profiler, stages timed by wrapping methods. */
const outDir = process.argv[3]
const timing = outDir === '--time'

/** Wall time and CPU time (every thread) spent in wrapped methods, per round. */
const spent = new Map<string, number>()
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000
function wrap(owner: object, method: string, label: string): void {
  const o = owner as Record<string, (...args: unknown[]) => unknown>
  const f = o[method] as (...args: unknown[]) => unknown
  o[method] = function (this: unknown, ...args: unknown[]) {
    const t = performance.now()
    const c = process.cpuUsage()
    const add = () => {
      spent.set(label, (spent.get(label) ?? 0) + performance.now() - t)
      spent.set(`${label} CPU`, (spent.get(`${label} CPU`) ?? 0) + cpuMs(process.cpuUsage(c)))
    }
    const r = f.apply(this, args)
    if (r instanceof Promise) return r.finally(add)
    add()
    return r
  }
}
if (timing) {
  wrap(Database.prototype, 'write', 'commit: LevelDB write')
  wrap(hangarIndexer, 'row', 'commit: hangar index row')
  wrap(DocumentStore.prototype, 'emit', 'commit: change events')
}

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number }
  id: number
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}

/** Stages: a function name (and file part) whose inclusive time is counted. */
const STAGES: [string, string][] = [
  ['receiveBatch', 'receive-batch.ts'],
  ['verifyDecodedChain', 'verify.ts'],
  ['judge', 'batch-judge.ts'],
  ['validate', 'domain-validator.ts'],
  ['backendForDeps', 'working-doc.ts'],
  ['workingBackendAt', 'working-doc.ts'],
  ['decodeOutlinedChange', 'change-decoder.ts'],
  ['outlineChange', 'change-bounds.ts'],
  ['changeChunkHash', 'change-bounds.ts'],
  ['decodeEntry', 'entry-decode.ts'],
  ['commitRemote', 'remote-commit.ts'],
  ['applyChanges', 'automerge'],
  ['indexOp', 'document-store.ts'],
  ['row', 'hangar-index.ts'],
  ['shipSummary', 'ship-view.ts'],
  ['packChanges', 'change-records.ts'],
  ['packRun', 'run-record.ts'],
  ['putOps', 'chain-store.ts'],
  ['write', 'database.ts'],
  ['appended', 'chain-store.ts'],
  ['emit', 'node:events'],
  ['(garbage collector)', ''],
  ['(program)', ''],
  ['(idle)', ''],
]

function stages(p: Profile): Map<string, number> {
  const parent = new Map<number, number>()
  const byId = new Map<number, Node>()
  for (const n of p.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const out = new Map<string, number>()
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000
    total += dt
    const seen = new Set<string>()
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = (byId.get(id) as Node).callFrame
      for (const [name, file] of STAGES)
        if (f.functionName === name && f.url.includes(file)) seen.add(`${name} ${file}`)
    }
    for (const s of seen) out.set(s, (out.get(s) ?? 0) + dt)
  }
  out.set('TOTAL (profile)', total)
  return out
}

function selfTop(p: Profile, n: number): [string, number][] {
  const byId = new Map(p.nodes.map((x) => [x.id, x]))
  const self = new Map<string, number>()
  for (let i = 0; i < p.samples.length; i++) {
    const f = (byId.get(p.samples[i] as number) as Node).callFrame
    const k = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000)
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
}

const { leader, changes: hangarChanges, entries } = await hangarHistory(10_000, 100)

const session = new Session()
// Not even connected when timing: an enabled profiler slows JavaScript by itself.
if (!timing) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
}
const sums = new Map<string, number[]>()
const walls: number[] = []
const cpus: number[] = []
const plains: number[] = []
const plainCpus: number[] = []
for (let r = 0; r < rounds; r++) {
  const receiver = await makeReplica(makeSigner(), { sync: true })
  const roster = await everything(leader)
  await receiver.store.receive(roster)
  const batch = {
    entries: entries.filter((e) => !roster.entries.some((x) => x.bytes === e.bytes)),
    changes: hangarChanges,
  }
  settle()
  const c0 = process.cpuUsage()
  let t = performance.now()
  A.applyChanges(A.init(), hangarChanges)
  plains.push(performance.now() - t)
  plainCpus.push(cpuMs(process.cpuUsage(c0)))
  settle()
  if (!timing) await session.post('Profiler.start')
  spent.clear()
  const cpu = process.cpuUsage()
  t = performance.now()
  const result = await receiver.store.receive(batch)
  walls.push(performance.now() - t)
  const used = process.cpuUsage(cpu)
  cpus.push((used.user + used.system) / 1000)
  if (result.rejected.length > 0) throw new Error(`refused: ${result.rejected[0]?.reason}`)
  if (timing) {
    for (const [k, v] of spent) sums.set(k, [...(sums.get(k) ?? []), v])
    await receiver.close()
    continue
  }
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile }
  if (outDir !== undefined) writeFileSync(`${outDir}/receive-${r}.cpuprofile`, JSON.stringify(profile))
  for (const [k, v] of stages(profile)) sums.set(k, [...(sums.get(k) ?? []), v])
  if (r === rounds - 1)
    console.log(
      selfTop(profile, 30)
        .map(([k, v]) => `${v.toFixed(1).padStart(7)} ${k}`)
        .join('\n'),
    )
  await receiver.close()
}
await leader.close()
console.log(
  `\nwall ms (median of ${rounds}): ${median(walls).toFixed(0)}  cpu ms: ${median(cpus).toFixed(0)}  plain applyChanges: ${median(plains).toFixed(0)} (cpu ${median(plainCpus).toFixed(0)})`,
)
/** Per round, receive / the plain apply just before it; the median of those. */
const ratio = (xs: number[], ys: number[]) => median(xs.map((x, i) => x / (ys[i] as number))).toFixed(2)
console.log(`receive / plain, median of rounds: wall ${ratio(walls, plains)}  cpu ${ratio(cpus, plainCpus)}`)
for (const [k, v] of [...sums.entries()].sort((a, b) => median(b[1]) - median(a[1])))
  console.log(`${median(v).toFixed(1).padStart(8)} ms  ${k}`)
