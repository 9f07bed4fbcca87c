/**
 * A data directory for a bench node on loopback: the test nodes' (tests/helpers/start-nodes.ts:
 * the cheapest KDF, since the passphrase's cost is not what these benches measure; no mDNS;
 * no fsync), with the given bootstrap peers and periodic pull interval.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initTestNodeDir } from '../tests/helpers/start-nodes.ts'

export async function benchNodeDir(
  prefix: string,
  passphrase: string,
  bootstrap: string[],
  syncIntervalSeconds: number,
): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix))
  const net = { bootstrap, syncIntervalSeconds, discoveryIntervalSeconds: 600 }
  return initTestNodeDir(d, { net }, passphrase)
}
