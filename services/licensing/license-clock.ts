/**
 * Time that a clock set back cannot rewind: the latest of the wall clock, a persisted
 * last-seen-time watermark, and the time of this member's newest chain entry (the chain
 * keeps it too, signed, so a wiped setting does not reset it). A license is judged at
 * that time: setting the clock back never extends one.
 */
import type { DocumentStore, MemberKey } from '../../crdt/index.ts'

const SETTING = 'license.watermark'
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
    const head = await this.store.chains.head(this.me)
    const mark = Math.max(this.watermark, head?.time ?? 0, wall)
    this.watermark = mark
    if (mark - this.persisted >= PERSIST_EVERY_MS) {
      this.persisted = mark
      await this.store.putSetting(SETTING, mark)
    }
    return { now: mark, wall, watermark: mark, rolledBack: wall < mark - ROLLBACK_TOLERANCE_MS }
  }
}
