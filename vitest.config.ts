import { defineConfig } from 'vitest/config'

// CI sets VITEST_JSON to also write a JSON report (for its closing pass/fail line).
const json = process.env.VITEST_JSON

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most test files wait (timers, sockets, child processes, other nodes) more than they
    // compute: three run at once on a two-core machine (the default is cores − 1 = 1).
    // `--maxWorkers=N` overrides it.
    maxWorkers: 3,
    // A worker keeps the modules it loaded (libp2p, Automerge, the node) from one test file
    // to the next instead of loading them again for each: tests/services and tests/crdt
    // took 23–40% less CPU (two alternating rounds: 215 s → 129 s, 209 s → 160 s). No
    // test mocks modules; each restores the globals it changes (timers, Date.now, env).
    isolate: false,
    // Nodes started by tests (and their child processes) stay on loopback: no mDNS
    // multicast on the machine's network, no listening beyond 127.0.0.1.
    env: { VERSEGUY_NET_LISTEN: '/ip4/127.0.0.1/tcp/0', VERSEGUY_NET_MDNS: '0' },
    reporters: json ? ['default', 'json'] : ['default'],
    ...(json ? { outputFile: { json } } : {}),
  },
})
