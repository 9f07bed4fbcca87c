import { packByteList, unpackByteList } from '../byte-list.ts'
import type { DocId } from '../ids.ts'

/**
 * How document changes lie in LevelDB: under `docId!seq` (seq zero-padded), a record
 * holding one change (Automerge's own bytes) or, for a received batch, several changes
 * framed as `VGB1` then, per change, a u32 length and the bytes. Records are read back
 * change by change, so a damaged one is caught, never silently dropped.
 */
const SEQ_DIGITS = 15

/** The key of a document's change record number `seq`. */
export function changeKey(docId: DocId, seq: number): string {
  return `${docId}!${String(seq).padStart(SEQ_DIGITS, '0')}`
}

/** Marks a record holding several changes: `VGB1` then, per change, u32 length and bytes. */
const BATCH_MAGIC = [0x56, 0x47, 0x42, 0x31]

/** One record for several changes (a single change is stored as itself). */
export function packChanges(changes: readonly Uint8Array[]): Uint8Array {
  return changes.length === 1 ? (changes[0] as Uint8Array) : packByteList(changes, BATCH_MAGIC)
}

/** The changes of a record; a single change (Automerge's own magic bytes) stands alone. */
export function unpackChanges(record: Uint8Array): Uint8Array[] {
  if (!BATCH_MAGIC.every((b, i) => record[i] === b)) return [record]
  const changes = unpackByteList(record, BATCH_MAGIC.length)
  if (changes === null) throw new Error('truncated change batch')
  return changes
}
