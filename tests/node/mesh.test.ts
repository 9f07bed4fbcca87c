/**
 * Two real nodes on 127.0.0.1 (mDNS off; the invite's addresses are the way in): one
 * founds an org and invites, the other accepts through its API, and ships added on
 * either side reach the other; peers report their sync state.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initDataDir, VerseGuyNode } from '../../node/index.ts'
import { FAST_KDF, useNodes } from '../helpers/start-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const PASS = 'mesh test passphrase'
const running: VerseGuyNode[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** Nodes with their API, stopped and removed after each test. */
const nodes = useNodes()

describe('two nodes on one machine', () => {
  it('invite, accept through the invite addresses, and ships added on either side reach the other', async () => {
    const a = await nodes.start('a')
    const b = await nodes.start('b')
    const org = await a.api<{ id: string }>('POST', '/api/v1/orgs', {
      name: 'Mesh Org',
      tag: 'MESH',
      handle: 'Lead_A',
    })
    const { token } = await a.api<{ token: string }>('POST', `/api/v1/orgs/${org.id}/invites`, {
      rank: 'member',
    })

    const joined = await b.api<{ id: string }>('POST', '/api/v1/invites/accept', { token, handle: 'Mem_B' })
    expect(joined.id).toBe(org.id)
    // The founder's node learns of the join.
    await waitFor('the join on A', async () =>
      (
        await a.api<{ items: { handle: string }[] }>('GET', `/api/v1/orgs/${org.id}/members?limit=500`)
      ).items.some((m) => m.handle === 'Mem_B'),
    )

    await b.api('POST', `/api/v1/orgs/${org.id}/ships`, { model: 'Cutlass Black', manufacturer: 'Drake' })
    await a.api('POST', `/api/v1/orgs/${org.id}/ships`, { model: 'Carrack', manufacturer: 'Anvil' })
    const models = async (x: typeof a) =>
      (await x.api<{ items: { model: string }[] }>('GET', `/api/v1/orgs/${org.id}/ships`)).items
        .map((s) => s.model)
        .sort()
    await waitFor('both ships on A', async () => (await models(a)).length === 2)
    await waitFor('both ships on B', async () => (await models(b)).length === 2)
    expect(await models(a)).toEqual(['Carrack', 'Cutlass Black'])
    expect(await models(b)).toEqual(['Carrack', 'Cutlass Black'])

    const peers = await b.api<{
      peers: { connected: boolean; lastSync: number | null; memberKey: string }[]
    }>('GET', '/api/v1/peers')
    expect(peers.peers).toHaveLength(1)
    expect(peers.peers[0]).toMatchObject({ connected: true })
    expect(peers.peers[0]?.lastSync).not.toBeNull()
  }, 60_000)

  it('a used invite admits nobody else (said plainly), and a stranger gets nothing', async () => {
    const a = await nodes.start('a')
    const b = await nodes.start('b')
    const c = await nodes.start('c')
    const org = await a.api<{ id: string }>('POST', '/api/v1/orgs', {
      name: 'Closed Org',
      tag: 'SHUT',
      handle: 'Lead_A',
    })
    const { token } = await a.api<{ token: string }>('POST', `/api/v1/orgs/${org.id}/invites`, {
      rank: 'member',
    })
    await b.api('POST', '/api/v1/invites/accept', { token, handle: 'Mem_B' })
    await waitFor('the join on A', async () =>
      (
        await a.api<{ items: { handle: string }[] }>('GET', `/api/v1/orgs/${org.id}/members?limit=500`)
      ).items.some((m) => m.handle === 'Mem_B'),
    )
    await expect(c.api('POST', '/api/v1/invites/accept', { token, handle: 'Mem_C' })).rejects.toThrow(
      /this invite was already used/,
    )
    expect(await c.api<unknown[]>('GET', '/api/v1/orgs')).toEqual([])
  }, 60_000)
})

describe('discovery through the DHT', () => {
  it('with mDNS off, a member that knows only a bootstrap peer finds the org node and catches up', async () => {
    const dirOf = new Map<VerseGuyNode, string>()
    const boot = await nodes.start('boot')
    const bootAddr = boot.node.addresses()[0] as string
    const withBootstrap = async (name: string, dir?: string) => {
      const d = dir ?? (await mkdtemp(join(tmpdir(), `vg-mesh-${name}-`)))
      if (dir === undefined) {
        dirs.push(d)
        await initDataDir(d, PASS, FAST_KDF)
      }
      await writeFile(
        join(d, 'config.json'),
        JSON.stringify({
          net: {
            listen: ['/ip4/127.0.0.1/tcp/0'],
            mdns: false,
            bootstrap: [bootAddr],
            syncIntervalSeconds: 2,
            discoveryIntervalSeconds: 1,
          },
        }),
      )
      const node = new VerseGuyNode({ dataDir: d, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
      await node.start()
      running.push(node)
      dirOf.set(node, d)
      return node
    }
    const a = await withBootstrap('a')
    const c = await withBootstrap('c')
    const org = await a.services.org.createOrg({ name: 'Far Org', tag: 'FAR', handle: 'Lead_A' })
    const { token } = await a.services.invites.createInvite(org.id, {
      rank: 'member',
      bootstrap: a.addresses(),
    })
    await c.services.invites.accept(token, 'Mem_C', c.admissions)
    await c.mesh.syncAll()
    await waitFor('the join on A', async () => (await a.services.org.members(org.id)).length === 2)

    // C goes away; A adds a ship; C comes back knowing only the bootstrap peer.
    const cDir = dirOf.get(c) as string
    await c.stop()
    running.splice(running.indexOf(c), 1)
    await a.services.fleet.addShip(org.id, { model: 'Reclaimer', manufacturer: 'Aegis' })
    const c2 = await withBootstrap('c', cDir)
    await waitFor(
      'C finding A through the DHT and catching up',
      async () => (await c2.services.fleet.ships(org.id)).some((s) => s.model === 'Reclaimer'),
      30_000,
    )
    expect(c2.mesh.peers().some((p) => p.memberKey === a.services.org.me && p.connected)).toBe(true)
  }, 90_000)
})
