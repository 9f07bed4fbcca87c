/**
 * A data directory for a bench node on loopback: initialised with a fast KDF (the
 * passphrase's cost is not what these benches measure), no mDNS, the given bootstrap
 * peers and periodic pull interval, no fsync.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initDataDir } from '../node/index.ts'

export const BENCH_KDF = { N: 2 ** 12, r: 8, p: 1 }

export async function benchNodeDir(
  prefix: string,
  passphrase: string,
  bootstrap: string[],
  syncIntervalSeconds: number,
): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix))
  await initDataDir(d, passphrase, BENCH_KDF)
  const net = {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    bootstrap,
    syncIntervalSeconds,
    discoveryIntervalSeconds: 600,
  }
  await writeFile(join(d, 'config.json'), JSON.stringify({ net, storage: { sync: false } }))
  return d
}
