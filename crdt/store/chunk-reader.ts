/**
 * Reads the parts of an Automerge chunk for the change decoder (change-decoder.ts):
 * LEB128 numbers and byte strings from one buffer, refusing anything past its end or not
 * in the canonical form Automerge writes (`notCanonical`: the decoder then leaves the
 * change to `A.decodeChange`).
 */
import { toHex } from '../crypto.ts'

/** Thrown (one shared instance) for bytes this decoder leaves to Automerge. */
export class NotCanonical extends Error {}
export const notCanonical = new NotCanonical()

/** A lowercase hex digit's value; anything else is not a hash this decoder made. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  throw notCanonical
}

/** Reads LEB128 numbers and byte strings from one buffer, refusing anything past `end`. */
export class Reader {
  pos: number
  buf: Uint8Array
  end: number

  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  /** Points this reader at another range (the column readers are reused, see `COLUMNS`). */
  reset(buf: Uint8Array, pos: number, end: number): this {
    this.buf = buf
    this.pos = pos
    this.end = end
    return this
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  uleb(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw notCanonical
      const byte = this.buf[this.pos++] as number
      result += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) {
        // Overlong encodings (a trailing zero byte) and unsafe integers go to Automerge.
        if ((byte === 0 && i > 0) || result > Number.MAX_SAFE_INTEGER) throw notCanonical
        return result
      }
      scale *= 128
    }
    throw notCanonical
  }

  sleb(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw notCanonical
      const byte = this.buf[this.pos++] as number
      if ((byte & 0x80) === 0) {
        // The last byte carries the sign: its weight is added as a negative number, so the
        // sum stays exact (adding 2^56 first and subtracting it after would round).
        result += (byte & 0x40 ? (byte & 0x7f) - 128 : byte) * scale
        if (!Number.isSafeInteger(result)) throw notCanonical
        // Overlong: the last byte only repeats the sign of the one before.
        if (i > 0 && (byte === 0 || byte === 0x7f)) {
          const prev = this.buf[this.pos - 2] as number
          if ((byte === 0 && (prev & 0x40) === 0) || (byte === 0x7f && (prev & 0x40) !== 0))
            throw notCanonical
        }
        return result
      }
      result += (byte & 0x7f) * scale
      scale *= 128
    }
    throw notCanonical
  }

  bytes(length: number): Uint8Array {
    if (length > this.end - this.pos) throw notCanonical
    const out = this.buf.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }

  hex(length: number): string {
    return toHex(this.bytes(length))
  }

  /** Hex of an actor id: a batch repeats the same few actors, so the last one is kept. */
  actorHex(length: number): string {
    const b = this.bytes(length)
    if (!sameBytes(b, lastActor.bytes)) lastActor = { bytes: b.slice(), hex: Buffer.from(b).toString('hex') }
    return lastActor.hex
  }
}

let lastActor = { bytes: new Uint8Array(0), hex: '' }

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export const NO_BYTES = new Uint8Array(0)
