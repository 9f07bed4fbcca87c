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
