/**
 * A batch frame written and read directly, byte for byte the deterministic DAG-CBOR of
 * `{ t: 'batch', changes: packed, entries: packed }` (see messages.ts): the responder
 * packs the items straight into the one frame it sends (instead of packing each list,
 * then copying both into the CBOR encoder's output), and the requester takes its items
 * as views into the frame it read (the CBOR decoder copies every byte string out). Only
 * that exact canonical layout is read here; any other frame goes to the full decoder.
 */

/** `{` map of 3, "t": "batch", "changes": `. */
const HEAD = new Uint8Array([
  0xa3, 0x61, 0x74, 0x65, 0x62, 0x61, 0x74, 0x63, 0x68, 0x67, 0x63, 0x68, 0x61, 0x6e, 0x67, 0x65, 0x73,
])
/** `"entries":` */
const ENTRIES_KEY = new Uint8Array([0x67, 0x65, 0x6e, 0x74, 0x72, 0x69, 0x65, 0x73])

/** Size of the packed list (u32 length then the bytes, per item). */
function packedSize(items: readonly Uint8Array[]): number {
  let size = 0
  for (const item of items) size += 4 + item.length
  return size
}

/** Size of the shortest CBOR byte-string header for `n` bytes (DAG-CBOR allows only that one). */
function headerSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1_0000_0000 ? 5 : 9
}

function writeHeader(out: Uint8Array, view: DataView, at: number, n: number): number {
  if (n < 24) {
    out[at] = 0x40 + n
    return at + 1
  }
  if (n < 0x100) {
    out[at] = 0x58
    out[at + 1] = n
    return at + 2
  }
  if (n < 0x10000) {
    out[at] = 0x59
    view.setUint16(at + 1, n)
    return at + 3
  }
  if (n < 0x1_0000_0000) {
    out[at] = 0x5a
    view.setUint32(at + 1, n)
    return at + 5
  }
  out[at] = 0x5b
  view.setBigUint64(at + 1, BigInt(n))
  return at + 9
}

function writePacked(out: Uint8Array, view: DataView, at: number, items: readonly Uint8Array[]): number {
  for (const item of items) {
    view.setUint32(at, item.length)
    out.set(item, at + 4)
    at += 4 + item.length
  }
  return at
}

/** The frame of a batch, in one allocation (every byte of it written here). */
export function encodeBatchFrame(entries: readonly Uint8Array[], changes: readonly Uint8Array[]): Uint8Array {
  const c = packedSize(changes)
  const e = packedSize(entries)
  const size = HEAD.length + headerSize(c) + c + ENTRIES_KEY.length + headerSize(e) + e
  const buf = Buffer.allocUnsafe(size)
  const out = new Uint8Array(buf.buffer, buf.byteOffset, size)
  const view = new DataView(out.buffer, out.byteOffset, size)
  out.set(HEAD, 0)
  let at = writeHeader(out, view, HEAD.length, c)
  at = writePacked(out, view, at, changes)
  out.set(ENTRIES_KEY, at)
  at = writeHeader(out, view, at + ENTRIES_KEY.length, e)
  at = writePacked(out, view, at, entries)
  if (at !== size) throw new Error('batch frame size mismatch')
  return out
}

/**
 * Reads a shortest-form byte-string header at `at`: [start, end] of its bytes within
 * `frame`, or null if it is not one (wrong type, longer form than needed, past the end).
 */
function readBytes(frame: Uint8Array, view: DataView, at: number): [number, number] | null {
  if (at >= frame.length) return null
  const b = frame[at] as number
  let n: number
  let start: number
  if (b >= 0x40 && b < 0x58) {
    n = b - 0x40
    start = at + 1
  } else if (b === 0x58 && at + 2 <= frame.length) {
    n = frame[at + 1] as number
    start = at + 2
    if (n < 24) return null
  } else if (b === 0x59 && at + 3 <= frame.length) {
    n = view.getUint16(at + 1)
    start = at + 3
    if (n < 0x100) return null
  } else if (b === 0x5a && at + 5 <= frame.length) {
    n = view.getUint32(at + 1)
    start = at + 5
    if (n < 0x10000) return null
  } else return null
  return start + n <= frame.length ? [start, start + n] : null
}

function startsWith(frame: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > frame.length) return false
  for (let i = 0; i < prefix.length; i++) if (frame[at + i] !== prefix[i]) return false
  return true
}

/**
 * The packed changes and entries of a frame in exactly the canonical batch layout, as
 * views into `frame`; null for any other frame (the caller decodes it in full, and
 * refuses it there if it is not a message).
 */
export function readBatchFrame(frame: Uint8Array): { changes: Uint8Array; entries: Uint8Array } | null {
  if (!startsWith(frame, 0, HEAD)) return null
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const c = readBytes(frame, view, HEAD.length)
  if (c === null || !startsWith(frame, c[1], ENTRIES_KEY)) return null
  const e = readBytes(frame, view, c[1] + ENTRIES_KEY.length)
  if (e === null || e[1] !== frame.length) return null
  return { changes: frame.subarray(c[0], c[1]), entries: frame.subarray(e[0], e[1]) }
}
