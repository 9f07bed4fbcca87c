/** Errors of the CLI; match on `.name`, or on `code`/`kind` (see main.ts's exit codes). */
import { type ErrorKind, VerseGuyError } from '../node/light.ts'

/**
 * A usage or input error the CLI reports without a stack trace. `usage` is a command line
 * the CLI cannot run as typed (exit 2); the rest say what to do and exit by `kind`.
 */
export class CliError extends VerseGuyError {
  override name = 'CliError'
  readonly code: 'usage' | 'cli-refused'
  readonly kind: ErrorKind
  constructor(message: string, how: { usage?: boolean; kind?: ErrorKind } = {}) {
    super(message)
    this.code = how.usage === true ? 'usage' : 'cli-refused'
    this.kind = how.kind ?? (how.usage === true ? 'invalid' : 'failed')
  }
}

/**
 * What the node answered to a request that failed: its error's stable `code`, `kind` and
 * message (and the field, on bad input), as the API's error body carries them.
 */
export class NodeAnswerError extends VerseGuyError {
  override name = 'NodeAnswerError'
  readonly code: string
  readonly kind: ErrorKind
  override readonly field: string | undefined
  /** The HTTP status of the answer. */
  readonly status: number
  /** The answer's other fields, e.g. a permission-denied answer's `permission` and `rank`. */
  override readonly details: Readonly<Record<string, string | number>>
  constructor(
    answer: {
      code: string
      kind: ErrorKind
      message: string
      field?: string
      details?: Readonly<Record<string, string | number>>
    },
    status: number,
  ) {
    super(answer.message)
    this.code = answer.code
    this.kind = answer.kind
    this.field = answer.field
    this.status = status
    this.details = answer.details ?? {}
  }
}
