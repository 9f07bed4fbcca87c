/**
 * Child of the scale benchmark: starts a node on a prepared data directory, as
 * `verseguy start` does (module compile cache on: `NODE_COMPILE_CACHE` names the folder),
 * and measures what a user would feel. Prints one JSON line. `start-only` as 4th argument:
 * start, report, stop (no change made).
 */
import { enableModuleCache } from '../node/compile-cache.mjs'

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000
const scriptAt = performance.now() // process start → this script runs (Node's own start)
enableModuleCache()
const { layout, VerseGuyNode } = await import('../node/index.ts')
const { MemberIdentity } = await import('../services/identity/index.ts')
const { percentile } = await import('./lib.ts')
const loadedAt = performance.now()
const cpuLoaded = cpuMs(process.cpuUsage())

const [dataDir = '', passphrase = '', orgId = '', mode = ''] = process.argv.slice(2)
const node = new VerseGuyNode({ dataDir, passphrase, apiPort: 0, logLevel: 'warn' })
await node.start()
const readyMs = performance.now() // since this process started
const start = {
  readyMs,
  readyCpuMs: cpuMs(process.cpuUsage()),
  nodeStartMs: scriptAt,
  modulesMs: loadedAt - scriptAt,
  modulesCpuMs: cpuLoaded,
  phases: node.startPhases,
}
const rssAfterStart = process.memoryUsage.rss()
/** The passphrase KDF alone, the node stopped: its fixed cost on this machine now. */
const kdfAlone = async () => {
  const t = performance.now()
  await MemberIdentity.unlock(layout(dataDir).identity, passphrase)
  return performance.now() - t
}
if (mode === 'start-only') {
  // The first fleet query ever on this data directory: no stored totals yet, built from every row.
  const t = performance.now()
  await node.services.fleet.composition(orgId)
  const statsBuildMs = performance.now() - t
  await node.stop()
  process.stdout.write(
    `${JSON.stringify({ ...start, rssAfterStart, statsBuildMs, kdfAloneMs: await kdfAlone() })}\n`,
  )
  process.exit(0)
}
const { org, fleet, ops } = node.services

const timed = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const t = performance.now()
  const r = await fn()
  return [performance.now() - t, r]
}
const [rosterMs, members] = await timed(() => org.members(orgId))
const [rosterAgainMs] = await timed(() => org.members(orgId))
const [statsMs, stats] = await timed(() => fleet.composition(orgId))
const [statsAgainMs] = await timed(() => fleet.composition(orgId))

// CPU time per change beside the wall time (on a loaded machine, wall time waits its turn).
let cpuFrom = process.cpuUsage()
const addShip: number[] = []
for (let i = 0; i < 100; i++) {
  const [ms] = await timed(() => fleet.addShip(orgId, { model: `Bench ${i}`, manufacturer: 'RSI', cost: 10 }))
  addShip.push(ms)
}
const addShipCpuMs = cpuMs(process.cpuUsage(cpuFrom)) / addShip.length
// On the operation with the most sign-ups.
const [op] = (await ops.list(orgId)).sort((a, b) => b.participants.length - a.participants.length)
if (op === undefined) throw new Error('the org has no operations')
const signUp: number[] = []
cpuFrom = process.cpuUsage()
for (let i = 0; i < 50; i++) {
  const [a] = await timed(() => ops.signUp(orgId, op.id, { role: 'miner' }))
  const [b] = await timed(() => ops.withdraw(orgId, op.id))
  signUp.push(a, b)
}
const signUpCpuMs = cpuMs(process.cpuUsage(cpuFrom)) / signUp.length
// After the work: the totals were kept in each change's batch; no hangar row is read again.
const [statsAfterWorkMs, after] = await timed(() => fleet.composition(orgId))
if (after.ships !== stats.ships + addShip.length) throw new Error('fleet stats missed the ships added')
const rssAfterWork = process.memoryUsage.rss()
await removeBenchShips()
await node.stop()
const kdfAloneMs = await kdfAlone()
process.stdout.write(
  `${JSON.stringify({
    ...start,
    kdfAloneMs,
    rssAfterStart,
    rssAfterWork,
    members: members.length,
    ships: stats.ships,
    rosterMs,
    rosterAgainMs,
    statsMs,
    statsAgainMs,
    statsAfterWorkMs,
    addShipP95: percentile(addShip, 95),
    addShipP50: percentile(addShip, 50),
    addShipCpuMs,
    signUpP50: percentile(signUp, 50),
    signUpCpuMs,
    signUpP95: percentile(signUp, 95),
    opParticipants: op.participants.length,
  })}\n`,
)

/**
 * The ships this bench added (and any an earlier run left), removed after the figures are
 * taken: a hangar holds at most 1,000 ships, and the prepared data directory is reused.
 */
async function removeBenchShips(): Promise<void> {
  for (const ship of await fleet.ships(orgId, { owner: org.me }))
    if (/^Bench \d+$/.test(ship.model)) await fleet.removeShip(orgId, org.me, ship.id)
}
