/**
 * Child of the CLI bench: what a command on a stopped node did before issue 13, as the
 * A/B's other side: the whole node started in the command's process (the passphrase KDF,
 * libp2p, the API listening on a free port), one request to its API, then the stop.
 * Arguments: the data directory, the passphrase, the API path (after /api/v1).
 */
import { enableModuleCache } from '../node/compile-cache.mjs'

enableModuleCache()
const { readRuntimeFile, layout, VerseGuyNode } = await import('../node/index.ts')
const [dataDir = '', passphrase = '', path = '/orgs'] = process.argv.slice(2)
const node = new VerseGuyNode({ dataDir, passphrase, apiPort: 0, logLevel: 'silent' })
await node.start()
try {
  const token = (await readRuntimeFile(layout(dataDir).runtime))?.token ?? ''
  const res = await fetch(`${node.apiUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  await res.json()
} finally {
  await node.stop()
}
