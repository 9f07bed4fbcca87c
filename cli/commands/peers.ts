/** `verseguy peers [list]`: this node's addresses and every peer's sync state. */
import type { Command } from 'commander'
import { printJson, printLines } from '../output.ts'
import { type Common, commandContext, examples } from './context.ts'

interface PeersView {
  addresses: string[]
  peers: {
    peerId: string
    memberKey: string | null
    connected: boolean
    lastSync: number | null
    weWereBehind: number
    peerWasBehind: number
    lastError: string | null
    banned: boolean
    /** Orgs the peer says this node's member was removed from. */
    removedFrom?: string[]
  }[]
}

export function registerPeers(program: Command): void {
  const ctx = commandContext(program)
  const peers = program.command('peers').description("this node's peers: list, dial, ban")
  examples(
    peers
      .command('list', { isDefault: true })
      .description("this node's addresses and each peer: connected, last sync, how far behind")
      .option('--passphrase-file <file>', 'when no node runs: read the passphrase from a file')
      .option('--json', 'print JSON'),
    'peers',
    'peers list --json',
  ).action(async (opts: Common) => {
    const view = await ctx.run(opts, (api) => api.request<PeersView>('GET', '/api/v1/peers'))
    if (opts.json) {
      printJson(view)
      return
    }
    const removed = [...new Set(view.peers.flatMap((p) => p.removedFrom ?? []))]
    printLines([
      ...removed.map(
        (org) => `You were removed from org ${org}: its members no longer sync it with this node.`,
      ),
      'Listening on:',
      ...view.addresses.map((a) => `  ${a}`),
      view.peers.length === 0 ? 'No peers yet.' : 'Peers:',
      ...view.peers.map(
        (p) =>
          `  ${p.peerId.slice(0, 16)}…  ${p.banned ? 'banned   ' : p.connected ? 'connected' : 'gone     '}  ` +
          `last sync ${p.lastSync === null ? 'never' : new Date(p.lastSync).toISOString()}  ` +
          `received ${p.weWereBehind}, sent ${p.peerWasBehind}${p.lastError ? `  (${p.lastError})` : ''}`,
      ),
    ])
  })
}
