/**
 * Batch frames written and read directly: the same bytes as the DAG-CBOR encoding, items
 * read as views into the frame, and only the canonical layout taken on the direct path
 * (anything else is decoded in full and refused there if it is not a message).
 */
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { packByteList } from '../../crdt/index.ts'
import { encodeBatchFrame, readBatchFrame } from '../../net/sync/batch-frame.ts'
import { decodeMessage, encodeMessage, SYNC_LIMITS, SyncProtocolError } from '../../net/sync/messages.ts'

const bytes = (n: number) => new Uint8Array(randomBytes(n))
const viaCbor = (entries: Uint8Array[], changes: Uint8Array[]) =>
  dagCbor.encode({ t: 'batch', entries: packByteList(entries), changes: packByteList(changes) })

describe('batch frames', () => {
  it('are byte for byte the DAG-CBOR encoding, for every length form of the byte strings', () => {
    // Packed sizes under 24, under 256, under 65,536 and above (each header form).
    const cases: [Uint8Array[], Uint8Array[]][] = [
      [[], []],
      [[bytes(3)], [bytes(10)]],
      [[bytes(100)], [bytes(200), bytes(5)]],
      [Array.from({ length: 50 }, () => bytes(430)), Array.from({ length: 200 }, () => bytes(300))],
      [[bytes(70_000)], [bytes(1)]],
    ]
    for (const [entries, changes] of cases) {
      const frame = encodeMessage({ t: 'batch', entries, changes })
      expect(Buffer.from(frame).equals(Buffer.from(viaCbor(entries, changes)))).toBe(true)
      const back = decodeMessage(frame)
      expect(back).toEqual({ t: 'batch', entries, changes })
    }
  })

  it('are read as views into the frame, not copies', () => {
    const frame = encodeBatchFrame([bytes(430), bytes(430)], [bytes(300)])
    const m = decodeMessage(frame)
    if (m.t !== 'batch') throw new Error('not a batch')
    for (const item of [...m.entries, ...m.changes]) expect(item.buffer).toBe(frame.buffer)
  })

  it('take only the canonical layout directly; the full decoder judges the rest', () => {
    const frame = encodeBatchFrame([bytes(30)], [bytes(30)])
    expect(readBatchFrame(frame)).not.toBeNull()
    // Trailing bytes, a cut frame, a longer length form than needed: not read directly...
    const trailing = new Uint8Array([...frame, 0])
    const cut = frame.subarray(0, frame.length - 1)
    const long = new Uint8Array([
      ...frame.subarray(0, 17),
      0x59,
      0,
      frame[18] as number,
      ...frame.subarray(19),
    ])
    for (const f of [trailing, cut, long]) {
      expect(readBatchFrame(f)).toBeNull()
      // ...and refused in full (DAG-CBOR is strict about all three).
      expect(() => decodeMessage(f)).toThrow(SyncProtocolError)
    }
    // Keys in another order are not the canonical layout either.
    const key = (s: string) => [0x60 + s.length, ...Buffer.from(s)]
    const swapped = new Uint8Array([
      0xa3,
      ...key('t'),
      ...key('batch'),
      ...key('entries'),
      0x40,
      ...key('changes'),
      0x40,
    ])
    expect(readBatchFrame(swapped)).toBeNull()
  })

  it('keep every limit on the direct path', () => {
    const tooMany = Array.from({ length: SYNC_LIMITS.maxBatchEntries + 1 }, () => bytes(1))
    expect(() => decodeMessage(encodeBatchFrame(tooMany, []))).toThrow('batch has too many entries')
    // Lengths that do not add up inside a packed list.
    const bad = encodeBatchFrame([bytes(10)], [])
    const view = new DataView(bad.buffer, bad.byteOffset, bad.byteLength)
    view.setUint32(bad.length - 14, 11)
    expect(readBatchFrame(bad)).not.toBeNull()
    expect(() => decodeMessage(bad)).toThrow('malformed batch')
    const huge = new Uint8Array(SYNC_LIMITS.maxFrameBytes + 1)
    expect(() => decodeMessage(huge)).toThrow('frame too large')
  })
})
