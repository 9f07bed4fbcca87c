/**
 * What a periodic pull costs when two nodes are already in sync (the common case of the
 * anti-entropy round): three nodes in one process, in an org of MEMBERS members (the
 * others joined and stopped), then PULLS pulls of B from A one after another. Prints
 * CPU and wall time per pull (both sides run in this process), the size of the heads
 * request, and the CPU of one recount of which connected peers are members. `PROF=file`
 * writes a CPU profile of the pulls. Prints only (no results file): for A/B runs of
 * two trees, e.g. `MEMBERS=30 node bench/pull-cost.ts`.
 */
import { rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { loadavg } from 'node:os'
import { encodeMessage } from '../net/sync/messages.ts'
import { VerseGuyNode } from '../node/index.ts'
import { benchNodeDir } from './bench-node-dir.ts'

const PASS = 'pull cost passphrase'
const MEMBERS = Number(process.env.MEMBERS ?? 10)
const PULLS = Number(process.env.PULLS ?? 200)
const dirs: string[] = []
const nodes: VerseGuyNode[] = []

async function node(bootstrap: string[]): Promise<VerseGuyNode> {
  const d = await benchNodeDir('vg-pullcost-', PASS, bootstrap, 86_400)
  dirs.push(d)
  const n = new VerseGuyNode({ dataDir: d, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
  await n.start()
  nodes.push(n)
  return n
}

try {
  const a = await node([])
  const boot = [a.addresses()[0] as string]
  const org = await a.services.org.createOrg({ name: 'Pull Cost', tag: 'PULL', handle: 'Lead_0' })
  const join1 = async (i: number) => {
    const m = await node(boot)
    const { token } = await a.services.invites.createInvite(org.id, { rank: 'member', bootstrap: boot })
    await m.services.invites.accept(token, `Mem_${i}`, m.admissions)
    await m.services.fleet.addShip(org.id, { model: 'Probe', manufacturer: 'RSI' })
    return m
  }
  const b = await join1(1)
  const c = await join1(2)
  for (let i = 3; i < MEMBERS; i++) {
    const m = await join1(i)
    await m.mesh.syncAll()
    await a.mesh.pull(m.network.peerId)
    await m.stop()
    nodes.splice(nodes.indexOf(m), 1)
  }
  const heads = async (n: VerseGuyNode) => {
    const out: [string, number][] = []
    for (const x of await n.documents.chains.authors(org.id))
      out.push([x, (await n.documents.chains.head(org.id, x))?.seq ?? 0])
    return JSON.stringify(out)
  }
  for (let t = 0; ; t++) {
    await b.mesh.pull(a.network.peerId)
    await c.mesh.pull(a.network.peerId)
    await a.mesh.pull(b.network.peerId)
    const h = await heads(a)
    if ((await heads(b)) === h && (await heads(c)) === h) break
    if (t > 50) throw new Error('not in sync')
    await new Promise((r) => setTimeout(r, 200))
  }
  const held = JSON.parse(await heads(a)) as [string, number][]
  const authors = held.length
  const requestBytes = encodeMessage({ t: 'req', org: org.id, heads: held }).length
  await new Promise((r) => setTimeout(r, 1000))
  const session = process.env.PROF ? new Session() : null
  if (session !== null) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < PULLS; i++) await b.mesh.pull(a.network.peerId)
  const ms = performance.now() - t0
  const used = process.cpuUsage(cpu0)
  const cpuMs = (used.user + used.system) / 1000
  if (session !== null) {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(process.env.PROF as string, JSON.stringify(profile))
  }
  const m0 = process.cpuUsage()
  for (let i = 0; i < PULLS; i++) await a.mesh.refreshMembers()
  const mu = process.cpuUsage(m0)
  console.log(
    JSON.stringify({
      label: process.env.LABEL ?? '',
      authors,
      pulls: PULLS,
      cpuMsPerPull: +(cpuMs / PULLS).toFixed(3),
      wallMsPerPull: +(ms / PULLS).toFixed(3),
      requestBytes,
      cpuMsPerMemberRecount: +((mu.user + mu.system) / 1000 / PULLS).toFixed(3),
      load: loadavg().map((x) => +x.toFixed(2)),
    }),
  )
} finally {
  for (const n of nodes) await n.stop().catch(() => {})
  for (const d of dirs) await rm(d, { recursive: true, force: true })
}
