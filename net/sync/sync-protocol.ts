/**
 * Catch-up sync on its own stream: the requester sends its chain heads for an org; the
 * responder, if the requester is a member, streams what is missing author by author in
 * bounded batches, then a snapshot of each document it sent many changes to, and ends
 * with `done`. Nothing is ever loaded whole into one message.
 *
 * The requester gathers batches (up to `SYNC_LIMITS.maxReceiveEntries` entries and
 * `maxReceiveBytes`) and stores each gathering in one receive: one verification pass and
 * one write for thousands of entries, and a document that arrives with its snapshot is
 * loaded instead of replayed change by change (only if the snapshot holds exactly the
 * history of the verified changes). A dropped stream loses only the gathering under
 * way: the next request starts from the heads the requester has by then.
 *
 * Only members are served (the source decides), and a member the org removed is told so
 * with the `removed` code. Each side waits at most `SYNC_LIMITS.frameTimeoutMs` for the
 * other's next frame (or for room to send one), then closes the stream.
 *
 * net/ sees documents only through `SyncSource`: opaque packed entries, change bytes,
 * document names and snapshots.
 */
import type { AbortOptions, MessageStream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { systemClock } from '../../crdt/clock.ts'
import type { Clock, RefusalKind } from '../../crdt/index.ts'
import { clockTimeout } from '../clock-timeout.ts'
import {
  decodeMessage,
  encodeMessage,
  SYNC_LIMITS,
  type SyncErrorCode,
  type SyncMessage,
  SyncProtocolError,
} from './messages.ts'

/** Changes to one document in a session from which the responder sends its snapshot too. */
export const SNAPSHOT_MIN_CHANGES = 200
/** Snapshots one session sends at most (the documents with the most changes). */
export const MAX_SNAPSHOTS = 16

/** What the requester stores in one receive. */
export interface ReceivedBatch {
  readonly entries: readonly Uint8Array[]
  readonly changes: readonly Uint8Array[]
  /** Snapshots by document name, for documents these entries change. */
  readonly snapshots?: ReadonlyMap<string, Uint8Array>
}

export interface SyncReceipt {
  readonly accepted: number
  readonly rejected: number
  /**
   * Refusals that show the sender misbehaved (entries or changes that do not decode or
   * verify, or that the rules refuse), as opposed to a gap or a missing dependency.
   */
  readonly offences: number
  /** Refusals by kind (e.g. `gap`, `missing-dependency`: the sender is ahead of us). */
  readonly byKind: ReadonlyMap<RefusalKind, number>
  /** Why entries were refused (first few). */
  readonly reasons: readonly string[]
  /**
   * Whether accepted entries changed the org's roster (who is a member may have
   * changed). Absent: not known, taken as changed.
   */
  readonly roster?: boolean
}

/** What the sync protocol needs from the node's documents. */
export interface SyncSource {
  /**
   * Whether the peer with member key `member` may receive `org`'s data: a member, or a
   * newcomer presenting a valid, unused invite to it.
   */
  mayServe(org: string, member: string): Promise<boolean>
  /**
   * Where the peer with member key `member` stands in `org`: a member (served, pulled
   * from), removed from it (told so, neither served nor pulled from), or a stranger.
   */
  standing(org: string, member: string): Promise<'member' | 'removed' | 'stranger'>
  /** Chain heads this node holds that concern `org`: author → highest seq. */
  heads(org: string): Promise<ReadonlyMap<string, number>>
  /**
   * Entries of `author` after seq `after`, in order, packed (signature || bytes): at most
   * `limit` of them and about `maxBytes` in all (at least one), with the changes they
   * cover and how many of those each document got.
   */
  entriesAfter(
    org: string,
    author: string,
    after: number,
    bounds: { limit: number; maxBytes: number },
  ): Promise<{ entries: Uint8Array[]; changes: Uint8Array[]; docs: ReadonlyMap<string, number> }>
  /** `org`'s document `doc` in compact form, or null (unknown, not the org's, over `maxBytes`). */
  snapshot(org: string, doc: string, maxBytes: number): Promise<Uint8Array | null>
  /**
   * Optional: steps `[author, upToSeq]` to send before the rest, in that order (the org's
   * roster first, so a newcomer can take each batch as it comes).
   */
  catchUpOrder?(
    org: string,
    theirs: ReadonlyMap<string, number>,
  ): Promise<readonly (readonly [string, number])[]>
  /** Verifies and stores what a peer sent (the node's receive path). */
  receive(org: string, batch: ReceivedBatch): Promise<SyncReceipt>
}

/** The responder refused (e.g. not a member); `code` says why as a type, `org` for which org. */
export class SyncRefusedError extends Error {
  override name = 'SyncRefusedError'
  readonly code: SyncErrorCode | undefined
  readonly org: string | undefined
  constructor(reason: string, code?: SyncErrorCode, org?: string) {
    super(reason)
    this.code = code
    this.org = org
  }
}

/** The peer sent nothing (or read nothing) for `SYNC_LIMITS.frameTimeoutMs`: the stream was closed. */
export class SyncStalledError extends Error {
  override name = 'SyncStalledError'
}

/**
 * Timing options shared by both sides: `frameTimeoutMs` overrides the default wait per
 * frame; `clock` (default `systemClock`) runs the frame and close timeouts.
 */
export interface SyncTiming extends AbortOptions {
  readonly frameTimeoutMs?: number
  readonly clock?: Clock
}

export interface SyncSummary extends SyncReceipt {
  readonly batches: number
}

/** What serving a request found. */
export interface ServeResult {
  /** Entries sent: how far behind the peer was. */
  readonly sent: number
  /** The peer holds entries this node lacks (its heads are ahead somewhere): pull from it. */
  readonly peerAhead: boolean
  /** Where the peer's heads were ahead of this node's: author → the peer's seq. */
  readonly ahead: ReadonlyMap<string, number>
  /** The org served. */
  readonly org: string
}

/** Serves one request on `stream` from the peer whose member key is `remoteMember`. */
export async function serveSync(
  stream: MessageStream,
  remoteMember: string,
  source: SyncSource,
  options: SyncTiming = {},
): Promise<ServeResult> {
  const lp = lpStream(stream, { maxDataLength: SYNC_LIMITS.maxFrameBytes })
  const wait = options.frameTimeoutMs ?? SYNC_LIMITS.frameTimeoutMs
  const clock = options.clock ?? systemClock
  const send = (m: SyncMessage) => timed(stream, wait, options, (o) => lp.write(encodeMessage(m), o))
  let req: SyncMessage
  try {
    req = await readMessage(stream, lp, wait, options)
  } catch (err) {
    await send({
      t: 'err',
      reason: err instanceof SyncProtocolError ? err.message : 'unreadable request',
      code: 'bad-request',
    }).catch(() => {})
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
  if (req.t !== 'req') throw await refuse('expected a request', 'bad-request')
  const org = req.org
  // A removed member is told so plainly (unless it comes back with an invite).
  if (req.invite === undefined && (await source.standing(org, remoteMember)) === 'removed')
    throw await refuse('you were removed from this org', 'removed')
  if (!(await source.mayServe(org, remoteMember)))
    throw await refuse('not a member of this org', 'not-member')
  let sent = 0
  const touched = new Map<string, number>()
  const theirs = new Map(req.heads.map(([a, s]) => [a, s]))
  const mine = await source.heads(req.org)
  const ahead = new Map(req.heads.filter(([a, s]) => s > (mine.get(a) ?? 0)))
  const peerAhead = ahead.size > 0
  // The peer lacks nothing (two nodes in sync, the common case): nothing to order or read.
  const behind = [...mine].some(([a, s]) => s > (theirs.get(a) ?? 0))
  const first = behind ? ((await source.catchUpOrder?.(req.org, theirs)) ?? []) : []
  const sentTo = new Map(theirs)
  for (const [author, head] of [...first, ...mine]) {
    let after = sentTo.get(author) ?? 0
    const seq = Math.min(head, mine.get(author) ?? 0)
    const read = (from: number) =>
      from < seq
        ? source.entriesAfter(req.org, author, from, {
            limit: Math.min(SYNC_LIMITS.maxBatchEntries, seq - from),
            maxBytes: SYNC_LIMITS.maxBatchBytes,
          })
        : null
    // The next batch is read while this one is sent (one read ahead, no more).
    let next = read(after)
    while (next !== null) {
      options.signal?.throwIfAborted()
      const { entries, changes, docs } = await next
      if (entries.length === 0) break
      after += entries.length
      next = read(after)
      // Not awaited if this send fails: its failure is then nobody's.
      next?.catch(() => {})
      await send({ t: 'batch', entries, changes })
      sent += entries.length
      for (const [doc, n] of docs) touched.set(doc, (touched.get(doc) ?? 0) + n)
    }
    sentTo.set(author, after)
  }
  const worth = [...touched]
    .filter(([, n]) => n >= SNAPSHOT_MIN_CHANGES)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_SNAPSHOTS)
  for (const [doc] of worth) {
    options.signal?.throwIfAborted()
    const bytes = await source.snapshot(req.org, doc, SYNC_LIMITS.maxSnapshotBytes)
    if (bytes !== null) await send({ t: 'snap', doc, bytes })
  }
  await send({ t: 'done' })
  await closeSoon(stream, clock)
  return { sent, peerAhead, ahead, org }

  async function refuse(reason: string, code: SyncErrorCode): Promise<SyncRefusedError> {
    await send({ t: 'err', reason, code }).catch(() => {})
    await closeSoon(stream, clock)
    return new SyncRefusedError(reason, code, org)
  }
}

/**
 * Asks the peer on `stream` for what this node lacks of `org`, storing what arrives in
 * bounded gatherings (see the top of this file; `gather` lowers the bounds). Throws
 * `SyncRefusedError` if the peer refuses, `SyncProtocolError` if it sends something that
 * is not the protocol (the caller penalises it), `SyncStalledError` if it stalls.
 *
 */
export async function requestSync(
  stream: MessageStream,
  org: string,
  source: SyncSource,
  options: SyncTiming & { gather?: { entries: number; bytes: number } } = {},
): Promise<SyncSummary> {
  const lp = lpStream(stream, { maxDataLength: SYNC_LIMITS.maxFrameBytes })
  const wait = options.frameTimeoutMs ?? SYNC_LIMITS.frameTimeoutMs
  const heads = [...(await source.heads(org))]
  const req = { t: 'req' as const, org, heads }
  await timed(stream, wait, options, (o) => lp.write(encodeMessage(req), o))
  let accepted = 0
  let rejected = 0
  let offences = 0
  let batches = 0
  const reasons: string[] = []
  const byKind = new Map<RefusalKind, number>()
  const bound = options.gather ?? {
    entries: SYNC_LIMITS.maxReceiveEntries,
    bytes: SYNC_LIMITS.maxReceiveBytes,
  }
  let entries: Uint8Array[] = []
  let changes: Uint8Array[] = []
  let snapshots = new Map<string, Uint8Array>()
  let bytes = 0
  const store = async () => {
    if (entries.length === 0) return
    const r = await source.receive(
      org,
      snapshots.size > 0 ? { entries, changes, snapshots } : { entries, changes },
    )
    entries = []
    changes = []
    snapshots = new Map()
    bytes = 0
    accepted += r.accepted
    rejected += r.rejected
    offences += r.offences
    for (const [kind, n] of r.byKind) byKind.set(kind, (byKind.get(kind) ?? 0) + n)
    for (const x of r.reasons) if (reasons.length < 10) reasons.push(x)
  }
  while (true) {
    const m = await readMessage(stream, lp, wait, options)
    if (m.t === 'done') break
    if (m.t === 'err') throw new SyncRefusedError(m.reason, m.code, org)
    if (m.t === 'snap') {
      // Only worth keeping with entries it can stand for, and within the bound.
      if (entries.length > 0 && bytes + m.bytes.length <= bound.bytes && !snapshots.has(m.doc)) {
        snapshots.set(m.doc, m.bytes)
        bytes += m.bytes.length
      }
      continue
    }
    if (m.t !== 'batch') throw new SyncProtocolError(`unexpected ${m.t} message`)
    batches++
    let size = 0
    for (const e of m.entries) size += e.length
    for (const c of m.changes) size += c.length
    if (entries.length + m.entries.length > bound.entries || bytes + size > bound.bytes) await store()
    entries.push(...m.entries)
    changes.push(...m.changes)
    bytes += size
  }
  await store()
  await stream.close(options).catch(() => {})
  return { accepted, rejected, offences, byKind, reasons, batches }
}

/**
 * Runs one read or write with the caller's signal and a per-frame timeout; on timeout the
 * stream is reset and `SyncStalledError` thrown.
 */
async function timed<T>(
  stream: MessageStream,
  ms: number,
  options: SyncTiming,
  op: (o: AbortOptions) => Promise<T>,
): Promise<T> {
  const timeout = clockTimeout(options.clock ?? systemClock, ms)
  const signal =
    options.signal === undefined ? timeout.signal : AbortSignal.any([options.signal, timeout.signal])
  try {
    return await op({ signal })
  } catch (err) {
    if (!timeout.signal.aborted || options.signal?.aborted) throw err
    const stalled = new SyncStalledError(`the peer stalled for ${ms} ms`)
    stream.abort(stalled)
    throw stalled
  } finally {
    timeout.cancel()
  }
}

/** How long a served stream waits for the requester to close its end. */
const CLOSE_WAIT_MS = 10_000

/** Closes our end; a peer that never closes its own gets the stream reset. */
async function closeSoon(stream: MessageStream, clock: Clock): Promise<void> {
  const timeout = clockTimeout(clock, CLOSE_WAIT_MS)
  try {
    await stream.close({ signal: timeout.signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  } finally {
    timeout.cancel()
  }
}

/** The length prefix of a frame is malformed or claims more than the limit. */
const BAD_FRAME = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError'])

/** Reads and decodes one frame; a malformed frame is a `SyncProtocolError` (not a lost connection). */
async function readMessage(
  stream: MessageStream,
  lp: ReturnType<typeof lpStream>,
  wait: number,
  options: SyncTiming,
): Promise<SyncMessage> {
  let frame: Uint8Array
  try {
    frame = (await timed(stream, wait, options, (o) => lp.read(o))).subarray()
  } catch (err) {
    if (BAD_FRAME.has((err as Error).name))
      throw new SyncProtocolError(`malformed frame: ${(err as Error).message}`)
    throw err
  }
  return decodeMessage(frame)
}
