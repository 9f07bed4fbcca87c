/**
 * The checks every storage makes on a batch before writing any of it, so that a batch
 * with one bad op changes nothing, whatever the implementation.
 */
import { InvalidStorageOpError } from '../../errors.ts'
import type { Section, StorageOp } from './storage.ts'

/** Throws `InvalidStorageOpError` for the first op that is not valid; `owns`: the section is this storage's. */
export function checkOps(ops: readonly StorageOp[], owns: (section: Section) => boolean): void {
  for (const [i, op] of ops.entries()) {
    if (op.type !== 'put' && op.type !== 'del') throw new InvalidStorageOpError(`op ${i}: unknown type`)
    if (!owns(op.section)) throw new InvalidStorageOpError(`op ${i}: a section of another storage`)
    if (typeof op.key !== 'string' || !op.key.isWellFormed())
      throw new InvalidStorageOpError(`op ${i}: the key is not a well-formed string`)
    if (op.type === 'put' && !(op.value instanceof Uint8Array))
      throw new InvalidStorageOpError(`op ${i}: the value is not bytes`)
  }
}
