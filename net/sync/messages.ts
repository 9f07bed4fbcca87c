/**
 * Messages of the catch-up protocol, one per length-prefixed frame, in deterministic
 * DAG-CBOR. Every frame from a peer is hostile until it decodes here: exact shapes,
 * bounded counts and sizes; anything else is a protocol error that ends the session.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { unpackByteList } from '../../crdt/byte-list.ts'
import { encodeBatchFrame, readBatchFrame } from './batch-frame.ts'

export const SYNC_PROTOCOL = '/verseguy/sync/1.0.0'

export const SYNC_LIMITS = {
  /** One frame on the wire. */
  maxFrameBytes: 4 * 1024 * 1024,
  /** Authors a request may name. */
  maxHeads: 20_000,
  /** Entries in one batch. */
  maxBatchEntries: 1_000,
  /** Changes in one batch (an entry may cover several). */
  maxBatchChanges: 40_000,
  /** Change bytes in one batch (the frame limit bounds the rest). */
  maxBatchBytes: 2 * 1024 * 1024,
  /** One document snapshot (what is left of a frame for it). */
  maxSnapshotBytes: 4 * 1024 * 1024 - 1024,
  /** Length of an opaque document name. */
  maxDocName: 256,
  /**
   * What the requester gathers before storing it in one receive: entries, and bytes of
   * entries, changes and snapshots together. Bounds its memory; a dropped stream loses at
   * most this much (what was stored stays stored).
   */
  maxReceiveEntries: 20_000,
  maxReceiveBytes: 32 * 1024 * 1024,
  /**
   * How long either side waits for the other to read or send the next frame before it
   * closes the stream: a stalled peer holds nothing for longer.
   */
  frameTimeoutMs: 60_000,
} as const

/** The requester's chain heads for an org: author (hex member key) → highest seq held. */
export interface SyncRequest {
  readonly t: 'req'
  readonly org: string
  readonly heads: readonly (readonly [string, number])[]
  /** An invite token, as nodes before admission sent it: still read, grants nothing. */
  readonly invite?: string
}
/** Entries (signature || bytes) and the change bytes they cover. */
export interface SyncBatch {
  readonly t: 'batch'
  readonly entries: readonly Uint8Array[]
  readonly changes: readonly Uint8Array[]
}
/**
 * A document as the responder holds it after the batches (Automerge's compact form),
 * sent once the batches are: the requester may load it instead of replaying the changes
 * it received, but only if it holds exactly the history those verified changes make.
 */
export interface SyncSnapshot {
  readonly t: 'snap'
  /** The document's name (opaque to net/). */
  readonly doc: string
  readonly bytes: Uint8Array
}
export interface SyncDone {
  readonly t: 'done'
}
/**
 * Why a request is refused, as a type the requester acts on: `removed`: the requester's
 * member was removed from the org (its node should tell its user); `not-member`: not a
 * member (or not yet); `bad-request`: not a request.
 */
export type SyncErrorCode = 'removed' | 'not-member' | 'bad-request'
const ERROR_CODES: ReadonlySet<string> = new Set<SyncErrorCode>(['removed', 'not-member', 'bad-request'])

export interface SyncError {
  readonly t: 'err'
  readonly reason: string
  readonly code?: SyncErrorCode
}
export type SyncMessage = SyncRequest | SyncBatch | SyncSnapshot | SyncDone | SyncError

export class SyncProtocolError extends Error {
  override name = 'SyncProtocolError'
}

const ORG = /^[0-9a-f]{32}$/
const KEY = /^[0-9a-f]{64}$/

/**
 * A batch travels with its entries and its changes each packed into one byte string
 * (u32 big-endian length, then the bytes, per item): two CBOR values instead of
 * thousands, and the receiver's items are views into one buffer instead of thousands of
 * copies. Its frame is written and read directly (batch-frame.ts): the same bytes.
 */
export function encodeMessage(m: SyncMessage): Uint8Array {
  if (m.t !== 'batch') return dagCbor.encode(m)
  return encodeBatchFrame(m.entries, m.changes)
}

export function decodeMessage(bytes: Uint8Array): SyncMessage {
  if (bytes.length > SYNC_LIMITS.maxFrameBytes) throw new SyncProtocolError('frame too large')
  const batch = readBatchFrame(bytes)
  if (batch !== null) return unpackBatch(batch.entries, batch.changes)
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch {
    throw new SyncProtocolError('frame does not decode')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new SyncProtocolError('frame is not a message')
  const m = v as Record<string, unknown>
  const keys = Object.keys(m).sort().join(',')
  switch (m.t) {
    case 'req': {
      if (
        (keys !== 'heads,org,t' && keys !== 'heads,invite,org,t') ||
        typeof m.org !== 'string' ||
        !ORG.test(m.org) ||
        !Array.isArray(m.heads) ||
        (m.invite !== undefined && (typeof m.invite !== 'string' || m.invite.length > 4096))
      )
        throw new SyncProtocolError('malformed request')
      if (m.heads.length > SYNC_LIMITS.maxHeads) throw new SyncProtocolError('request names too many authors')
      for (const h of m.heads) {
        if (
          !Array.isArray(h) ||
          h.length !== 2 ||
          typeof h[0] !== 'string' ||
          !KEY.test(h[0]) ||
          !Number.isSafeInteger(h[1]) ||
          (h[1] as number) < 0
        )
          throw new SyncProtocolError('malformed head in request')
      }
      const heads = m.heads as [string, number][]
      return typeof m.invite === 'string'
        ? { t: 'req', org: m.org, heads, invite: m.invite }
        : { t: 'req', org: m.org, heads }
    }
    case 'batch': {
      if (
        keys !== 'changes,entries,t' ||
        !(m.entries instanceof Uint8Array) ||
        !(m.changes instanceof Uint8Array)
      )
        throw new SyncProtocolError('malformed batch')
      return unpackBatch(m.entries, m.changes)
    }
    case 'snap':
      if (
        keys !== 'bytes,doc,t' ||
        typeof m.doc !== 'string' ||
        m.doc.length === 0 ||
        m.doc.length > SYNC_LIMITS.maxDocName ||
        !(m.bytes instanceof Uint8Array) ||
        m.bytes.length > SYNC_LIMITS.maxSnapshotBytes
      )
        throw new SyncProtocolError('malformed snapshot')
      return { t: 'snap', doc: m.doc, bytes: m.bytes }
    case 'done':
      if (keys !== 't') throw new SyncProtocolError('malformed done')
      return { t: 'done' }
    case 'err':
      if (
        (keys !== 'reason,t' && keys !== 'code,reason,t') ||
        typeof m.reason !== 'string' ||
        m.reason.length > 500 ||
        (m.code !== undefined && (typeof m.code !== 'string' || !ERROR_CODES.has(m.code)))
      )
        throw new SyncProtocolError('malformed error')
      return m.code === undefined
        ? { t: 'err', reason: m.reason }
        : { t: 'err', reason: m.reason, code: m.code as SyncErrorCode }
    default:
      throw new SyncProtocolError('unknown message type')
  }
}

/** A batch's packed entries and changes, within the limits. */
function unpackBatch(packedEntries: Uint8Array, packedChanges: Uint8Array): SyncBatch {
  const entries = unpackByteList(packedEntries, 0, SYNC_LIMITS.maxBatchEntries + 1)
  const changes = unpackByteList(packedChanges, 0, SYNC_LIMITS.maxBatchChanges)
  if (entries === null || changes === null) throw new SyncProtocolError('malformed batch')
  if (entries.length > SYNC_LIMITS.maxBatchEntries) throw new SyncProtocolError('batch has too many entries')
  return { t: 'batch', entries, changes }
}
