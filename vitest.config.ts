import { defineConfig } from 'vitest/config'

// CI sets VITEST_JSON to also write a JSON report (for its closing pass/fail line).
const json = process.env.VITEST_JSON

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Nodes started by tests (and their child processes) stay on loopback: no mDNS
    // multicast on the machine's network, no listening beyond 127.0.0.1.
    env: { VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/0', VERSEGUY_NET_MDNS: '0' },
    reporters: json ? ['default', 'json'] : ['default'],
    ...(json ? { outputFile: { json } } : {}),
  },
})
