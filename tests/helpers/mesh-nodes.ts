/**
 * Real nodes and bare hosts on 127.0.0.1 for mesh tests against hostile peers: each is
 * stopped (and its folder removed) after the test. Call `useMeshNodes()` at module level
 * (`{ clock }`: the nodes' clock, e.g. a `ScaledClock`).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, expect } from 'vitest'
import type { Clock } from '../../crdt/clock.ts'
import { createHost, type Host } from '../../net/index.ts'
import { layout } from '../../node/data-dir.ts'
import { initDataDir, readRuntimeFile, VerseGuyNode } from '../../node/index.ts'
import { FAST_KDF } from './start-nodes.ts'
import { waitFor } from './wait-for.ts'

const PASS = 'hostile test passphrase'

/**
 * The cheapest scrypt the key file allows: the default (N = 2^17, sealed at init and
 * opened at start) costs a node seconds on a loaded two-core machine, which a test of
 * the mesh spent before it began (and timed out in).
 */

export { waitFor }

export interface MeshNodes {
  /**
   * A started node (`net`: extra net config, e.g. `syncIntervalSeconds`; `config`: other
   * top-level settings, e.g. `license`).
   */
  node(
    bootstrap?: string[],
    net?: Record<string, unknown>,
    config?: Record<string, unknown>,
  ): Promise<VerseGuyNode>
  /** A bare libp2p host with the project's services, for a hand-driven hostile peer. */
  hostile(seed?: Uint8Array): Promise<Host>
  /** GETs `/api/v1/status` from the node's API; resolves to how long it took (ms). */
  apiLatency(n: VerseGuyNode): Promise<number>
}

export interface MeshNodesOptions {
  /** The nodes' clock (default: the system's). */
  readonly clock?: Clock
}

export function useMeshNodes(options: MeshNodesOptions = {}): MeshNodes {
  const nodes: VerseGuyNode[] = []
  const hosts: Host[] = []
  const dirs = new Map<VerseGuyNode, string>()
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop().catch(() => {})
    for (const n of nodes.splice(0)) {
      await n.stop().catch(() => {})
      await rm(dirs.get(n) as string, { recursive: true, force: true })
    }
    dirs.clear()
  }, 60_000)
  return {
    node: async (bootstrap = [], net = {}, config = {}) => {
      const d = await mkdtemp(join(tmpdir(), 'vg-hostile-'))
      await initDataDir(d, PASS, FAST_KDF)
      await writeFile(
        join(d, 'config.json'),
        JSON.stringify({
          net: {
            listen: ['/ip4/127.0.0.1/tcp/0'],
            mdns: false,
            bootstrap,
            discoveryIntervalSeconds: 600,
            ...net,
          },
          storage: { sync: false },
          ...config,
        }),
      )
      const n = new VerseGuyNode({
        dataDir: d,
        passphrase: PASS,
        apiPort: 0,
        logLevel: 'silent',
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      })
      dirs.set(n, d)
      await n.start()
      nodes.push(n)
      return n
    },
    hostile: async (seed = new Uint8Array(randomBytes(32))) => {
      const h = await createHost({ seed, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
      hosts.push(h)
      await h.start()
      return h
    },
    apiLatency: async (n) => {
      const info = await readRuntimeFile(layout(dirs.get(n) as string).runtime)
      if (info === null) throw new Error('the node wrote no node.json')
      const start = performance.now()
      const res = await fetch(`${info.apiUrl}/api/v1/status`, {
        headers: { authorization: `Bearer ${info.token}` },
      })
      await res.arrayBuffer()
      expect(res.status).toBe(200)
      return performance.now() - start
    },
  }
}

/** Expects `t` to have banned the peer: no connection left, and dialing back fails. */
export async function expectBanned(t: VerseGuyNode, h: Pick<Host, 'peerId' | 'libp2p'>): Promise<void> {
  await waitFor('the hostile peer disconnected', () => !t.network.connectedPeers().includes(h.peerId))
  expect(t.network.isBanned(h.peerId)).toBe(true)
  await h.libp2p.dial(multiaddr(t.addresses()[0] as string)).catch(() => {})
  await new Promise((r) => setTimeout(r, 300))
  expect(t.network.connectedPeers()).not.toContain(h.peerId)
  expect(t.mesh.peers().find((p) => p.peerId === h.peerId)?.banned).toBe(true)
}
