/** Errors of the operations service; match on `.name`. Bad input is `InvalidInputError` (org/errors.ts). */
import { VerseGuyError } from '../../crdt/index.ts'

export class OperationNotFoundError extends VerseGuyError {
  override name = 'OperationNotFoundError'
  readonly code = 'operation-not-found'
  readonly kind = 'not-found'
  constructor(opId: string) {
    super(`No operation ${opId} in this org on this node.`)
  }
}

/**
 * The request is well formed but the operation's current state refuses it: a status
 * change the lifecycle does not allow, sign-ups closed, a slot already taken, a full
 * operation. `field` names the input it is about. Nothing was changed.
 */
export class OperationConflictError extends VerseGuyError {
  override name = 'OperationConflictError'
  readonly code = 'operation-conflict'
  readonly kind = 'conflict'
  override readonly field: string
  constructor(field: string, message: string) {
    super(`${field}: ${message}. Nothing was changed.`)
    this.field = field
  }
}
