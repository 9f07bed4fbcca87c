/** Errors of the operations service; match on `.name`. Bad input is `InvalidInputError` (org/errors.ts). */

export class OperationNotFoundError extends Error {
  override name = 'OperationNotFoundError'
  constructor(opId: string) {
    super(`No operation ${opId} in this org on this node.`)
  }
}
