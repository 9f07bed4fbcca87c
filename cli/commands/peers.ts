/** `verseguy peers [list]|dial|ban|unban`: this node's addresses and peers; connect to one; ban and unban. */
import type { Command } from 'commander'
import { wholeNumber } from '../options.ts'
import { printJson, printLines } from '../output.ts'
import { type Common, commandContext, common, examples } from './context.ts'

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

  examples(
    common(
      peers
        .command('dial')
        .description('connect to a node by its address')
        .argument('<address>', 'a multiaddr ending in /p2p/<peer id>'),
      false,
    ),
    'peers dial /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…',
  ).action(async (address: string, opts: Common) => {
    const r = await ctx.run(opts, (api) =>
      api.request<{ peerId: string; connected: boolean }>('POST', '/api/v1/peers/dial', { address }),
    )
    if (opts.json) printJson(r)
    else printLines([`Connected to ${r.peerId}.`])
  })

  examples(
    common(
      peers
        .command('ban')
        .description('ban a peer: its connections close and it is refused either way')
        .argument('<peer>', 'peer id (12D3KooW…)')
        .option(
          '--minutes <n>',
          'how long (default: until unbanned or the node restarts)',
          wholeNumber('--minutes', { min: 1, max: 366 * 24 * 60 }),
        ),
      false,
    ),
    'peers ban 12D3KooW…',
    'peers ban 12D3KooW… --minutes 60',
  ).action(async (peer: string, opts: Common & { minutes?: number }) => {
    const r = await ctx.run(opts, (api) =>
      api.request<BanView>(
        'POST',
        `/api/v1/peers/${encodeURIComponent(peer)}/ban${opts.minutes === undefined ? '' : `?minutes=${opts.minutes}`}`,
      ),
    )
    if (opts.json) printJson(r)
    else
      printLines([
        `Banned ${r.peerId}${r.until === null ? '' : ` until ${new Date(r.until).toISOString()}`}.`,
      ])
  })

  examples(
    common(peers.command('unban').description('lift a ban').argument('<peer>', 'peer id (12D3KooW…)'), false),
    'peers unban 12D3KooW…',
  ).action(async (peer: string, opts: Common) => {
    const r = await ctx.run(opts, (api) =>
      api.request<BanView>('DELETE', `/api/v1/peers/${encodeURIComponent(peer)}/ban`),
    )
    if (opts.json) printJson(r)
    else printLines([`${r.peerId} is not banned.`])
  })
}

interface BanView {
  peerId: string
  banned: boolean
  until: number | null
}
