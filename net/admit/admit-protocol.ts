/**
 * Admission on its own stream: a newcomer's node sends its signed join request to a
 * member's node; that node's `AdmitSource` judges the invite against its own roster and
 * clock and, if it admits, writes the admission before answering `ok`. The newcomer then
 * fetches the org over the sync protocol on the same connection, as the member it now is,
 * into the sync source it names (the node's staging area: see node/join-transport.ts).
 *
 * A stranger costs little here: one bounded frame read within a timeout, one exchange at
 * a time per peer and a few per minute; the source checks a signature before anything
 * else. net/ sees the request as opaque bytes and the answer as a code and words.
 */
import { lpStream } from '@libp2p/utils'
import { systemClock } from '../../crdt/clock.ts'
import type { Clock, Logger } from '../../crdt/index.ts'
import { silentLogger } from '../../crdt/logger.ts'
import { clockTimeout } from '../clock-timeout.ts'
import { memberKeyOfId } from '../member-key.ts'
import { SYNC_PROTOCOL } from '../sync/messages.ts'
import { requestSync, type SyncSource } from '../sync/sync-protocol.ts'
import type { MeshStream, MeshTransport } from '../transport.ts'
import {
  ADMIT_LIMITS,
  ADMIT_PROTOCOL,
  type AdmitMessage,
  AdmitProtocolError,
  decodeAdmitMessage,
  encodeAdmitMessage,
} from './messages.ts'

/** The answer to a join request. */
export type AdmitAnswer = { ok: true } | { ok: false; code: string; reason: string }

/** What the protocol needs from the node: a judge of join requests. */
export interface AdmitSource {
  /**
   * Judges the join request `request` for `org` from the peer whose member key is
   * `member`, and admits it (writing the admission) or says why not. Never throws for a
   * refusal.
   */
  admit(org: string, member: string, request: Uint8Array): Promise<AdmitAnswer>
}

/** What the protocol uses of the network (the libp2p host, or a node of the in-memory network). */
export type AdmitTransport = Pick<
  MeshTransport,
  'handle' | 'unhandle' | 'dial' | 'dialAddress' | 'openStream'
>

export interface AdmitProtocolInit {
  readonly transport: AdmitTransport
  readonly source: AdmitSource
  /** Where the fetch that follows an admission stores, unless `join` names another. */
  readonly sync: SyncSource
  readonly log?: Logger
  /** How long a peer may take to send its request. Default 10 s. */
  readonly readTimeoutMs?: number
  /** Runs the timeouts and the rate window. Default `systemClock`. */
  readonly clock?: Clock
}

/** How long a newcomer waits for a node to be reached and to answer (not for the fetch). */
const ASK_TIMEOUT_MS = 20_000
/** Join requests one peer may make per window. */
const REQUESTS_PER_WINDOW = 6
const REQUEST_WINDOW_MS = 60_000

export class AdmitProtocol {
  readonly #transport: AdmitTransport
  readonly #source: AdmitSource
  readonly #sync: SyncSource
  readonly #log: Logger
  readonly #readTimeoutMs: number
  readonly #clock: Clock
  readonly #busy = new Set<string>()
  readonly #requests = new Map<string, { start: number; count: number }>()
  #stopped = new AbortController()

  constructor(init: AdmitProtocolInit) {
    this.#transport = init.transport
    this.#source = init.source
    this.#sync = init.sync
    this.#log = init.log ?? silentLogger
    this.#readTimeoutMs = init.readTimeoutMs ?? 10_000
    this.#clock = init.clock ?? systemClock
  }

  async start(): Promise<void> {
    await this.#transport.handle(ADMIT_PROTOCOL, (stream, peer) => void this.#serve(stream, peer), {
      maxInboundStreams: 4,
    })
  }

  async stop(): Promise<void> {
    this.#stopped.abort()
    await this.#transport.unhandle(ADMIT_PROTOCOL).catch(() => {})
  }

  /**
   * Asks the node at `target` (a multiaddr ending in `/p2p/<peer id>`, or a peer id for
   * the transport to find) to admit
   * this node into `org` with the packed join request; once admitted, fetches the org
   * from it into `into` (default: the `sync` source given at construction). Throws if the
   * node cannot be reached or breaks the protocol, or the fetch fails; a refusal is an
   * answer.
   */
  async join(
    target: string,
    org: string,
    request: Uint8Array,
    signal: AbortSignal,
    into: SyncSource = this.#sync,
  ): Promise<AdmitAnswer> {
    // Reaching the node and its answer are quick or not at all; the fetch may take long.
    const askTimeout = clockTimeout(this.#clock, ASK_TIMEOUT_MS)
    const ask = AbortSignal.any([signal, askTimeout.signal])
    let peer: string
    let answer: AdmitMessage
    try {
      if (target.startsWith('/')) peer = await this.#transport.dialAddress(target, ask)
      else {
        peer = target
        await this.#transport.dial(peer, ask)
      }
      const stream = await this.#transport.openStream(peer, ADMIT_PROTOCOL, ask)
      const lp = lpStream(stream, { maxDataLength: ADMIT_LIMITS.maxFrameBytes })
      await lp.write(encodeAdmitMessage({ t: 'admit', org, request }), { signal: ask })
      answer = await readAdmitMessage(lp, ask)
      await stream.close({ signal: ask }).catch(() => {})
    } finally {
      askTimeout.cancel()
    }
    if (answer.t === 'no') return { ok: false, code: answer.code, reason: answer.reason }
    if (answer.t !== 'ok') throw new AdmitProtocolError('expected an answer')
    const sync = await this.#transport.openStream(peer, SYNC_PROTOCOL, signal)
    const summary = await requestSync(sync, org, into, { signal, clock: this.#clock })
    this.#log.info({ org, peer, entries: summary.accepted }, 'admitted; org fetched')
    return { ok: true }
  }

  async #serve(stream: MeshStream, peer: string): Promise<void> {
    const key = memberKeyOfId(peer)
    const lp = lpStream(stream, { maxDataLength: ADMIT_LIMITS.maxFrameBytes })
    const readTimeout = clockTimeout(this.#clock, this.#readTimeoutMs)
    const signal = AbortSignal.any([this.#stopped.signal, readTimeout.signal])
    const answer = async (m: AdmitMessage) => {
      await lp.write(encodeAdmitMessage(m), { signal: this.#stopped.signal }).catch(() => {})
      const closeTimeout = clockTimeout(this.#clock, 5_000)
      await stream
        .close({ signal: closeTimeout.signal })
        .catch(() => stream.abort(new Error('closed')))
        .finally(() => closeTimeout.cancel())
    }
    // A peer with an exchange under way, or past its rate, is answered `busy` (after its one
    // bounded frame: the answer must reach it) and its request is not looked at.
    const refused = key === null || this.#busy.has(peer) || this.#flooding(peer)
    if (!refused) this.#busy.add(peer)
    try {
      const m = await readAdmitMessage(lp, signal)
      if (m.t !== 'admit') throw new AdmitProtocolError('expected a join request')
      if (refused) {
        await answer({ t: 'no', code: 'busy', reason: 'too many join requests; try again later' })
        return
      }
      const a = await this.#source.admit(m.org, key, m.request)
      await answer(
        a.ok ? { t: 'ok' } : { t: 'no', code: a.code, reason: a.reason.slice(0, ADMIT_LIMITS.maxReason) },
      )
    } catch (err) {
      this.#log.debug({ peer, err: (err as Error).message }, 'join request failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      readTimeout.cancel()
      if (!refused) this.#busy.delete(peer)
    }
  }

  #flooding(peer: string): boolean {
    const now = this.#clock.now()
    let w = this.#requests.get(peer)
    if (w === undefined || now - w.start > REQUEST_WINDOW_MS) {
      if (this.#requests.size > 1024) this.#requests.clear()
      w = { start: now, count: 0 }
      this.#requests.set(peer, w)
    }
    return ++w.count > REQUESTS_PER_WINDOW
  }
}

const BAD_FRAME = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError'])

async function readAdmitMessage(lp: ReturnType<typeof lpStream>, signal: AbortSignal): Promise<AdmitMessage> {
  let frame: Uint8Array
  try {
    frame = (await lp.read({ signal })).subarray()
  } catch (err) {
    if (BAD_FRAME.has((err as Error).name))
      throw new AdmitProtocolError(`malformed frame: ${(err as Error).message}`)
    throw err
  }
  return decodeAdmitMessage(frame)
}
