/**
 * Worlds the mesh acceptance suite runs in: the in-memory network on a `ManualClock`
 * (anti-entropy rounds take no real time), and real libp2p hosts on 127.0.0.1. Each
 * world starts mesh nodes over a shared `LedgerOrg`, bare transports for hostile peers,
 * and cuts and heals links.
 */
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { type Clock, type Logger, ManualClock, silentLogger, systemClock } from '../../../crdt/index.ts'
import { createHost, type Host, Mesh, type MeshTransport } from '../../../net/index.ts'
import { MemoryNetwork, type MemoryTransport } from '../../../net/memory/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { type LedgerOrg, LedgerSource, ledgerOrg } from './ledger-source.ts'

export interface MeshNode {
  readonly transport: MeshTransport
  readonly mesh: Mesh
  readonly ledger: LedgerSource
  /** Pulls this node started since it was made (calls of `mesh.pull`). */
  pulls(): number
  /** Its gossip is lost on the way from now on (publish goes nowhere). */
  loseGossip(): void
}

export interface NodeOptions {
  /** Anti-entropy interval; default the world's. */
  readonly syncIntervalMs?: number
  /** A member of the org (default true). */
  readonly member?: boolean
}

export interface MeshWorld {
  readonly name: string
  readonly org: LedgerOrg
  /** The world's time: a `ManualClock` on the twin, the system clock on libp2p. */
  readonly clock: Clock
  /** The sync interval nodes get by default (short on libp2p, the default 30 s on the twin). */
  readonly syncIntervalMs: number
  /** A started mesh node, not connected to anyone. */
  node(options?: NodeOptions): Promise<MeshNode>
  /** A bare transport with no mesh (a hostile peer's, or a newcomer's), under `seed`'s key. */
  bare(seed?: Uint8Array): Promise<MeshTransport>
  /** An address of the node, as an invite carries it (ends in `/p2p/<peer id>`). */
  address(t: MeshTransport): string
  /** Connects two transports (waits until both see the connection). */
  connect(a: MeshTransport, b: MeshTransport): Promise<void>
  /** Cuts every link between the groups, and refuses new ones until `heal`. */
  partition(left: readonly MeshNode[], right: readonly MeshNode[]): Promise<void>
  heal(): Promise<void>
  /** Lets `ms` pass (virtual time on the twin, real time on libp2p). */
  elapse(ms: number): Promise<void>
  /** Waits until `cond` holds, letting at most `limitMs` pass. */
  until(what: string, cond: () => boolean | Promise<boolean>, limitMs: number): Promise<void>
  close(): Promise<void>
}

/** `n` started member nodes, each connected to every other. */
export async function connectedNodes(
  world: MeshWorld,
  n: number,
  options: NodeOptions = {},
): Promise<MeshNode[]> {
  const nodes: MeshNode[] = []
  for (let i = 0; i < n; i++) nodes.push(await world.node(options))
  for (const [i, a] of nodes.entries())
    for (const b of nodes.slice(i + 1)) await world.connect(a.transport, b.transport)
  return nodes
}

/** `MESH_TRACE=1` prints what the meshes log. */
const log: Logger = process.env.MESH_TRACE
  ? {
      debug: (...a: unknown[]) => console.log('debug', ...a),
      info: (...a: unknown[]) => console.log('info', ...a),
      warn: (...a: unknown[]) => console.log('warn', ...a),
      error: (...a: unknown[]) => console.log('error', ...a),
    }
  : silentLogger

/** A started mesh over `transport` serving `ledger` (DHT rounds out of the way). */
async function startMesh(
  transport: MeshTransport,
  ledger: LedgerSource,
  syncIntervalMs: number,
  clock?: Clock,
): Promise<Mesh> {
  const mesh = new Mesh({
    transport,
    source: ledger,
    syncIntervalMs,
    discoveryIntervalMs: 600_000,
    log,
    ...(clock === undefined ? {} : { clock }),
  })
  await mesh.start()
  return mesh
}

function meshNode(transport: MeshTransport, ledger: LedgerSource, mesh: Mesh): MeshNode {
  let pulls = 0
  const pull = mesh.pull.bind(mesh)
  mesh.pull = (peer: string) => {
    pulls++
    return pull(peer)
  }
  return {
    transport,
    mesh,
    ledger,
    pulls: () => pulls,
    loseGossip: () => {
      transport.publish = async () => {}
    },
  }
}

function enroll(org: LedgerOrg, member: boolean): { seed: Uint8Array; ledger: LedgerSource } {
  const seed = new Uint8Array(randomBytes(32))
  const ledger = new LedgerSource(seed, org)
  if (member) org.members.add(ledger.memberKey)
  return { seed, ledger }
}

/** The in-memory network, on a `ManualClock` (both given, for tests of the twin alone). */
export function memoryWorld(): MeshWorld & { readonly clock: ManualClock; readonly net: MemoryNetwork } {
  const clock = new ManualClock()
  const net = new MemoryNetwork({ clock })
  const org = ledgerOrg()
  const meshes: Mesh[] = []
  const transports: MemoryTransport[] = []
  const SYNC_MS = 30_000
  /** One step of virtual time, then real time for libp2p's stream internals (setTimeout 0). */
  const step = async (ms: number) => {
    await clock.advance(ms)
    await new Promise((r) => setTimeout(r, 1))
  }
  return {
    clock,
    net,
    name: 'in-memory network',
    org,
    syncIntervalMs: SYNC_MS,
    async node(options = {}) {
      const { seed, ledger } = enroll(org, options.member !== false)
      const transport = await net.node(seed)
      transports.push(transport)
      const mesh = await startMesh(transport, ledger, options.syncIntervalMs ?? SYNC_MS, clock)
      meshes.push(mesh)
      return meshNode(transport, ledger, mesh)
    },
    async bare(seed) {
      const t = await net.node(seed)
      transports.push(t)
      return t
    },
    address: (t) => (transports.find((x) => x === t) as MemoryTransport).multiaddrs()[0] as string,
    async connect(a, b) {
      net.connect(a.peerId, b.peerId)
      await step(0)
    },
    async partition(left, right) {
      net.partition(
        left.map((n) => n.transport.peerId),
        right.map((n) => n.transport.peerId),
      )
      await step(0)
    },
    async heal() {
      net.heal()
      await step(0)
    },
    async elapse(ms) {
      const end = clock.now() + ms
      while (clock.now() < end) await step(Math.min(500, end - clock.now()))
    },
    async until(what, cond, limitMs) {
      const end = clock.now() + limitMs
      for (;;) {
        if (await cond()) return
        if (clock.now() >= end) throw new Error(`${what}: not within ${limitMs} ms (virtual)`)
        await step(Math.min(500, end - clock.now()))
      }
    },
    async close() {
      for (const m of meshes.splice(0)) await m.stop()
      for (const t of transports.splice(0)) await t.stop()
    },
  }
}

/** Real libp2p hosts on 127.0.0.1 (mDNS off), on the system clock. */
export function libp2pWorld(): MeshWorld {
  const org = ledgerOrg()
  const hosts: Host[] = []
  const meshes: Mesh[] = []
  const SYNC_MS = 1_000
  const host = async (seed: Uint8Array) => {
    const h = await createHost({ seed, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    hosts.push(h)
    await h.start()
    return h
  }
  const asHost = (t: MeshTransport) => hosts.find((h) => h === t) as Host
  const cut: [Host, Host][] = []
  return {
    name: 'libp2p on 127.0.0.1',
    org,
    clock: systemClock,
    syncIntervalMs: SYNC_MS,
    async node(options = {}) {
      const { seed, ledger } = enroll(org, options.member !== false)
      const transport = await host(seed)
      const mesh = await startMesh(transport, ledger, options.syncIntervalMs ?? SYNC_MS)
      meshes.push(mesh)
      return meshNode(transport, ledger, mesh)
    },
    bare: (seed = new Uint8Array(randomBytes(32))) => host(seed),
    address: (t) => asHost(t).multiaddrs()[0] as string,
    async connect(a, b) {
      const conn = await asHost(a).libp2p.dial(multiaddr(asHost(b).multiaddrs()[0] as string))
      // A peer that refuses (its connection gater: a ban) closes the connection at once.
      const seen = await waitFor(
        'the connection on both sides, or its end',
        () => (b.connectedPeers().includes(a.peerId) ? 'both' : conn.status !== 'open' && 'refused'),
        5_000,
      )
      if (seen === 'refused') throw new Error(`${b.peerId} closed the connection from ${a.peerId}`)
    },
    async partition(left, right) {
      // A ban either way closes the links and the connection gater refuses new ones.
      for (const l of left)
        for (const r of right) {
          const [a, b] = [asHost(l.transport), asHost(r.transport)]
          cut.push([a, b])
          await Promise.all([a.ban(b.peerId, 3_600_000), b.ban(a.peerId, 3_600_000)])
        }
    },
    async heal() {
      for (const [a, b] of cut.splice(0)) {
        a.unban(b.peerId)
        b.unban(a.peerId)
        await this.connect(a, b)
      }
    },
    elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
    async until(what, cond, limitMs) {
      await waitFor(what, cond, { timeoutMs: limitMs })
    },
    async close() {
      for (const m of meshes.splice(0)) await m.stop()
      for (const h of hosts.splice(0)) await h.stop().catch(() => {})
    },
  }
}
