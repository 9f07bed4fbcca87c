/**
 * Time that a clock set back cannot rewind: the latest of the wall clock, a persisted
 * last-seen-time watermark, and the time of this member's newest entry in its chains
 * (they keep it too, signed, so a wiped setting does not reset it). A license is judged
 * at that time: setting the clock back never extends one.
 *
 * A clock that ran ahead (a wrong date, once) pushes the watermark ahead with it, and
 * valid licenses would stay expired for good. The member can confirm that their clock is
 * right again and reset the watermark to it (`reset`); the reset is a signed entry in the
 * node-local chain (a node-only event: kept, never sent), and entries signed before it
 * with the clock ahead no longer floor the time.
 */
import type { DocumentStore, EntryHash, MemberKey } from '../../crdt/index.ts'

const SETTING = 'license.watermark'
/** The chain action that records a reset. */
export const CLOCK_RESET_ACTION = 'license.clock-reset'
/** Clocks drift and NTP steps back a little; beyond this a step back is reported. */
export const ROLLBACK_TOLERANCE_MS = 5 * 60_000
/** How far the watermark may run ahead of the persisted one before it is written again. */
const PERSIST_EVERY_MS = 60_000

export interface ClockReading {
  /** The time licenses are judged at (ms). */
  readonly now: number
  readonly wall: number
  readonly watermark: number
  /** The wall clock is behind the watermark by more than the tolerance. */
  readonly rolledBack: boolean
}

/** What a reset did, or would do (not confirmed, or nothing to reset). */
export interface ClockReset {
  /** The wall clock is behind the watermark (beyond the tolerance): a reset would help. */
  readonly needed: boolean
  /** The watermark was reset and the reset recorded. */
  readonly done: boolean
  /** The watermark before (ms). */
  readonly from: number
  /** The watermark after a reset: this computer's clock (ms). */
  readonly to: number
  /** The chain entry that records the reset (null unless done). */
  readonly entry: { readonly seq: number; readonly hash: EntryHash } | null
}

export class LicenseClock {
  private readonly store: DocumentStore
  private readonly me: MemberKey
  private readonly wall: () => number
  private watermark: number | null = null
  private persisted = 0

  constructor(components: { store: DocumentStore; me: MemberKey; wall?: () => number }) {
    this.store = components.store
    this.me = components.me
    this.wall = components.wall ?? Date.now
  }

  async read(): Promise<ClockReading> {
    const wall = this.wall()
    if (this.watermark === null) {
      const stored = await this.store.getSetting(SETTING)
      this.persisted = typeof stored === 'number' && Number.isSafeInteger(stored) ? stored : 0
      this.watermark = this.persisted
    }
    const mark = Math.max(this.watermark, await this.newestEntryTime(), wall)
    this.watermark = mark
    if (mark - this.persisted >= PERSIST_EVERY_MS) {
      this.persisted = mark
      await this.store.putSetting(SETTING, mark)
    }
    return { now: mark, wall, watermark: mark, rolledBack: wall < mark - ROLLBACK_TOLERANCE_MS }
  }

  /**
   * Sets the watermark back to this computer's clock, when that clock is behind it and
   * the member confirms; first records the reset (from, to) as a signed entry in their
   * chain. Without `confirm`, or with nothing to reset, it changes nothing and says what
   * a reset would do.
   */
  async reset(confirm: boolean): Promise<ClockReset> {
    const reading = await this.read()
    const from = reading.watermark
    const to = reading.wall
    if (!confirm || !reading.rolledBack)
      return { needed: reading.rolledBack, done: false, from, to, entry: null }
    // The record first: a reset that is not in the chain never happens.
    // Node-local: a reset concerns this node's clock, not any org.
    const entry = await this.store.record(null, {
      action: CLOCK_RESET_ACTION,
      resource: `license-clock:${this.me}`,
      details: { from, to },
    })
    await this.store.putSetting(SETTING, to)
    this.watermark = to
    this.persisted = to
    return { needed: true, done: true, from, to, entry: { seq: entry.seq, hash: entry.hash } }
  }

  /**
   * The time of this member's newest entry in its chains (one per org, and the node-local
   * one). After a reset (the node-local chain's head), an org chain's head signed at or
   * before the time reset from was signed with the clock ahead: it no longer counts.
   */
  private async newestEntryTime(): Promise<number> {
    const local = await this.store.chains.head(null, this.me)
    const from = (local?.details as { from?: unknown } | null)?.from
    const resetFrom = local?.action === CLOCK_RESET_ACTION && typeof from === 'number' ? from : -1
    let newest = local?.time ?? 0
    for (const scope of await this.store.chains.scopes()) {
      if (scope === null) continue
      const time = (await this.store.chains.head(scope, this.me))?.time ?? 0
      if (time > resetFrom) newest = Math.max(newest, time)
    }
    return newest
  }
}
