/**
 * Where the node's web UI and API listen (`start --http HOST:PORT`, config `api.host` and
 * `api.port`): loopback by default; any other address is reachable from other machines,
 * and `start` says so. The Host header a request must name follows from it: the loopback
 * names always, and a specific address the node was bound to (a wildcard bind, 0.0.0.0 or
 * ::, adds no name: other machines reach only the calendar feed then).
 */
import { isIP } from 'node:net'

export const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]']
const WILDCARDS = new Set(['0.0.0.0', '::', ''])

/** `HOST:PORT` (`[v6]:PORT` for IPv6) as given to `--http`; null when it is not one. */
export function parseHttpAddress(text: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(text.trim())
  if (m === null) return null
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1')
  const port = Number(m[2])
  if (port > 65535) return null
  if (isIP(host) === 0 && host !== 'localhost') return null // an address, not a name to resolve
  return { host, port }
}

/** Whether listening on `host` is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** The Host names requests to a node bound to `host` may carry (besides loopback ones). */
export function hostNames(host: string): string[] {
  if (WILDCARDS.has(host) || isLoopback(host)) return [...LOOPBACK_NAMES]
  return [...LOOPBACK_NAMES, isIP(host) === 6 ? `[${host}]` : host]
}

/** The address the CLI on this machine uses for a node bound to `host`. */
export function localUrl(host: string, port: number): string {
  if (WILDCARDS.has(host) || isLoopback(host)) return `http://127.0.0.1:${port}`
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`
}
