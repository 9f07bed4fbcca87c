/**
 * Checks for the multiaddrs of the `net` settings (config.json and the environment), so
 * that a bad one is named with its setting at load, not met later as libp2p's stack trace.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

/** `listen`: a TCP address (the one transport) or `/p2p-circuit`; `bootstrap`: a dialable peer. */
export type MultiaddrUse = 'listen' | 'bootstrap'

/** Why `value` cannot serve as a `use` address, or null if it can. */
export function multiaddrProblem(value: string, use: MultiaddrUse): string | null {
  let names: string[]
  let peer: string | undefined
  try {
    const components = multiaddr(value).getComponents()
    names = components.map((c) => c.name)
    peer = components.find((c) => c.name === 'p2p')?.value
  } catch (err) {
    return `"${value}" is not a multiaddr (${(err as Error).message})`
  }
  if (use === 'listen') {
    if (!names.includes('tcp') && !names.includes('p2p-circuit'))
      return `"${value}" is not a TCP address to listen on (e.g. /ip4/0.0.0.0/tcp/0)`
    return null
  }
  if (peer === undefined)
    return `"${value}" names no peer: a bootstrap address ends in /p2p/<peer id> (e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…)`
  try {
    peerIdFromString(peer)
  } catch {
    return `"${value}" has an invalid peer id (${peer})`
  }
  if (!names.includes('tcp') && !names.includes('p2p-circuit'))
    return `"${value}" is not a TCP address (e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…)`
  return null
}
