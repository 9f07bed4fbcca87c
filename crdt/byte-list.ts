/**
 * A list of byte strings framed as one: per item, a u32 big-endian length then the bytes.
 * Used for change records in storage and for sync batches on the wire. Unpacked items are
 * views into the packed bytes, not copies.
 */

/** `prefix` (e.g. a magic), then the framed items. */
export function packByteList(items: readonly Uint8Array[], prefix: readonly number[] = []): Uint8Array {
  let size = prefix.length
  for (const item of items) size += 4 + item.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(prefix)
  let at = prefix.length
  for (const item of items) {
    view.setUint32(at, item.length)
    out.set(item, at + 4)
    at += 4 + item.length
  }
  return out
}

/**
 * The items framed from offset `from` to the end, or null if the lengths do not add up
 * exactly or there are more than `max`.
 */
export function unpackByteList(
  bytes: Uint8Array,
  from = 0,
  max = Number.POSITIVE_INFINITY,
): Uint8Array[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Uint8Array[] = []
  let at = from
  while (at < bytes.length) {
    if (at + 4 > bytes.length || out.length >= max) return null
    const length = view.getUint32(at)
    if (at + 4 + length > bytes.length) return null
    out.push(bytes.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return out
}
