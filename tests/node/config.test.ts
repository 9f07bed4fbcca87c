/** config.json and its environment overrides. */
import { describe, expect, it } from 'vitest'
import { defaultConfig, parseConfig, withEnv } from '../../node/config.ts'

const PEER = '12D3KooWBZwaZbiYDEDoXimc3mtvxTaYR2eURyvRyySaApCCjt9P'

describe('node config', () => {
  it('fills defaults: any free port on every interface, mDNS on', () => {
    expect(defaultConfig().net).toEqual({
      listen: ['/ip4/0.0.0.0/tcp/0'],
      bootstrap: [],
      mdns: true,
      relay: false,
      syncIntervalSeconds: 30,
      discoveryIntervalSeconds: 60,
      joinSearchSeconds: 20,
    })
  })

  it('refuses unknown keys and bad values, naming them', () => {
    expect(() => parseConfig({ net: { mdsn: false } }, 'config.json')).toThrow(/net/)
    expect(() => parseConfig({ net: { syncIntervalSeconds: 0 } }, 'config.json')).toThrow(
      /syncIntervalSeconds/,
    )
    expect(() => parseConfig({ net: { joinSearchSeconds: 0 } }, 'config.json')).toThrow(/joinSearchSeconds/)
  })

  it('takes network overrides from the environment', () => {
    const c = withEnv(defaultConfig(), {
      VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/0, /ip4/127.0.0.1/tcp/4001',
      VERSEGUY_NET_MDNS: '0',
      VERSEGUY_NET_BOOTSTRAP: `/ip4/127.0.0.1/tcp/4002/p2p/${PEER}`,
    })
    expect(c.net).toMatchObject({
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/4001'],
      mdns: false,
      bootstrap: [`/ip4/127.0.0.1/tcp/4002/p2p/${PEER}`],
    })
    expect(withEnv(defaultConfig(), {}).net).toEqual(defaultConfig().net)
    expect(() => withEnv(defaultConfig(), { VERSEGUY_NET_MDNS: 'yes' })).toThrow(/0 or 1/)
  })

  it('refuses a bad multiaddr in config.json, naming the setting and the value', () => {
    const bad = (net: unknown) => () => parseConfig({ net }, '/x/config.json')
    expect(bad({ listen: ['garbage'] })).toThrow(/config\.json: net\.listen\.0: "garbage" is not a multiaddr/)
    expect(bad({ listen: ['/ip4/1.2.3.4/tcp/abc'] })).toThrow(/net\.listen\.0: "\/ip4\/1\.2\.3\.4\/tcp\/abc"/)
    expect(bad({ listen: ['/ip4/127.0.0.1/udp/5'] })).toThrow(/net\.listen\.0: .* not a TCP address/)
    expect(bad({ bootstrap: ['/ip4/127.0.0.1/tcp/4002'] })).toThrow(/net\.bootstrap\.0: .*names no peer/)
    expect(bad({ bootstrap: ['/ip4/127.0.0.1/tcp/4002/p2p/12D3KooW'] })).toThrow(
      /net\.bootstrap\.0: .*invalid peer id/,
    )
    expect(
      parseConfig({ net: { listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'] } }, 'c').net.listen,
    ).toHaveLength(2)
  })

  it('refuses a bad multiaddr in the environment, naming the variable and the value', () => {
    expect(() => withEnv(defaultConfig(), { VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/0,nonsense' })).toThrow(
      /VERSEGUY_NET_LISTEN: "nonsense" is not a multiaddr/,
    )
    expect(() => withEnv(defaultConfig(), { VERSEGUY_NET_BOOTSTRAP: '/ip4/127.0.0.1/tcp/4002' })).toThrow(
      /VERSEGUY_NET_BOOTSTRAP: "\/ip4\/127\.0\.0\.1\/tcp\/4002" names no peer/,
    )
  })

  it('has no scheduled backups by default, and 7 daily, 4 weekly, 12 monthly once a folder is set', () => {
    expect(defaultConfig().backup).toEqual({
      everyHours: 24,
      keep: { hourly: 0, daily: 7, weekly: 4, monthly: 12, yearly: 0 },
      encrypt: false,
    })
    const c = parseConfig({ backup: { dir: '/mnt/usb/vg', keep: { daily: 3 } } }, 'c')
    expect(c.backup).toMatchObject({ dir: '/mnt/usb/vg', keep: { daily: 3, weekly: 4, monthly: 12 } })
  })

  it('refuses bad backup settings, naming the key', () => {
    const bad = (backup: unknown) => () => parseConfig({ backup }, '/x/config.json')
    expect(bad({ dir: '' })).toThrow(/config\.json: backup\.dir:/)
    expect(bad({ everyHours: 0 })).toThrow(/backup\.everyHours:/)
    expect(bad({ everyHours: '24' })).toThrow(/backup\.everyHours:/)
    expect(bad({ keep: { daily: -1 } })).toThrow(/backup\.keep\.daily:/)
    expect(bad({ keep: { weekly: 1.5 } })).toThrow(/backup\.keep\.weekly:/)
    expect(bad({ keep: { fortnightly: 2 } })).toThrow(/backup\.keep/)
    expect(bad({ encrypt: true })).toThrow(/backup\.passphraseFile: is required when encrypt is true/)
    expect(bad({ folder: '/x' })).toThrow(/backup/)
  })

  it('takes the backup folder from VERSEGUY_BACKUP_DIR', () => {
    expect(withEnv(defaultConfig(), { VERSEGUY_BACKUP_DIR: '/srv/backups' }).backup.dir).toBe('/srv/backups')
    expect(withEnv(defaultConfig(), { VERSEGUY_BACKUP_DIR: '' }).backup.dir).toBeUndefined()
  })
})
