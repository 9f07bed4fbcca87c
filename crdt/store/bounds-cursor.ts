/**
 * Reading an Automerge chunk's structure for the bounds checks (change-bounds.ts): a
 * cursor that refuses to read past its end, the chunk header, and the problem thrown
 * inside the checks (turned into a `BoundsProblem` at their edge).
 */
/** `oversize`: a declared size is past a bound; `malformed`: the structure does not parse. */
export type BoundsKind = 'oversize' | 'malformed'

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const
export const DOCUMENT_CHUNK = 0
export const CHANGE_CHUNK = 1
/** A chunk that breaks a bound or does not parse; caught where a check returns its verdict. */
export class Problem extends Error {
  readonly kind: BoundsKind
  constructor(kind: BoundsKind, reason: string) {
    super(reason)
    this.kind = kind
  }
}
export const malformed = (reason: string) => new Problem('malformed', reason)
export const oversize = (reason: string) => new Problem('oversize', reason)

/** A cursor over bytes that refuses to read past `end`. Lenient on LEB form (as Automerge is). */
export class Cursor {
  pos: number
  buf: Uint8Array
  end: number
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }
  get done(): boolean {
    return this.pos >= this.end
  }
  uleb(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated number')
      const byte = this.buf[this.pos++] as number
      result += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return result
      scale *= 128
    }
    throw malformed('number too long')
  }
  sleb(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated number')
      const byte = this.buf[this.pos++] as number
      // The sign byte's weight is added as a negative number: exact, where adding and then
      // subtracting a larger power of two would round.
      if ((byte & 0x80) === 0) return result + (byte & 0x40 ? (byte & 0x7f) - 128 : byte) * scale
      result += (byte & 0x7f) * scale
      scale *= 128
    }
    throw malformed('number too long')
  }
  skip(n: number): Uint8Array {
    if (n > this.end - this.pos) throw malformed('truncated')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  /** `skip` for bytes nobody reads: no view made. */
  pass(n: number): void {
    if (n > this.end - this.pos) throw malformed('truncated')
    this.pos += n
  }
}

/** Header of a chunk: magic, checksum, type, length; the body's cursor. */
export function chunkBody(bytes: Uint8Array, type: number): Cursor {
  if (!(bytes instanceof Uint8Array) || bytes.length < 9) throw malformed('not an Automerge chunk')
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw malformed('not an Automerge chunk')
  if (bytes[8] !== type)
    throw malformed(type === CHANGE_CHUNK ? 'not an uncompressed change chunk' : 'not a document chunk')
  const r = new Cursor(bytes, 9)
  const length = r.uleb()
  if (r.pos + length !== bytes.length) throw malformed('chunk length does not match')
  return r
}
