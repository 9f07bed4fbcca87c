/**
 * Catch-up sync with one peer, both ways, as the mesh runs it. Pulling: each org the peer
 * is a member of (by its member key, in this node's roster), bounded in time; a peer
 * that sent nothing is proven in sync; refused entries that are not innocent count as
 * offences, a broken protocol bans at once, and a peer that says this node's member was
 * removed is recorded and logged. Serving: at most a few requests of one peer at once
 * and a bounded rate; a peer whose heads were ahead is pulled from afterwards (sync
 * goes both ways), and one that was not is proven in sync.
 */
import type { Clock, Logger } from '../../crdt/index.ts'
import { clockTimeout } from '../clock-timeout.ts'
import { memberKeyOfId } from '../member-key.ts'
import type { PeerDiscipline } from '../peer-discipline.ts'
import type { PullSchedule } from '../pull-schedule.ts'
import { SYNC_PROTOCOL, SyncProtocolError } from '../sync/messages.ts'
import { requestSync, SyncRefusedError, type SyncSource, serveSync } from '../sync/sync-protocol.ts'
import type { MeshStream, MeshTransport } from '../transport.ts'
import type { PeerRecord } from './peer-book.ts'

/** The longest one pull (every org from one peer) may take. */
const PULL_TIMEOUT_MS = 120_000
/** Sync requests one peer may have served at once; more is a flood. */
const CONCURRENT_SERVES = 8

export interface SyncExchangeInit {
  readonly transport: Pick<MeshTransport, 'openStream' | 'connectedPeers' | 'isBanned'>
  readonly source: SyncSource & { orgs(): Promise<string[]> }
  readonly clock: Clock
  readonly log: Logger
  readonly discipline: PeerDiscipline
  readonly schedule: PullSchedule
  readonly frameTimeoutMs: number
  readonly stopped: AbortSignal
  /** The peer's record in the peer book. */
  readonly record: (peerId: string) => PeerRecord
  /** Plans a pull back from a peer whose request showed it `ahead` in `org`. */
  readonly pullBack: (peerId: string, org: string, ahead: ReadonlyMap<string, number>) => void
  /** Something new arrived: the node may hold a new org, and who is a member may have changed. */
  readonly refreshTopics: () => Promise<void>
  readonly refreshMembers: () => Promise<void>
}

export class SyncExchange {
  readonly #init: SyncExchangeInit

  constructor(init: SyncExchangeInit) {
    this.#init = init
  }

  /** Pulls `org` from `peerId` if it is a member of it. */
  async #pullOrg(peerId: string, org: string, signal: AbortSignal): Promise<number> {
    const status = this.#init.record(peerId).status
    const key = memberKeyOfId(peerId)
    if (!this.#connected(peerId) || key === null) return 0
    const standing = await this.#init.source.standing(org, key).catch(() => 'stranger' as const)
    if (standing !== 'member') return 0
    try {
      const stream = await this.#init.transport.openStream(peerId, SYNC_PROTOCOL, signal)
      const summary = await requestSync(stream, org, this.#init.source, {
        signal,
        frameTimeoutMs: this.#init.frameTimeoutMs,
        clock: this.#init.clock,
      })
      if (summary.rejected > 0) {
        this.#init.log.warn(
          { peer: peerId, org, rejected: summary.rejected, reasons: summary.reasons },
          'peer sent entries this node refuses',
        )
      }
      if (summary.offences > 0)
        await this.#init.discipline.offence(peerId, 'sent entries that fail verification or the rules')
      // It sent nothing: it holds nothing of the org this node lacks.
      if (summary.accepted === 0 && summary.rejected === 0) this.#init.schedule.inSync(peerId, org)
      status.lastError = null
      return summary.accepted
    } catch (err) {
      const e = err as Error
      if (e instanceof SyncRefusedError) {
        if (e.code === 'removed') this.#removed(peerId, org)
        return 0
      }
      if (this.#init.transport.isBanned(peerId)) return 0
      status.lastError = e.message
      if (err instanceof SyncProtocolError) {
        await this.#init.discipline.banNow(peerId, `broke the sync protocol: ${e.message}`)
        return 0
      }
      this.#init.log.debug({ peer: peerId, org, err: e.message }, 'sync failed; will retry')
      return 0
    }
  }

  /** The peer says this node's member was removed from `org`: recorded, and said plainly. */
  #removed(peerId: string, org: string): void {
    const status = this.#init.record(peerId).status
    if (!status.removedFrom.includes(org)) status.removedFrom.push(org)
    status.lastError = `this node was removed from org ${org}`
    this.#init.log.warn(
      { peer: peerId, org },
      `this node was removed from org ${org} (the peer refuses to sync it)`,
    )
  }

  /** Pulls every org this node holds from the peer (those it is a member of). */
  async pull(peerId: string): Promise<void> {
    const status = this.#init.record(peerId).status
    const timeout = clockTimeout(this.#init.clock, PULL_TIMEOUT_MS)
    const signal = AbortSignal.any([this.#init.stopped, timeout.signal])
    let received = 0
    try {
      for (const org of await this.#init.source.orgs()) {
        if (!this.#connected(peerId)) return
        if (this.#init.transport.isBanned(peerId)) return
        received += await this.#pullOrg(peerId, org, signal)
      }
    } finally {
      timeout.cancel()
    }
    status.lastSync = this.#init.clock.now()
    status.weWereBehind = received
    if (received > 0) {
      await this.#init.refreshTopics()
      void this.#init.refreshMembers()
    }
  }

  /** Serves one sync request from the peer (members only; a flood is refused and counted). */
  serve(stream: MeshStream, peerId: string): void {
    const key = memberKeyOfId(peerId)
    const record = this.#init.record(peerId)
    const status = record.status
    if (this.#init.discipline.flooding(peerId) || record.serving >= CONCURRENT_SERVES) {
      stream.abort(new Error('too many sync requests'))
      void this.#init.discipline.offence(peerId, 'flooded sync requests')
      return
    }
    record.serving++
    serveSync(stream, key ?? '', this.#init.source, {
      signal: this.#init.stopped,
      frameTimeoutMs: this.#init.frameTimeoutMs,
      clock: this.#init.clock,
    })
      .then(({ sent, peerAhead, ahead, org }) => {
        status.peerWasBehind = sent
        // Its heads are nowhere ahead of ours: no need to pull from it this round.
        if (!peerAhead) this.#init.schedule.inSync(peerId, org)
        // Sync goes both ways: what the peer has that we lack comes back now (only then,
        // or two nodes would pull from each other forever).
        if (peerAhead) this.#init.pullBack(peerId, org, ahead)
      })
      .catch(async (err: Error) => {
        if (err instanceof SyncProtocolError) {
          await this.#init.discipline.banNow(peerId, `broke the sync protocol: ${err.message}`)
          return
        }
        // Refused as not a member here: nothing is asked of it. A newcomer is a member
        // once a member's node has admitted it (the admission reaches us first).
      })
      .finally(() => {
        record.serving--
      })
  }

  #connected(peerId: string): boolean {
    return this.#init.transport.connectedPeers().includes(peerId)
  }
}
