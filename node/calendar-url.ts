/**
 * Where calendar apps reach this node's feed: the HTTP address it listens on, as a
 * client would type it. A node bound to every interface (`api.host` 0.0.0.0 or ::) is
 * reached on the LAN at its first non-internal IPv4 address; a loopback one only from
 * this machine.
 */
import { networkInterfaces } from 'node:os'

const ANY = new Set(['0.0.0.0', '::', '[::]', ''])

/** `http://host:port` for a server bound to `host` on `port`. */
export function httpBase(host: string, port: number): string {
  const name = ANY.has(host) ? (lanAddress() ?? '127.0.0.1') : host === 'localhost' ? '127.0.0.1' : host
  return `http://${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`
}

/** The feed's URL for `token` under `base`, and its webcal:// form (what calendar apps open). */
export function feedUrls(base: string, token: string): { url: string; webcal: string } {
  const url = `${base}/cal/${token}.ics`
  return { url, webcal: url.replace(/^http:/, 'webcal:') }
}

function lanAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return null
}
