/** What `op` commands take: times (ISO 8601 with an offset). Members: roster-refs.ts. */
import { CliError } from '../errors.ts'

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

/** `--at`: an ISO 8601 time with an offset, as ms since the epoch. */
export function isoTime(flag: string): (value: string) => number {
  return (value) => {
    const ms = Date.parse(value)
    if (!ISO_WITH_OFFSET.test(value) || !Number.isFinite(ms))
      throw new CliError(
        `${flag} must be an ISO 8601 time with an offset, e.g. 2030-01-02T18:30Z or 2030-01-02T20:30+02:00 (got ${JSON.stringify(value)})`,
        { usage: true },
      )
    return ms
  }
}
