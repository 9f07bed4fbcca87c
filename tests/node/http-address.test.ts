/**
 * Where the web UI and API listen (`start --http HOST:PORT`): the address parsed, the Host
 * names a request may carry for it (DNS-rebinding guard), and the CLI's own URL.
 */
import { describe, expect, it } from 'vitest'
import { createApi } from '../../node/api.ts'
import { hostNames, isLoopback, localUrl, parseHttpAddress } from '../../node/http-address.ts'
import { runMain } from '../helpers/cli.ts'

describe('the HTTP address', () => {
  it('parses HOST:PORT with an IP address or localhost, and nothing else', () => {
    expect(parseHttpAddress('127.0.0.1:7420')).toEqual({ host: '127.0.0.1', port: 7420 })
    expect(parseHttpAddress('192.168.1.20:80')).toEqual({ host: '192.168.1.20', port: 80 })
    expect(parseHttpAddress('[::1]:7420')).toEqual({ host: '::1', port: 7420 })
    expect(parseHttpAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 })
    for (const bad of [
      '7420',
      '127.0.0.1',
      'evil.example:80',
      '127.0.0.1:70000',
      '::1:80',
      '127.0.0.1:-1',
      '',
    ])
      expect(parseHttpAddress(bad), bad).toBeNull()
  })

  it('a specific address adds its name to the Host allow-list; loopback and wildcards add none', () => {
    expect(hostNames('127.0.0.1')).toEqual(['127.0.0.1', 'localhost', '[::1]'])
    expect(hostNames('0.0.0.0')).toEqual(['127.0.0.1', 'localhost', '[::1]'])
    expect(hostNames('192.168.1.20')).toEqual(['127.0.0.1', 'localhost', '[::1]', '192.168.1.20'])
    expect(hostNames('fd00::5')).toContain('[fd00::5]')
    expect([
      isLoopback('127.0.0.1'),
      isLoopback('::1'),
      isLoopback('0.0.0.0'),
      isLoopback('10.0.0.1'),
    ]).toEqual([true, true, false, false])
    expect(localUrl('0.0.0.0', 7420)).toBe('http://127.0.0.1:7420')
    expect(localUrl('192.168.1.20', 7420)).toBe('http://192.168.1.20:7420')
  })

  it('the API answers the names its address allows, and refuses any other Host', async () => {
    const token = 't'.repeat(43)
    const unused = () => {
      throw new Error('unused')
    }
    const app = createApi({
      token,
      port: () => 7420,
      hosts: hostNames('192.168.1.20'),
      services: unused,
      mesh: unused,
      status: async () => ({ version: 'x' }) as never,
      reloadTrust: unused,
      calendar: unused,
    })
    const status = (host: string) =>
      app.request('/api/v1/status', { headers: { host, authorization: `Bearer ${token}` } })
    expect((await status('192.168.1.20:7420')).status).toBe(200)
    expect((await status('127.0.0.1:7420')).status).toBe(200)
    expect((await status('192.168.1.21:7420')).status).toBe(403)
    expect((await status('192.168.1.20:7421')).status).toBe(403)
    expect((await status('evil.example:7420')).status).toBe(403)
  })

  it('start refuses a bad --http as a usage error naming it', async () => {
    const r = await runMain(['start', '--http', 'evil.example:80'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--http must be HOST:PORT with an IP address')
  })
})
