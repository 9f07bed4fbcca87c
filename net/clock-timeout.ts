/**
 * An abort signal that fires after `ms` on a `Clock` (so a `ManualClock` drives network
 * timeouts in tests as it drives every other timer). Cancel it once the work is done,
 * or its timer stays pending until it fires.
 */
import type { Clock } from '../crdt/index.ts'

export interface ClockTimeout {
  readonly signal: AbortSignal
  cancel(): void
}

export function clockTimeout(clock: Clock, ms: number): ClockTimeout {
  const ctl = new AbortController()
  const timer = clock.setTimeout(
    () => ctl.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
    ms,
  )
  return { signal: ctl.signal, cancel: () => timer.cancel() }
}
