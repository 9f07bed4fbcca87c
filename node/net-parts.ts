/**
 * The network's modules (libp2p and what the node builds on it, the HTTP server), loaded
 * when a node starts rather than when `node/` is imported: a start loads them while the
 * passphrase KDF runs on the thread pool (a third of a start's wall time on two cores),
 * and commands that never start a node do not load them at all. Loading opens and writes
 * nothing.
 */
export async function loadNetParts() {
  const [net, staging, join, invites, server] = await Promise.all([
    import('../net/index.ts'),
    import('./join-staging.ts'),
    import('./join-transport.ts'),
    import('./invite-addresses.ts'),
    import('@hono/node-server'),
  ])
  return {
    createHost: net.createHost,
    Mesh: net.Mesh,
    AdmitProtocol: net.AdmitProtocol,
    removeStaleStaging: staging.removeStaleStaging,
    NodeJoinTransport: join.NodeJoinTransport,
    inviteAddresses: invites.inviteAddresses,
    createAdaptorServer: server.createAdaptorServer,
  }
}

export type NetParts = Awaited<ReturnType<typeof loadNetParts>>
