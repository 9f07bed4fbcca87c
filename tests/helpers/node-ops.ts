/**
 * What a mesh test reads from and does on a node, the same whether the node runs in the
 * test's process (`nodeOps(node)`) or in its own (`NodeProcess.ops`, node-process.ts).
 */
import * as A from '@automerge/automerge'
import { parseDocId } from '../../crdt/index.ts'
import type { VerseGuyNode } from '../../node/index.ts'

export interface NodeOps {
  addresses(): Promise<string[]>
  peerId(): Promise<string>
  /** The node's member key. */
  me(): Promise<string>
  createOrg(input: { name: string; tag: string; handle: string }): Promise<{ id: string }>
  /** A token for a member-rank invite naming `bootstrap`. */
  createInvite(org: string, bootstrap: string[]): Promise<string>
  /** How many members the node's roster of `org` holds. */
  members(org: string): Promise<number>
  discover(): Promise<void>
  /** Adds a ship to the node's own hangar; resolves to its id. */
  addShip(org: string, input: { model: string; manufacturer: string }): Promise<string>
  /** Renames the node's own ship once per name, each change awaited before the next. */
  renameShip(org: string, ship: string, names: readonly string[]): Promise<void>
  /** The name of `owner`'s ship as the node sees it. */
  shipName(org: string, owner: string, ship: string): Promise<string>
  /** Ids of every ship in the org as the node sees them, sorted and joined. */
  fleet(org: string): Promise<string>
  /** Sequence number of `author`'s newest entry in `org` held by the node (0: none). */
  headSeq(org: string, author: string): Promise<number>
  /** The heads of the org's roster document, joined. */
  rosterHeads(org: string): Promise<string>
  ban(peer: string, ms: number): Promise<void>
  unban(peer: string): Promise<void>
}

/** The names of `NodeOps`' operations (a record, so the compiler checks none is missing). */
export const NODE_OPS = Object.keys({
  addresses: true,
  peerId: true,
  me: true,
  createOrg: true,
  createInvite: true,
  members: true,
  discover: true,
  addShip: true,
  renameShip: true,
  shipName: true,
  fleet: true,
  headSeq: true,
  rosterHeads: true,
  ban: true,
  unban: true,
} satisfies Record<keyof NodeOps, true>) as (keyof NodeOps)[]

/** The operations on a node of this process. */
export function nodeOps(node: VerseGuyNode): NodeOps {
  const { org: orgs, fleet, invites } = node.services
  return {
    addresses: async () => node.addresses(),
    peerId: async () => node.network.peerId,
    me: async () => orgs.me,
    createOrg: async (input) => ({ id: (await orgs.createOrg(input)).id }),
    createInvite: async (org, bootstrap) =>
      (await invites.createInvite(org, { rank: 'member', bootstrap })).token,
    members: async (org) => (await orgs.members(org)).length,
    discover: () => node.mesh.discover(),
    addShip: async (org, input) => (await fleet.addShip(org, input)).id,
    renameShip: async (org, ship, names) => {
      for (const name of names) await fleet.updateShip(org, orgs.me, ship, { name })
    },
    shipName: async (org, owner, ship) => (await fleet.ship(org, owner, ship)).name,
    fleet: async (org) =>
      (await fleet.ships(org))
        .map((s) => s.id)
        .sort()
        .join(),
    headSeq: async (org, author) => (await node.documents.chains.head(org, author as never))?.seq ?? 0,
    rosterHeads: async (org) => A.getHeads(await node.documents.get(parseDocId(`org:${org}`))).join(),
    ban: (peer, ms) => node.network.ban(peer, ms),
    unban: async (peer) => node.network.unban(peer),
  }
}
