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
  if (changes.length === 1) return changes[0] as Uint8Array
  let size = 4
  for (const c of changes) size += 4 + c.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(BATCH_MAGIC)
  let at = 4
  for (const c of changes) {
    view.setUint32(at, c.length)
    out.set(c, at + 4)
    at += 4 + c.length
  }
  return out
}

/** The changes of a record; a single change (Automerge's own magic bytes) stands alone. */
export function unpackChanges(record: Uint8Array): Uint8Array[] {
  if (!BATCH_MAGIC.every((b, i) => record[i] === b)) return [record]
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength)
  const out: Uint8Array[] = []
  let at = 4
  while (at < record.length) {
    if (at + 4 > record.length) throw new Error('truncated change batch')
    const length = view.getUint32(at)
    if (at + 4 + length > record.length) throw new Error('truncated change batch')
    out.push(record.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return out
}
