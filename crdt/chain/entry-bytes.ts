/**
 * Byte-level reads shared by the entry decoders (entry-decode.ts, entry-refs.ts,
 * entry-details.ts): in-place comparisons, big-endian integers, and text and hex of a
 * range, remembering the last value per field (a batch repeats the same author, action,
 * document id and roster heads thousands of times).
 */

export const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Whether `bytes[start, start + length)` equals `other`. */
export function rangeEquals(bytes: Uint8Array, start: number, length: number, other: Uint8Array): boolean {
  if (other.length !== length) return false
  for (let i = 0; i < length; i++) if (bytes[start + i] !== other[i]) return false
  return true
}

/**
 * Strict UTF-8 of `bytes[start, start + length)`, remembering the last value per field:
 * a batch repeats the same action and document id thousands of times. Throws
 * `TypeError` for bytes that are not UTF-8.
 */
function memoText(): (bytes: Uint8Array, start: number, length: number) => string {
  let lastBytes: Uint8Array = new Uint8Array(0)
  let lastText = ''
  return (bytes, start, length) => {
    if (!rangeEquals(bytes, start, length, lastBytes)) {
      lastText = utf8Text(bytes, start, length)
      lastBytes = bytes.slice(start, start + length)
    }
    return lastText
  }
}

/** Strict UTF-8 of a range: ASCII (every id and name our nodes write) read natively, else decoded. */
export function utf8Text(bytes: Uint8Array, start: number, length: number): string {
  for (let i = start; i < start + length; i++)
    if ((bytes[i] as number) >= 0x80) return strictUtf8.decode(bytes.subarray(start, start + length))
  return bufferOver(bytes).toString('latin1', bytes.byteOffset + start, bytes.byteOffset + start + length)
}

/** Hex of a fixed-size range, remembering the last value (one author, the same roster heads). */
function memoHex<T>(
  convert: (bytes: Uint8Array, start: number, length: number) => T,
): (bytes: Uint8Array, start: number, length: number) => T {
  let lastBytes: Uint8Array | null = null
  let last: T
  return (bytes, start, length) => {
    if (lastBytes === null || !rangeEquals(bytes, start, length, lastBytes)) {
      last = convert(bytes, start, length)
      lastBytes = bytes.slice(start, start + length)
    }
    return last
  }
}
export const hexOf = (bytes: Uint8Array, start: number, length: number): string =>
  bufferOver(bytes).toString('hex', bytes.byteOffset + start, bytes.byteOffset + start + length)
export const authorHex = memoHex(hexOf)
export const scopeHex = memoHex(hexOf)
/** Shared between entries, so frozen. */
export const authHeadsHex = memoHex((bytes, start, length) => {
  const out: string[] = []
  for (let at = start; at < start + length; at += 32) out.push(hexOf(bytes, at, 32))
  return Object.freeze(out) as string[]
})
export const actionText = memoText()
export const resourceText = memoText()
export const docText = memoText()

/**
 * A Buffer over all of `bytes`' memory, kept while calls come from it (a frame's entries
 * share one): native hex and latin1 slices without a Buffer per field.
 */
export function bufferOver(bytes: Uint8Array): Buffer {
  if (bytes.buffer !== sliceSource) {
    sliceSource = bytes.buffer
    sliceView = Buffer.from(bytes.buffer)
  }
  return sliceView
}
let sliceSource: ArrayBufferLike | null = null
let sliceView: Buffer = Buffer.alloc(0)

/** A big-endian u64 at `at` (8 bytes known to be there), or null past the safe integers. */
export function readU64(bytes: Uint8Array, at: number): number | null {
  const hi = readU32(bytes, at)
  if (hi >= 0x200000) return null
  return hi * 0x100000000 + readU32(bytes, at + 4)
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  )
}
