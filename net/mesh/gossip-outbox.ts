/**
 * Local entries waiting to be gossiped, per org. Entries made within a few milliseconds
 * travel together: a burst goes out as a few bounded batches, not thousands of messages
 * each verified on its own. A batch goes at once when it reaches `GOSSIP_BATCH_ENTRIES`
 * entries or `GOSSIP_BATCH_BYTES` bytes.
 */
import type { Clock, Timer } from '../../crdt/index.ts'

/** Local entries made within this window travel in one gossip message. */
export const GOSSIP_COALESCE_MS = 10
/** A gossip batch is sent at once when it reaches this many entries or bytes. */
export const GOSSIP_BATCH_ENTRIES = 500
export const GOSSIP_BATCH_BYTES = 512 * 1024

/** What one org's outbox holds when it is flushed. */
export interface OutboxBatch {
  readonly entries: Uint8Array[]
  readonly changes: Uint8Array[]
  readonly bytes: number
  /** A roster change is in it: who is sent it is worked out again first. */
  readonly roster: boolean
}

type Box = { -readonly [K in keyof OutboxBatch]: OutboxBatch[K] } & { timer: Timer | null }

export interface GossipOutboxInit {
  readonly clock: Clock
  /** Sends one org's batch (never throws: a failed publish is for sync to make up). */
  readonly send: (org: string, batch: OutboxBatch) => Promise<void>
}

export class GossipOutbox {
  readonly #clock: Clock
  readonly #send: (org: string, batch: OutboxBatch) => Promise<void>
  readonly #boxes = new Map<string, Box>()
  #stopped = false

  constructor(init: GossipOutboxInit) {
    this.#clock = init.clock
    this.#send = init.send
  }

  /** Queues local entries for gossip: sent within a few ms, together with any that follow. */
  add(org: string, batch: { entries: Uint8Array[]; changes: Uint8Array[]; roster?: boolean }): void {
    if (this.#stopped) return
    let box = this.#boxes.get(org)
    if (box === undefined) {
      box = { entries: [], changes: [], bytes: 0, timer: null, roster: false }
      this.#boxes.set(org, box)
    }
    if (batch.roster === true) box.roster = true
    box.entries.push(...batch.entries)
    box.changes.push(...batch.changes)
    for (const b of batch.entries) box.bytes += b.length
    for (const b of batch.changes) box.bytes += b.length
    if (box.entries.length >= GOSSIP_BATCH_ENTRIES || box.bytes >= GOSSIP_BATCH_BYTES) void this.flush(org)
    else box.timer ??= this.#clock.setTimeout(() => void this.flush(org), GOSSIP_COALESCE_MS)
  }

  /** Sends what `org`'s outbox holds now. */
  async flush(org: string): Promise<void> {
    const box = this.#boxes.get(org)
    if (box === undefined) return
    this.#boxes.delete(org)
    box.timer?.cancel()
    const { entries, changes, bytes, roster } = box
    await this.#send(org, { entries, changes, bytes, roster })
  }

  /** Drops what waits and takes nothing more. */
  stop(): void {
    this.#stopped = true
    for (const box of this.#boxes.values()) box.timer?.cancel()
    this.#boxes.clear()
  }
}
