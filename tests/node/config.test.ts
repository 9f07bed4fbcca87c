/** config.json and its environment overrides. */
import { describe, expect, it } from 'vitest'
import { defaultConfig, parseConfig, withEnv } from '../../node/config.ts'

describe('node config', () => {
  it('fills defaults: any free port on every interface, mDNS on', () => {
    expect(defaultConfig().net).toEqual({
      listen: ['/ip4/0.0.0.0/tcp/0'],
      bootstrap: [],
      mdns: true,
      relay: false,
      syncIntervalSeconds: 30,
      discoveryIntervalSeconds: 60,
    })
  })

  it('refuses unknown keys and bad values, naming them', () => {
    expect(() => parseConfig({ net: { mdsn: false } }, 'config.json')).toThrow(/net/)
    expect(() => parseConfig({ net: { syncIntervalSeconds: 0 } }, 'config.json')).toThrow(
      /syncIntervalSeconds/,
    )
  })

  it('takes network overrides from the environment', () => {
    const c = withEnv(defaultConfig(), {
      VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/0, /ip4/127.0.0.1/tcp/4001',
      VERSEGUY_NET_MDNS: '0',
      VERSEGUY_NET_BOOTSTRAP: '/ip4/127.0.0.1/tcp/4002/p2p/12D3KooW',
    })
    expect(c.net).toMatchObject({
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/4001'],
      mdns: false,
      bootstrap: ['/ip4/127.0.0.1/tcp/4002/p2p/12D3KooW'],
    })
    expect(withEnv(defaultConfig(), {}).net).toEqual(defaultConfig().net)
    expect(() => withEnv(defaultConfig(), { VERSEGUY_NET_MDNS: 'yes' })).toThrow(/0 or 1/)
  })
})
