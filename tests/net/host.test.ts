/**
 * The libp2p host on real nodes, on 127.0.0.1 only.
 *
 * mDNS and this sandbox: `@libp2p/mdns` hands `multicast-dns` only a port and a group
 * address, so its queries go to 224.0.0.251 through the default route (here `eth0`),
 * not the loopback, and there is no option to pin the interface. Multicast itself works
 * on `lo` (a socket with `setMulticastInterface('127.0.0.1')` hears its own datagram),
 * but an in-process mDNS test would send packets off this machine. So the mDNS test runs
 * its two hosts in a child process inside a fresh network namespace (`unshare -n`, or
 * `-rn` without root) that holds only `lo`, with multicast switched on and 224.0.0.0/4
 * routed to it. Where namespaces cannot be made, that test is skipped, saying why.
 * Every other host here has mDNS off.
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import * as ed from '@noble/ed25519'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import { ed25519PrivateKeyObject, ed25519RawPublicKey, parseMemberKey, toHex } from '../../crdt/index.ts'
import {
  createHost,
  DHT_PROTOCOL,
  dhtKeyCid,
  type Host,
  type HostInit,
  MIN_MESH_SECRET_BYTES,
  orgRendezvousKey,
} from '../../net/index.ts'
import { MemberIdentity, peerIdOf } from '../../services/identity/index.ts'
import { netns, run, runInNetns } from '../helpers/netns.ts'
import { waitFor } from '../helpers/wait-for.ts'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

const hosts: Host[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()))
})

const newSeed = (): Uint8Array => new Uint8Array(randomBytes(32))

/** A started host on 127.0.0.1 with mDNS off, stopped after the test. */
async function startHost(init: Partial<HostInit> = {}): Promise<Host> {
  const host = await createHost({ seed: newSeed(), listen: [LOOPBACK], mdns: false, ...init })
  hosts.push(host)
  await host.start()
  return host
}

const connected = (a: Host, b: Host): boolean => a.connectedPeers().includes(b.peerId)

if ('reason' in netns) console.warn(`skipping the mDNS test: ${netns.reason}`)

describe('host', () => {
  it.skipIf('reason' in netns)(
    'two hosts with mDNS on find and connect to each other with no configuration',
    async () => {
      const exit = await runInNetns(`${FIXTURES}mdns-pair.ts`, 25_000)
      expect(exit.stderr).toBe('')
      expect(exit.code).toBe(0)
      const result = JSON.parse(exit.stdout.trim()) as { ok: boolean; ms: number }
      expect(result.ok).toBe(true)
      expect(result.ms).toBeLessThan(15_000)
    },
  )

  it.skipIf('reason' in netns)(
    "two fresh CLI nodes with no configuration find each other by mDNS, join one org and see each other's ships",
    async () => {
      const exit = await runInNetns(`${FIXTURES}mdns-cli.ts`, 150_000)
      const result = JSON.parse(exit.stdout.trim() || '{}') as { ok: boolean; steps: string[] }
      expect(result.steps.join('\n')).not.toMatch(/error/)
      expect(exit.stderr).toBe('')
      expect(result.ok).toBe(true)
    },
    160_000,
  )

  it('speaks our own DHT protocol, never the public IPFS one', async () => {
    const host = await startHost()
    const protocols = host.libp2p.getProtocols()
    expect(protocols).toContain(DHT_PROTOCOL)
    expect(protocols.some((p) => p.startsWith('/ipfs/kad/'))).toBe(false)
    expect(host.libp2p.services.dht.getMode()).toBe('server')
    expect(host.libp2p.services.relay).toBeUndefined()
  })

  it('runs a circuit relay server only when asked to', async () => {
    const relay = await startHost({ relay: true })
    expect(relay.libp2p.services.relay).toBeDefined()
    expect(relay.libp2p.getProtocols()).toContain('/libp2p/circuit/relay/0.2.0/hop')
  })

  it('with mDNS off, joins through a bootstrap peer and finds an org provider via the DHT', async () => {
    const first = await startHost()
    const [firstAddr] = first.multiaddrs()
    expect(firstAddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    const bootstrap = [firstAddr as string]

    const second = await startHost({ bootstrap })
    await waitFor('second to connect to its bootstrap peer', () => connected(second, first), 10_000)

    const key = orgRendezvousKey('org-alpha', new Uint8Array(randomBytes(32)))
    await second.provide(key, AbortSignal.timeout(10_000))

    const third = await startHost({ bootstrap })
    await waitFor('third to connect to its bootstrap peer', () => connected(third, first), 10_000)

    let provider: string | undefined
    for await (const found of third.findProviders(key, AbortSignal.timeout(15_000))) {
      provider = found.peerId.toString()
      if (provider === second.peerId) {
        await third.libp2p.dial(found.peerId, { signal: AbortSignal.timeout(10_000) })
        break
      }
    }
    expect(provider).toBe(second.peerId)
    expect(connected(third, second)).toBe(true)

    // A key nobody provides finds nobody (and the search ends).
    const nobody = orgRendezvousKey('org-alpha', new Uint8Array(randomBytes(32)))
    const none: string[] = []
    for await (const found of third.findProviders(nobody, AbortSignal.timeout(15_000))) {
      none.push(found.peerId.toString())
    }
    expect(none).toEqual([])
  })

  it('reaches peers it learns of through the DHT and reports connects and disconnects', async () => {
    const first = await startHost()
    const second = await startHost({ bootstrap: first.multiaddrs() })
    await waitFor('second to connect', () => connected(second, first), 10_000)

    const seen: string[] = []
    const third = await createHost({
      seed: newSeed(),
      listen: [LOOPBACK],
      mdns: false,
      bootstrap: first.multiaddrs(),
    })
    hosts.push(third)
    third.on('peer:connect', ({ peerId }) => seen.push(`+${peerId}`))
    third.on('peer:disconnect', ({ peerId }) => seen.push(`-${peerId}`))
    await third.start()
    // third was told only of first; it learns of second through the DHT and dials it.
    await waitFor('third to dial second, learnt from the DHT', () => connected(third, second), 15_000)
    expect(seen).toContain(`+${first.peerId}`)
    expect(seen).toContain(`+${second.peerId}`)

    await second.stop()
    await waitFor('the disconnect event', () => seen.includes(`-${second.peerId}`), 10_000)
  })

  it('pings that overlap on one connection all succeed (the connection monitor aborts a connection whose ping fails)', async () => {
    const a = await startHost()
    const b = await startHost()
    await a.libp2p.dial(multiaddr(b.multiaddrs()[0] as string))
    // libp2p's connection monitor and the DHT's liveness checks both ping; with the ping
    // service's default of one outbound stream, the second ping fails at once and the
    // monitor then aborts a healthy connection.
    const rtts = await Promise.all([1, 2, 3].map(() => a.libp2p.services.ping.ping(b.libp2p.peerId)))
    expect(rtts).toHaveLength(3)
    expect(connected(a, b)).toBe(true)
  })

  it('has the peer id services/identity computes for the same member key', async () => {
    const seed = newSeed()
    const host = await createHost({ seed, listen: [LOOPBACK], mdns: false })
    const memberKey = parseMemberKey(toHex(ed25519RawPublicKey(ed25519PrivateKeyObject(seed))))
    // An independent Ed25519 implementation agrees on the public key.
    expect(toHex(await ed.getPublicKeyAsync(seed))).toBe(memberKey)
    expect(host.peerId).toBe(peerIdOf(memberKey))
    expect(host.libp2p.peerId.publicKey?.raw).toEqual(await ed.getPublicKeyAsync(seed))

    const { identity } = await MemberIdentity.generate('correct horse battery', { N: 2 ** 12, r: 8, p: 1 })
    const fromIdentity = await createHost({ seed: identity.libp2pSeed(), listen: [LOOPBACK], mdns: false })
    expect(fromIdentity.peerId).toBe(identity.peerId)
  })

  it('refuses a seed that is not 32 bytes', async () => {
    await expect(createHost({ seed: new Uint8Array(31), listen: [LOOPBACK], mdns: false })).rejects.toThrow(
      /32 bytes/,
    )
  })

  it('stop() closes connections and listeners', async () => {
    const first = await startHost()
    const second = await startHost({ bootstrap: first.multiaddrs() })
    await waitFor('first to see second', () => connected(first, second), 10_000)
    const [addr] = first.multiaddrs()
    await first.stop()
    await first.stop() // a second stop is a no-op
    expect(first.libp2p.status).toBe('stopped')
    expect(first.connectedPeers()).toEqual([])
    await waitFor('second to see first gone', () => !connected(second, first), 10_000)
    // Nothing listens there any more.
    await expect(
      second.libp2p.dial(multiaddr(addr as string), { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow()
  })

  it('stop() leaves nothing behind: a process that used hosts exits by itself', async () => {
    const exit = await run(process.execPath, [`${FIXTURES}stop-exits.ts`], 25_000)
    expect(exit.stderr).toBe('')
    expect(exit.stdout.trim()).toBe('stopped')
    expect(exit.code).toBe(0)
  })
})

describe('dhtKeyCid', () => {
  it('is a CIDv1, raw codec, sha2-256 of the key', () => {
    const cid = dhtKeyCid(new TextEncoder().encode('abc'))
    expect(cid.version).toBe(1)
    expect(cid.code).toBe(0x55)
    expect(cid.multihash.code).toBe(0x12)
    expect(toHex(cid.multihash.digest)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})

describe('orgRendezvousKey', () => {
  const secret = new Uint8Array(32).fill(1)

  it('is sha256 over the domain, the org id, a newline and the secret', () => {
    const key = orgRendezvousKey('org-1', secret)
    const prefix = new TextEncoder().encode('verseguy/org-rendezvous/v1\norg-1\n')
    const expected = nobleSha256(new Uint8Array([...prefix, ...secret]))
    expect(toHex(key)).toBe(toHex(expected))
    expect(key.byteLength).toBe(32)
  })

  it('changes with the org id and with the secret', () => {
    const key = toHex(orgRendezvousKey('org-1', secret))
    expect(toHex(orgRendezvousKey('org-2', secret))).not.toBe(key)
    expect(toHex(orgRendezvousKey('org-1', new Uint8Array(32).fill(2)))).not.toBe(key)
    expect(toHex(orgRendezvousKey('org-1', secret))).toBe(key)
  })

  it('refuses a short secret and an org id that would make the encoding ambiguous', () => {
    expect(() => orgRendezvousKey('org-1', new Uint8Array(MIN_MESH_SECRET_BYTES - 1))).toThrow(TypeError)
    expect(() => orgRendezvousKey('', secret)).toThrow(TypeError)
    expect(() => orgRendezvousKey('org\n1', secret)).toThrow(TypeError)
  })
})
