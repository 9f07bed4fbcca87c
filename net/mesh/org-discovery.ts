/**
 * One discovery round: announces each org this node holds at its rendezvous (the DHT on
 * libp2p) under a key only its members can derive, and dials the other providers found
 * there. Bounded by a timeout on the mesh's clock and by the mesh's stop.
 */
import type { Clock, Logger } from '../../crdt/index.ts'
import { clockTimeout } from '../clock-timeout.ts'
import { orgRendezvousKey } from '../org-key.ts'
import type { MeshTransport } from '../transport.ts'

export interface OrgDiscoveryInit {
  readonly transport: Pick<MeshTransport, 'provide' | 'findProviders' | 'connectedPeers' | 'dial'>
  readonly source: {
    orgs(): Promise<string[]>
    meshSecret(org: string): Promise<Uint8Array | null>
  }
  readonly clock: Clock
  readonly log: Logger
  readonly stopped: AbortSignal
  readonly timeoutMs: number
}

export async function discoverOrgs(init: OrgDiscoveryInit): Promise<void> {
  const timeout = clockTimeout(init.clock, init.timeoutMs)
  const signal = AbortSignal.any([init.stopped, timeout.signal])
  const { transport, source, log } = init
  try {
    for (const org of await source.orgs()) {
      const secret = await source.meshSecret(org)
      if (secret === null) continue
      const key = orgRendezvousKey(org, secret)
      try {
        // Waits for the DHT to know a peer: bounded by the signal.
        await transport.provide(key, signal)
        for await (const p of transport.findProviders(key, signal)) {
          const id = p.peerId.toString()
          if (transport.connectedPeers().includes(id)) continue
          log.debug({ org, peer: id }, 'found an org node in the DHT; dialing')
          await transport.dial(id, signal).catch((err: Error) => {
            log.debug({ peer: id, err: err.message }, 'dial failed')
          })
        }
      } catch (err) {
        if (!init.stopped.aborted) log.debug({ org, err: (err as Error).message }, 'DHT round ended')
      }
    }
  } finally {
    timeout.cancel()
  }
}
