/**
 * How this node, holding an invite, reaches the org's member nodes (the network side of
 * `InviteService.accept`): whom to ask, in order, and the staging area the org is
 * fetched into. Any member's node online will do; the inviter's is only one of them.
 *
 * Whom to ask (each peer once): the invite's addresses (the inviter's, the members' it
 * was connected to, its configured bootstrap peers: all chosen by the inviter); the
 * org's nodes found in the DHT under the invite's rendezvous; last, the inviter by peer
 * id (libp2p looks it up). The join request carries the token, so it goes to no one
 * else: the peers this node merely knows (its own bootstrap peers, the LAN by mDNS) are
 * its way into the DHT, and are asked only once found there (only a node that knows the
 * rendezvous, a member or an invite holder, can announce itself under it).
 */
import { type Clock, fromHex, type Logger, type Signer, silentLogger, systemClock } from '../crdt/index.ts'
import type { AdmitProtocol, Host, SyncSource } from '../net/index.ts'
import { peerIdOf } from '../services/identity/index.ts'
import type { Invite, JoinStaging, JoinTransport } from '../services/org/index.ts'
import { JoinStagingArea } from './join-staging.ts'

export interface NodeJoinTransportInit {
  readonly host: Host
  readonly admit: AdmitProtocol
  /** The node's own store, as a sync source: where a staged org is moved. */
  readonly sync: SyncSource
  readonly dataDir: string
  readonly signer: Signer
  /** Called once an org was moved into the node's store (the mesh takes it up). */
  readonly onJoined: (org: string) => void
  readonly log?: Logger
  /** How long to look for the org's nodes under its rendezvous. Default 20 s. */
  readonly searchMs?: number
  /** The search's deadline and pauses run on it; default `systemClock`. */
  readonly clock?: Clock
}

/** How long one DHT lookup may take before the next round. */
const LOOKUP_MS = 10_000
/** Pause between lookups (a DHT just joined fills its routing table meanwhile). */
const LOOKUP_PAUSE_MS = 1_000

export class NodeJoinTransport implements JoinTransport {
  readonly #init: NodeJoinTransportInit
  readonly #log: Logger
  readonly #clock: Clock

  constructor(init: NodeJoinTransportInit) {
    this.#init = init
    this.#log = init.log ?? silentLogger
    this.#clock = init.clock ?? systemClock
  }

  async *candidates(invite: Invite, signal: AbortSignal): AsyncIterable<string> {
    const host = this.#init.host
    const asked = new Set<string>([host.peerId])
    const fresh = (peer: string): boolean => {
      if (asked.has(peer)) return false
      asked.add(peer)
      return true
    }
    for (const addr of invite.bootstrap) {
      const peer = /\/p2p\/([^/]+)$/.exec(addr)?.[1]
      if (peer === undefined || fresh(peer)) yield addr
    }
    if (invite.rendezvous !== undefined) {
      const key = fromHex(invite.rendezvous)
      /** By provider: the addresses the DHT has named for it. */
      const addressesSeen = new Map<string, Set<string>>()
      const clock = this.#clock
      const deadline = clock.now() + (this.#init.searchMs ?? 20_000)
      while (!signal.aborted && clock.now() < deadline) {
        const lookup = new AbortController()
        const timer = clock.setTimeout(() => lookup.abort(), Math.min(LOOKUP_MS, deadline - clock.now()))
        const round = AbortSignal.any([signal, lookup.signal])
        try {
          // Each provider is asked as soon as it is found (the lookup goes on meanwhile).
          for await (const p of host.findProviders(key, round)) {
            const id = p.peerId.toString()
            // A provider asked before is asked again when the DHT names an address of it not
            // seen yet: a member that restarted announces again on a new port.
            const seen = addressesSeen.get(id) ?? new Set<string>()
            const unseen = p.multiaddrs.filter((a) => !seen.has(a.toString()))
            for (const a of unseen) seen.add(a.toString())
            addressesSeen.set(id, seen)
            if (!fresh(id) && (unseen.length === 0 || id === host.peerId)) continue
            asked.add(id)
            // Where the DHT says it listens, for the dial by peer id.
            if (unseen.length > 0)
              await host.libp2p.peerStore.merge(p.peerId, { multiaddrs: unseen }).catch(() => {})
            yield id
          }
        } catch (err) {
          this.#log.debug({ err: (err as Error).message }, 'rendezvous lookup ended')
        } finally {
          timer.cancel()
        }
        await clock.sleep(LOOKUP_PAUSE_MS, signal).catch(() => {})
      }
    }
    const inviter = peerIdOf(invite.inviter)
    if (fresh(inviter)) yield inviter
  }

  async stage(): Promise<JoinStaging> {
    const { admit, dataDir, signer, sync, onJoined } = this.#init
    const area = await JoinStagingArea.open(dataDir, signer, this.#log)
    return {
      join: (target, org, request, signal) => admit.join(target, org, request, signal, area.source),
      isMember: (org, member) => area.isMember(org, member),
      commit: async (org, signal) => {
        const refused = await area.commit(org, sync, signal)
        if (refused > 0) this.#log.warn({ org, refused }, "the node's store refused staged entries")
        onJoined(org)
      },
      discard: () => area.discard(),
    }
  }
}
