/**
 * Child process for `node-process.ts`: starts one Verse Guy node (`<dataDir> <passphrase>`)
 * in its own process, as a member runs it on its own machine, and answers the parent's
 * requests `{ id, op, args }` (an operation of node-ops.ts) over IPC with
 * `{ id, ok, value | error }`. Sends `{ ready: true }` once the node has started; on
 * `stop`, stops the node and exits.
 */
import { VerseGuyNode } from '../../node/index.ts'
import { type NodeOps, nodeOps } from './node-ops.ts'

const [dataDir = '', passphrase = ''] = process.argv.slice(2)
const node = new VerseGuyNode({ dataDir, passphrase, apiPort: 0, logLevel: 'silent' })
await node.start()
const ops = nodeOps(node)

type Request = { id: number; op: keyof NodeOps; args: unknown[] }
process.on('message', async (m: Request | 'stop') => {
  if (m === 'stop') {
    await node.stop().catch(() => {})
    process.exit(0)
  }
  try {
    const value = await (ops[m.op] as (...a: unknown[]) => Promise<unknown>)(...m.args)
    process.send?.({ id: m.id, ok: true, value })
  } catch (err) {
    process.send?.({ id: m.id, ok: false, error: (err as Error).message })
  }
})
process.send?.({ ready: true })
