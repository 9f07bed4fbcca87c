/**
 * Issue 4 figures (issue 12: cold and warm, CPU beside wall time).
 * - catchupVsAutomergeRepo: a member's node that was offline (it holds the leader's
 *   hangar of 100 ships as it was) catches up on the 10,000 changes the leader made to it
 *   meanwhile, through our sync protocol over real libp2p hosts on 127.0.0.1 (TCP, Noise,
 *   Yamux), with everything the node does to a remote change (entries, chain links,
 *   signatures, authorship, rules, persistence in LevelDB), vs `@automerge/automerge-repo`
 *   doing the same catch-up: repo B holds the document as it was, connects to repo A over
 *   a WebSocket on 127.0.0.1 and syncs the changes (no storage). Same process, rounds
 *   interleaved (target ≤ 1.5 for the cold figure).
 *   Cold: before each round the leader makes one more change to the hangar and repo A
 *   takes the same change, so each responder serves a document state it has not served
 *   before, as for the first member to come back after a change: the caches kept per
 *   document state (our snapshot, Automerge's sync state) are empty; what a running node
 *   keeps up to date as it changes (our hash → change index per document, the roster
 *   entries found in the org's chains) is kept, as on the leader's running node (a
 *   responder that restarted builds them on its first catch-up: the restarted figure).
 *   Warm: the same catch-up again right after, from the same state.
 *   Restarted: both responders stopped and started again from their storage (our node from
 *   its data directory, repo A from its storage adapter, kept in memory), nothing of the
 *   document in memory: what the first member to pull after a responder restart sees.
 *   Same setup on both sides: the requester holds its document in memory before the
 *   clock starts; timed from opening the connection to the document at the new heads.
 *   CPU time (this process, both sides, every thread) is reported beside wall time.
 * - Also shown: automerge-repo cloning the whole document into an empty repo, where
 *   Automerge's sync sends one compressed snapshot instead of changes (over a WebSocket,
 *   and over an in-process MessageChannel with no socket at all).
 *
 * `--profile` adds one more cold catch-up of ours under the V8 profiler and prints where
 * the time went (self time by function and by package; `MESH_PROFILE_OUT=FILE` keeps the
 * profile).
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Profiler } from 'node:inspector'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { multiaddr } from '@multiformats/multiaddr'
import {
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  type MemberKey,
  type SignedEntry,
  type Signer,
  toHex,
} from '../crdt/index.ts'
import { createHost, type Host, memberKeyOf, requestSync, SYNC_PROTOCOL, serveSync } from '../net/index.ts'
import { hangarId } from '../services/fleet/index.ts'
import { StoreSyncSource } from '../services/mesh/store-sync-source.ts'
import { everything, makeReplica, type Replica } from '../tests/helpers/replica.ts'
import { type Measured, measure, median, printTable, quick, type Row, writeResults } from './lib.ts'
import { type TheirServer, theirsMc, theirsServer, theirsWs } from './mesh-automerge-repo.ts'

const CHANGES = quick ? 1_000 : 10_000
const SHIPS = 100
/** Rounds of each (`MESH_ROUNDS` for more on a noisy machine). */
const ROUNDS = quick ? 1 : Number(process.env.MESH_ROUNDS ?? 11)
const profile = process.argv.includes('--profile')

/** A member's signer from its 32-byte seed: the libp2p host under the same seed has its key. */
function seeded(seed: Uint8Array): Signer {
  const privateKey = ed25519PrivateKeyObject(seed)
  return {
    memberKey: toHex(ed25519RawPublicKey(privateKey)) as MemberKey,
    sign: (d) => ed25519Sign(privateKey, d),
  }
}

async function startHost(seed: Uint8Array): Promise<Host> {
  const h = await createHost({ seed, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  await h.start()
  return h
}

interface Org {
  /** The leader's node (replaced when it restarts from `leaderDir`). */
  leader: Replica
  readonly leaderDir: string
  readonly orgId: string
  readonly memberSeed: Uint8Array
  readonly leaderSeed: Uint8Array
  /** All the leader held before the changes: what the offline member holds. */
  readonly before: { entries: SignedEntry[]; changes: Uint8Array[] }
  readonly hangar: string
  /** The hangar's changes, in the leader's order. */
  readonly hangarChanges: Uint8Array[]
  /** The hangar as the member held it when it went offline. */
  readonly hangarBefore: Uint8Array
  /** The leader's heads now (one more change before each cold round). */
  heads: string
  /** Changes the member lacks now. */
  missed: number
  readonly shipIds: readonly string[]
}

/**
 * A leader and a member who joined and saw the leader's hangar of `SHIPS` ships; then,
 * with the member offline, `CHANGES` changes to those ships by the leader.
 */
async function setup(): Promise<Org> {
  const leaderSeed = new Uint8Array(randomBytes(32))
  const memberSeed = new Uint8Array(randomBytes(32))
  const leaderDir = await mkdtemp(join(tmpdir(), 'vg-bench-leader-'))
  const leader = await makeReplica(seeded(leaderSeed), { dir: leaderDir })
  const member = await makeReplica(seeded(memberSeed))
  const org = await leader.org.createOrg({ name: 'Bench Org', tag: 'BNCH', handle: 'Bench_Lead' })
  const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
  const { request } = member.invites.joinRequest(token, 'Bench_Member')
  const admitted = await leader.invites.admit(request)
  if (!admitted.ok) throw new Error(admitted.reason)
  await member.store.receive(await everything(leader))
  await member.close()
  const ids: string[] = []
  for (let i = 0; i < SHIPS; i++) {
    ids.push((await leader.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI', cost: i })).id)
  }
  const hangar = hangarId(org.id, leader.signer.memberKey)
  const before = await everything(leader)
  const hangarBefore = A.save(await leader.store.get(hangar))
  for (let i = 0; i < CHANGES; i++) {
    await leader.fleet.updateShip(org.id, leader.signer.memberKey, ids[i % SHIPS] as string, {
      name: `Refit ${i}`,
    })
  }
  const hangarChanges = await leader.store.changes(hangar)
  const heads = A.getHeads(await leader.store.get(hangar)).join()
  return {
    leader,
    leaderDir,
    orgId: org.id,
    memberSeed,
    leaderSeed,
    before,
    hangar,
    hangarChanges,
    hangarBefore,
    heads,
    missed: CHANGES,
    shipIds: ids,
  }
}

interface LeaderHost {
  readonly host: Host
  readonly served: Promise<unknown>[]
  /** What the host serves from: the leader's node as it is now. */
  source: StoreSyncSource
}

/** Ours: the leader's host serving sync for the whole run. */
async function leaderHost(o: Org): Promise<LeaderHost> {
  const host = await startHost(o.leaderSeed)
  const leader: LeaderHost = {
    host,
    served: [],
    source: new StoreSyncSource({ store: o.leader.store, auth: o.leader.validator.auth }),
  }
  await host.libp2p.handle(SYNC_PROTOCOL, (stream, connection) => {
    leader.served.push(serveSync(stream, memberKeyOf(connection.remotePeer) ?? '', leader.source))
  })
  return leader
}

/** The leader's node stopped and started again from its data directory (untimed). */
async function restartLeader(o: Org, leader: LeaderHost): Promise<void> {
  await o.leader.close()
  o.leader = await makeReplica(seeded(o.leaderSeed), { dir: o.leaderDir })
  leader.source = new StoreSyncSource({ store: o.leader.store, auth: o.leader.validator.auth })
}

/**
 * One catch-up of ours: a fresh member node holding only what it had before the changes
 * (storage settings as a node runs by default) and its own host; timed from the dial to the last
 * batch stored.
 */
async function ours(
  o: Org,
  leader: LeaderHost,
  timed: (fn: () => Promise<void>) => Promise<Measured> = measure,
): Promise<Measured> {
  const member = await makeReplica(seeded(o.memberSeed), { sync: true })
  await member.store.receive(o.before)
  const host = await startHost(o.memberSeed)
  const source = new StoreSyncSource({ store: member.store, auth: member.validator.auth })
  let accepted = 0
  const ms = await timed(async () => {
    const stream = await host.libp2p.dialProtocol(
      multiaddr(leader.host.multiaddrs()[0] as string),
      SYNC_PROTOCOL,
    )
    const summary = await requestSync(stream, o.orgId, source)
    if (summary.rejected > 0) throw new Error(`refused: ${summary.reasons[0]}`)
    accepted = summary.accepted
  })
  await Promise.all(leader.served.splice(0))
  if (accepted < o.missed) throw new Error(`accepted ${accepted} of ${o.missed}`)
  if (A.getHeads(await member.store.get(o.hangar as never)).join() !== o.heads)
    throw new Error('ours diverged')
  await host.stop()
  await member.close()
  return ms
}

/**
 * The leader makes one more change to the hangar and repo A takes the same change: both
 * responders then hold a document state neither has served (untimed; both settle after).
 */
async function changeBoth(o: Org, server: TheirServer, round: number): Promise<void> {
  await o.leader.fleet.updateShip(o.orgId, o.leader.signer.memberKey, o.shipIds[round % SHIPS] as string, {
    name: `Cold ${round}`,
  })
  const doc = await o.leader.store.get(o.hangar as never)
  const change = A.getLastLocalChange(doc)
  if (change === undefined) throw new Error('the leader made no change')
  server.handle.update((d) => A.applyChanges(d, [change])[0])
  o.heads = A.getHeads(doc).join()
  o.missed++
  if (A.getHeads(server.handle.doc()).join() !== o.heads) throw new Error('repo A holds another history')
  // Both store the change (repo A's storage writes are debounced by 100 ms).
  await new Promise((resolve) => setTimeout(resolve, 300))
}

/** Self time by function and by package during one cold catch-up of ours. */
async function profiled(o: Org, leader: LeaderHost, server: TheirServer): Promise<void> {
  await changeBoth(o, server, 2 * ROUNDS)
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  let p: Profiler.Profile | undefined
  // Only the timed part: the dial and the catch-up, both nodes' work (same process).
  const { ms } = await ours(o, leader, async (fn) => {
    await session.post('Profiler.start')
    const t = await measure(fn)
    p = (await session.post('Profiler.stop')).profile
    return t
  })
  session.disconnect()
  if (p === undefined) return
  // The whole profile, for Chrome DevTools or other tools (`MESH_PROFILE_OUT=FILE.cpuprofile`).
  if (process.env.MESH_PROFILE_OUT) writeFileSync(process.env.MESH_PROFILE_OUT, JSON.stringify(p))
  const total = (p.endTime - p.startTime) / 1000
  const perSample = total / Math.max(1, p.samples?.length ?? 1)
  const byFn = new Map<string, number>()
  const byPkg = new Map<string, number>()
  const byOurs = new Map<string, number>()
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const nodes = new Map(p.nodes.map((n) => [n.id, n]))
  const root = new URL('../', import.meta.url).href
  // Rust symbols lose their crate hashes; wasm frames are named by module, not line.
  const name = (f: Profiler.ProfileNode['callFrame']) => {
    const fn = (f.functionName || '(anonymous)').replace(/\[[0-9a-f]{8,}\]/g, '')
    if (f.url.startsWith('wasm:')) return `${fn.slice(0, 110)} (wasm)`
    const where = f.url.replace(root, '').replace(/^.*node_modules\//, '')
    return `${fn} ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`
  }
  const ourCode = (url: string) =>
    url.startsWith(root) && !url.includes('/node_modules/') && !url.startsWith(`${root}bench/`)
  for (const n of p.nodes) {
    const self = (n.hitCount ?? 0) * perSample
    if (self === 0) continue
    const f = n.callFrame
    const where = f.url.replace(root, '').replace(/^.*node_modules\//, '')
    const key = name(f)
    byFn.set(key, (byFn.get(key) ?? 0) + self)
    // Charged to the innermost function of ours on the stack (what it calls included).
    let at: number | undefined = n.id
    while (at !== undefined && !ourCode(nodes.get(at)?.callFrame.url ?? '')) at = parent.get(at)
    const mine = at === undefined ? '(not under our code)' : name((nodes.get(at) as typeof n).callFrame)
    byOurs.set(mine, (byOurs.get(mine) ?? 0) + self)
    const pkg =
      f.url === ''
        ? f.functionName || '(native)'
        : f.url.startsWith('wasm:')
          ? 'automerge (wasm)'
          : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)?.[1] ??
            (f.url.startsWith('node:') ? 'node:*' : (where.split('/')[0] ?? where)))
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + self)
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, v]) => ({ 'self ms': Number(v.toFixed(1)), '%': Number(((100 * v) / total).toFixed(1)), k }))
  console.log(`\nProfile of one catch-up (${ms.toFixed(0)} ms timed, ${total.toFixed(0)} ms profiled)`)
  console.table(top(byPkg, 15))
  console.table(top(byFn, 25))
  console.log('Charged to the innermost function of ours (crdt/, services/, net/) on the stack:')
  console.table(top(byOurs, 25))
}

async function catchup(): Promise<Row[]> {
  const o = await setup()
  const leader = await leaderHost(o)
  const server = await theirsServer(o)
  // One unmeasured round of each (JIT, wasm, first connections); the smoke run skips it.
  if (!quick) {
    await ours(o, leader)
    await theirsWs(o, server, 'offline')
    await theirsWs(o, server, 'clone')
    await theirsMc(o, server)
  }
  const cold = { ours: [] as Measured[], theirs: [] as Measured[] }
  const warm = { ours: [] as Measured[], theirs: [] as Measured[] }
  const restarted = { ours: [] as Measured[], theirs: [] as Measured[] }
  const clone: Measured[] = []
  const mc: Measured[] = []
  // Which side goes first alternates, so drift of the machine's speed hits both alike.
  const pair = async (r: number, into: { ours: Measured[]; theirs: Measured[] }) => {
    if (r % 2 === 0) {
      into.theirs.push(await theirsWs(o, server, 'offline'))
      into.ours.push(await ours(o, leader))
    } else {
      into.ours.push(await ours(o, leader))
      into.theirs.push(await theirsWs(o, server, 'offline'))
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    await changeBoth(o, server, r)
    await pair(r, cold)
    await pair(r, warm)
    clone.push(await theirsWs(o, server, 'clone'))
    mc.push(await theirsMc(o, server))
  }
  // Restarts after the other rounds, so that no restart's after-effects (storage recovery
  // and compaction in the background) fall into a cold or warm round.
  for (let r = 0; r < ROUNDS; r++) {
    await changeBoth(o, server, ROUNDS + r)
    await restartLeader(o, leader)
    await server.restart()
    await pair(r, restarted)
    await server.refind()
  }
  if (profile) await profiled(o, leader, server)
  await server.close()
  await leader.host.stop()
  await o.leader.close()
  await rm(o.leaderDir, { recursive: true, force: true })
  const n = o.missed
  const wall = (xs: readonly Measured[]) => median(xs.map((x) => x.ms))
  const cpu = (xs: readonly Measured[]) => median(xs.map((x) => x.cpuMs))
  const ratios = (p: { ours: Measured[]; theirs: Measured[] }, of: (x: Measured) => number) =>
    p.ours.map((x, i) => of(x) / of(p.theirs[i] as Measured))
  const coldRatios = ratios(cold, (x) => x.ms)
  const rows: Row[] = [
    { figure: 'hangar changes caught up', value: n, unit: 'changes', note: `${CHANGES} + one per round` },
    {
      figure: 'catchupVsAutomergeRepo',
      value: median(coldRatios),
      unit: '×',
      target: '≤ 1.5',
      note: 'cold responders: median over rounds of our wall time / automerge-repo offline-repo wall time',
    },
    { figure: 'catchupVsAutomergeRepo, best round', value: Math.min(...coldRatios), unit: '×' },
    { figure: 'catchupVsAutomergeRepo, worst round', value: Math.max(...coldRatios), unit: '×' },
    {
      figure: 'catchupVsAutomergeRepo, CPU',
      value: median(ratios(cold, (x) => x.cpuMs)),
      unit: '×',
      note: 'cold: our CPU time / automerge-repo CPU time (both sides of each, this process)',
    },
    {
      figure: 'catchupVsAutomergeRepo, warm',
      value: median(ratios(warm, (x) => x.ms)),
      unit: '×',
      note: 'the same catch-up again from the same responder state',
    },
    { figure: 'catchupVsAutomergeRepo, warm, CPU', value: median(ratios(warm, (x) => x.cpuMs)), unit: '×' },
    {
      figure: 'catchupVsAutomergeRepo, restarted',
      value: median(ratios(restarted, (x) => x.ms)),
      unit: '×',
      note: 'both responders started again from storage just before (nothing in memory)',
    },
    {
      figure: 'catchupVsAutomergeRepo, restarted, CPU',
      value: median(ratios(restarted, (x) => x.cpuMs)),
      unit: '×',
    },
  ]
  for (const [label, p] of [
    ['cold', cold],
    ['warm', warm],
    ['restarted', restarted],
  ] as const) {
    rows.push(
      {
        figure: `automerge-repo offline repo over WebSocket, ${label} (baseline)`,
        value: wall(p.theirs),
        unit: 'ms',
      },
      { figure: `automerge-repo offline repo, ${label}, CPU`, value: cpu(p.theirs), unit: 'ms' },
      { figure: `verified catch-up over libp2p, ${label}`, value: wall(p.ours), unit: 'ms' },
      { figure: `verified catch-up over libp2p, ${label}, CPU`, value: cpu(p.ours), unit: 'ms' },
      {
        figure: `verified catch-up over libp2p, ${label}, rate`,
        value: (n / wall(p.ours)) * 1000,
        unit: 'changes/s',
      },
    )
  }
  rows.push(
    {
      figure: 'automerge-repo, empty repo cloning over WebSocket',
      value: wall(clone),
      unit: 'ms',
      note: 'the whole document is sent as one compressed snapshot',
    },
    { figure: 'automerge-repo, empty repo cloning, CPU', value: cpu(clone), unit: 'ms' },
    { figure: 'automerge-repo over MessageChannel', value: wall(mc), unit: 'ms' },
    {
      figure: 'ours (warm) vs automerge-repo empty-repo clone',
      value: wall(warm.ours) / wall(clone),
      unit: '×',
    },
    { figure: 'ours (warm) vs automerge-repo MessageChannel', value: wall(warm.ours) / wall(mc), unit: '×' },
  )
  return rows
}

export async function run(): Promise<Row[]> {
  const rows = await catchup()
  printTable(`Mesh (catch-up of ${CHANGES} changes${quick ? ', quick' : ''})`, rows)
  const file = writeResults('mesh', {
    changes: CHANGES,
    rounds: ROUNDS,
    figures: Object.fromEntries(
      rows.map((r) => [r.figure, { value: r.value, unit: r.unit, target: r.target }]),
    ),
  })
  console.log(`results: ${file}`)
  return rows
}

if (import.meta.main) await run()
