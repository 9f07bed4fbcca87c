/**
 * One node of the process-per-node convergence bench (`convergence.bench.ts
 * --processes`): a node in its own process, as a member runs it, driven by the parent
 * over IPC. Answers each request `{ id, op, ... }` with `{ id, ok, value | error }`, and
 * reports each entry it receives from a peer as `{ got, at }` (`at`: wall-clock ms, the
 * same clock in every process on the machine).
 */
import type { Entry } from '../crdt/index.ts'
import { VerseGuyNode } from '../node/index.ts'

const [dataDir = '', passphrase = ''] = process.argv.slice(2)
const now = () => performance.timeOrigin + performance.now()
const node = new VerseGuyNode({ dataDir, passphrase, apiPort: 0, logLevel: 'silent' })
await node.start()

type Change = { origin: string; entries: readonly Entry[] }
node.documents.on('change', (e: Change) => {
  if (e.origin === 'remote') process.send?.({ got: e.entries.map((x) => x.hash), at: now() })
})

type Request = { id: number; op: string; [k: string]: unknown }
const s = (v: unknown) => v as string

/** A local change and the hash of its entry, with when it was asked for. */
async function timedChange(change: () => Promise<unknown>): Promise<{ hash: string; at: number }> {
  let hash: string | null = null
  const on = (e: Change) => {
    if (e.origin === 'local') hash ??= e.entries[0]?.hash ?? null
  }
  node.documents.on('change', on)
  const at = now()
  try {
    await change()
  } finally {
    node.documents.off('change', on)
  }
  if (hash === null) throw new Error('the change made no entry')
  return { hash, at }
}

async function handle(r: Request): Promise<unknown> {
  const { org, fleet, invites } = node.services
  switch (r.op) {
    case 'addresses':
      return { addresses: node.addresses(), me: org.me }
    case 'createOrg':
      return (await org.createOrg({ name: 'Bench Mesh', tag: 'BMSH', handle: s(r.handle) })).id
    case 'invite':
      return (await invites.createInvite(s(r.org), { rank: 'member', bootstrap: r.bootstrap as string[] }))
        .token
    case 'accept':
      await invites.accept(s(r.token), s(r.handle), node.admissions, AbortSignal.timeout(120_000))
      return null
    case 'members':
      return (await org.members(s(r.org))).length
    case 'addShip':
      return (await fleet.addShip(s(r.org), { model: 'Probe', manufacturer: 'RSI' })).id
    case 'update':
      return timedChange(() => fleet.updateShip(s(r.org), org.me, s(r.ship), { name: s(r.name) }))
    case 'cpu': {
      // This process's CPU time so far (ms): the parent compares it before and after the probes.
      const { user, system } = process.cpuUsage()
      return (user + system) / 1000
    }
    case 'discover':
      await node.mesh.discover()
      return node.network.connectedPeers().length
    case 'stop':
      await node.stop()
      return null
    default:
      throw new Error(`unknown op ${r.op}`)
  }
}

process.on('message', (r: Request) => {
  handle(r).then(
    (value) => {
      process.send?.({ id: r.id, ok: true, value })
      if (r.op === 'stop') process.disconnect()
    },
    (err: Error) => process.send?.({ id: r.id, ok: false, error: err.message }),
  )
})
process.send?.({ ready: true })
