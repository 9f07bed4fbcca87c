/**
 * What the mesh does with a gossip message on an org's topic (the topic validator). Only
 * a member of the org may publish there: anyone else is refused unread. A member's
 * message goes through the node's receive path (that is where an accepted message is
 * stored): what fails verification is rejected and counted as an offence; what arrives
 * ahead of what this node holds triggers a pull from its sender. A message that does not
 * decode is an offence.
 *
 * Gossip from a peer this node does not know as a member may come from a newcomer whose
 * admission has not reached this node yet: the node catches up from members first, and
 * counts an offence per message only if the peer is still a stranger then.
 */
import type { Logger } from '../../crdt/index.ts'
import { memberKeyOfId } from '../member-key.ts'
import type { PeerDiscipline } from '../peer-discipline.ts'
import { decodeMessage, SyncProtocolError } from '../sync/messages.ts'
import type { SyncSource } from '../sync/sync-protocol.ts'
import type { GossipVerdict, MeshTransport } from '../transport.ts'
import type { PeerBook } from './peer-book.ts'

/** Member peers a node catches up from to check a stranger's gossip. */
export const STRANGER_CATCH_UP_PEERS = 3

/** Refusals that mean the sender is ahead of this node (not its fault): catch up from it. */
const AHEAD = ['gap', 'missing-dependency', 'unknown-author'] as const

export interface GossipIntakeInit {
  readonly transport: Pick<MeshTransport, 'connectedPeers' | 'isBanned'>
  readonly source: SyncSource
  readonly discipline: PeerDiscipline
  readonly peers: PeerBook
  readonly log: Logger
  readonly stopped: AbortSignal
  readonly pull: (peerId: string) => Promise<void>
  /** Who is a member may have changed: work it out again. */
  readonly refreshMembers: () => Promise<void>
}

export class GossipIntake {
  readonly #init: GossipIntakeInit

  constructor(init: GossipIntakeInit) {
    this.#init = init
  }

  /** Judges one message on `org`'s topic forwarded by `peerId`. */
  async validate(org: string, peerId: string, data: Uint8Array): Promise<GossipVerdict> {
    const { source, discipline } = this.#init
    const key = memberKeyOfId(peerId)
    const standing = key === null ? 'stranger' : await source.standing(org, key).catch(() => 'stranger')
    if (standing !== 'member') {
      // A removed member may not know yet; anyone else has no business on the topic.
      if (standing === 'stranger' && key !== null) void this.#strangerGossip(peerId, org, key)
      return 'reject'
    }
    let batch: { entries: readonly Uint8Array[]; changes: readonly Uint8Array[] }
    try {
      const m = decodeMessage(data)
      if (m.t !== 'batch') throw new SyncProtocolError(`unexpected ${m.t} message`)
      batch = m
    } catch {
      void discipline.offence(peerId, 'gossiped a message that does not decode')
      return 'reject'
    }
    const r = await source.receive(org, batch)
    if (r.offences > 0)
      void discipline.offence(peerId, 'gossiped entries that fail verification or the rules')
    if (r.accepted > 0) {
      // Who is a member changes only with the roster: any other change costs no recount.
      if (r.roster !== false) void this.#init.refreshMembers()
      return 'accept'
    }
    // Ahead of us (we lack earlier entries, dependencies, or the admission of a newcomer
    // whose entries these are): not the sender's fault; catch up from it.
    if (AHEAD.some((k) => (r.byKind.get(k) ?? 0) > 0)) {
      void this.#init.pull(peerId)
      return 'ignore'
    }
    return r.rejected > 0 ? 'reject' : 'ignore'
  }

  /** One check per peer at a time; messages during it are counted. */
  async #strangerGossip(peerId: string, org: string, key: string): Promise<void> {
    const { transport, source, discipline, peers, stopped } = this.#init
    const record = peers.record(peerId, {
      connected: transport.connectedPeers().includes(peerId),
      memberKey: key,
    })
    if (record.strangerMessages !== undefined) {
      record.strangerMessages++
      return
    }
    if (stopped.aborted) return
    record.strangerMessages = 1
    try {
      const members: string[] = []
      for (const p of transport.connectedPeers()) {
        const k = memberKeyOfId(p)
        if (k !== null && (await source.standing(org, k).catch(() => 'stranger')) === 'member')
          members.push(p)
        if (members.length >= STRANGER_CATCH_UP_PEERS) break
      }
      await Promise.allSettled(members.map((p) => this.#init.pull(p)))
      const now = await source.standing(org, key).catch(() => 'stranger' as const)
      if (stopped.aborted) return
      if (now !== 'stranger') {
        void this.#init.refreshMembers()
        return
      }
      const messages = record.strangerMessages ?? 1
      for (let i = 0; i < messages && !transport.isBanned(peerId); i++)
        await discipline.offence(peerId, 'gossiped on the topic of an org it is not in')
    } finally {
      record.strangerMessages = undefined
    }
  }
}
