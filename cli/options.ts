/**
 * Parsers for the CLI's numeric and enum flags, the one place they are checked: a bad
 * value (`--hours abc`, `--hours 0`, `--insurance gold`) is a usage error (exit 2) that
 * names the flag and what it takes, before anything runs. Given to commander as an
 * option's argument parser: `.option('--hours <n>', '…', number('--hours', { above: 0 }))`.
 */
import { CliError } from './errors.ts'

const WHOLE = /^\d+$/
const DECIMAL = /^\d+(\.\d+)?$/

export interface WholeBounds {
  readonly min: number
  readonly max?: number
}

/** A whole number from `min` (to `max`). */
export function wholeNumber(flag: string, bounds: WholeBounds): (value: string) => number {
  const { min, max } = bounds
  const range = max !== undefined ? `from ${min} to ${max}` : min === 1 ? 'more than 0' : `from ${min}`
  return (value) => {
    const n = Number(value)
    if (!WHOLE.test(value) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max))
      throw usage(flag, `a whole number ${range}`, value)
    return n
  }
}

export interface NumberBounds {
  /** The value must be more than this (`--hours`: more than 0). */
  readonly above?: number
  /** The value must be at least this. */
  readonly min?: number
  readonly max?: number
}

/** A number, decimals allowed (`1.5`), within the bounds. */
export function number(flag: string, bounds: NumberBounds): (value: string) => number {
  const { above, min, max } = bounds
  const parts = [
    above !== undefined ? `more than ${above}` : min !== undefined ? `at least ${min}` : '',
    max !== undefined ? `at most ${max}` : '',
  ].filter(Boolean)
  const what = `a number${parts.length > 0 ? ` ${parts.join(' and ')}` : ''}`
  return (value) => {
    const n = Number(value)
    if (
      !DECIMAL.test(value) ||
      !Number.isFinite(n) ||
      (above !== undefined && n <= above) ||
      (min !== undefined && n < min) ||
      (max !== undefined && n > max)
    )
      throw usage(flag, what, value)
    return n
  }
}

/** The values each `oneOf` parser accepts, for shell completion and docs/cli.md. */
const CHOICES = new WeakMap<object, readonly string[]>()

/** One of `values`, as given. */
export function oneOf<const T extends string>(flag: string, values: readonly T[]): (value: string) => T {
  const parse = (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw usage(flag, `one of ${values.join(', ')}`, value)
    return value as T
  }
  CHOICES.set(parse, [...values])
  return parse
}

/** The values an option's parser accepts, if `oneOf` made it; else undefined. */
export function choicesOf(parser: unknown): readonly string[] | undefined {
  return typeof parser === 'function' ? CHOICES.get(parser) : undefined
}

function usage(flag: string, what: string, value: string): CliError {
  return new CliError(`${flag} must be ${what} (got ${JSON.stringify(value)})`, { usage: true })
}
