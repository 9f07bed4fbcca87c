/**
 * The compact stored form of a run of consecutive entries of one chain (storage format 4;
 * see entry-records.ts for the keys). Only what the entries do not share, and what cannot
 * be worked out again, is stored: per entry its signature, flags, time (as a step from the
 * entry before), change hashes (binary), and a reference to each of its other fields
 * (action, resource, document, roster heads, details), which are stored once per run
 * however often they repeat. The domain prefix, the author and the scope come from the
 * key, every seq from the run's first, and every `prev` but the first is the hash of the
 * entry before. A catch-up's runs take about a quarter of the bytes of the entries they
 * hold, so a receive has that much less to copy and flush.
 *
 * Layout (integers big-endian, `varint`: unsigned LEB128):
 *   magic `VGR4` | prev of the first entry 32 (only when it is not seq 1)
 *   | hash of the last entry 32 | per entry:
 *     signature 64 | head u8 (bits 0-2: the entry's flags; bit 3: time went back)
 *     | varint time step | action ref | resource ref | doc ref (if flagged)
 *     | varint change count, count × 32 | roster heads ref | details ref
 *   | CRC-32 u32 of everything before it (signatures are in no hash)
 *   A ref is a varint: an index into the values stored so far in this record, or that
 *   count for a new value, followed by its varint length and its bytes (the field exactly
 *   as the entry's canonical bytes hold it, its length prefix included).
 *
 * Read back, every entry is rebuilt byte for byte and hashed into the next one's `prev`;
 * the last hash must equal the one stored, and the record its CRC. A run damaged anywhere
 * is refused as a whole (null), never read as other entries.
 */
import { hash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { ENTRY_DOMAIN, ENTRY_LIMITS, type Entry } from '../chain/entry.ts'
import { bytesEqual, ED25519_SIGNATURE_BYTES, fromHex, SHA256_BYTES } from '../crypto.ts'

/** Marks a compact run record. A format 3 run starts with a u32 length below 2^24: a zero byte. */
const RUN_MAGIC = new Uint8Array([0x56, 0x47, 0x52, 0x34])
const FLAG_PREV = 1
const FLAG_DOC = 2
const FLAG_SCOPE = 4
const FLAGS = FLAG_PREV | FLAG_DOC | FLAG_SCOPE
const TIME_BACK = 8
const SCOPE_BYTES = 16
/** Author, seq, time and flags: where the scope (or the prev) starts, after the domain prefix. */
const FIXED = ENTRY_DOMAIN.length + 32 + 8 + 8 + 1
/** Fields stored by reference, in their order in the canonical bytes. */
const ACTION = 0
const RESOURCE = 1
const DOC = 2
const AUTH_HEADS = 3
const DETAILS = 4

/** Whether a run record is in the compact form (else it is format 3's byte list of packed entries). */
export function isCompactRun(value: Uint8Array): boolean {
  return value.length >= RUN_MAGIC.length && RUN_MAGIC.every((b, i) => value[i] === b)
}

/** Fields stored by reference: their start and end in an entry's canonical bytes, in pairs. */
type Bounds = Int32Array

/**
 * Reads where an entry's fields lie in its canonical bytes (bytes this node verified) into
 * `bounds`; returns the offset of its change hashes. Throws `TypeError` if the layout does
 * not add up.
 */
function boundsOf(bytes: Uint8Array, bounds: Bounds): number {
  const flags = bytes[FIXED - 1] as number
  let at = FIXED + (flags & FLAG_SCOPE ? SCOPE_BYTES : 0) + (flags & FLAG_PREV ? SHA256_BYTES : 0)
  bounds[2 * ACTION] = at
  at += 1 + (bytes[at] as number)
  bounds[2 * ACTION + 1] = at
  bounds[2 * RESOURCE] = at
  at += 2 + u16(bytes, at)
  bounds[2 * RESOURCE + 1] = at
  bounds[2 * DOC] = at
  if (flags & FLAG_DOC) at += 1 + (bytes[at] as number)
  bounds[2 * DOC + 1] = at
  const changesAt = at
  at += 2 + 32 * u16(bytes, at)
  bounds[2 * AUTH_HEADS] = at
  at += 1 + 32 * (bytes[at] as number)
  bounds[2 * AUTH_HEADS + 1] = at
  bounds[2 * DETAILS] = at
  at += 4 + u32(bytes, at)
  bounds[2 * DETAILS + 1] = at
  if (at !== bytes.length) throw new TypeError('not the layout of an entry')
  return changesAt
}

const u16 = (b: Uint8Array, at: number): number => ((b[at] as number) << 8) | (b[at + 1] as number)
const u32 = (b: Uint8Array, at: number): number => u16(b, at) * 0x10000 + u16(b, at + 2)

/** Values stored once per run: where each lies in the record, found by a hash of its bytes. */
class Values {
  private readonly byHash = new Map<number, number[]>()
  private readonly at: number[] = []
  private readonly length: number[] = []

  get count(): number {
    return this.at.length
  }

  /** The ref of `bytes[start, end)` if stored in `out` already, else -1. */
  find(out: Uint8Array, bytes: Uint8Array, start: number, end: number, h: number): number {
    for (const r of this.byHash.get(h) ?? NONE) {
      const n = this.length[r] as number
      if (n === end - start && rangeEquals(bytes, start, out, this.at[r] as number, n)) return r
    }
    return -1
  }

  /** Records a value stored at `at` in the record; its ref. */
  add(at: number, length: number, h: number): number {
    const r = this.at.length
    this.at.push(at)
    this.length.push(length)
    const list = this.byHash.get(h)
    if (list === undefined) this.byHash.set(h, [r])
    else list.push(r)
    return r
  }
}
const NONE: readonly number[] = []

/** FNV-1a of `bytes[start, end)`, cut to 30 bits (a small integer to V8: no boxing as a Map key). */
function fnv(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193)
  return h & 0x3fffffff
}

/** Refs per entry at most: action, resource, document, roster heads, details. */
const REFS = 5
/** Bytes a compact entry can take beyond its signature and canonical bytes' fields. */
const ENTRY_OVERHEAD = 1 + 8 + REFS * 2 * 8 + 8

/**
 * The compact record of `entries`: consecutive entries of one chain in seq order, each
 * linking to the one before (`prev` is its hash), as verified on receipt. Throws
 * `TypeError` for entries that are not such a run.
 */
export function packRun(entries: readonly Entry[]): Uint8Array {
  const first = entries[0]
  if (first === undefined) throw new TypeError('an empty run')
  const last = entries[entries.length - 1] as Entry
  let room = RUN_MAGIC.length + 2 * SHA256_BYTES + 4
  for (const e of entries) room += e.signature.length + e.bytes.length + ENTRY_OVERHEAD
  if (scratch.length < room) scratch = new Uint8Array(Math.max(room, 2 * scratch.length))
  const out = scratch
  let w = 0
  const put = (bytes: Uint8Array, start: number, end: number): void => {
    out.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), w)
    w += end - start
  }
  const varint = (n: number): void => {
    while (n >= 0x80) {
      out[w++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    out[w++] = n
  }
  put(RUN_MAGIC, 0, RUN_MAGIC.length)
  if (first.prev !== null) put(fromHex(first.prev), 0, SHA256_BYTES)
  put(hash('sha256', last.bytes, 'buffer'), 0, SHA256_BYTES)
  const values = new Values()
  /** The previous entry's bytes, field bounds and refs: most fields repeat from one to the next. */
  let before: Uint8Array | null = null
  let beforeBounds = new Int32Array(2 * REFS)
  let bounds = new Int32Array(2 * REFS)
  let beforeRefs = new Int32Array(REFS)
  let refs = new Int32Array(REFS)
  let time = 0
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry
    const bytes = e.bytes
    if (i > 0) {
      const p = entries[i - 1] as Entry
      if (e.seq !== p.seq + 1 || e.prev !== p.hash) throw new TypeError('not a linked run of entries')
    }
    if (e.signature.length !== ED25519_SIGNATURE_BYTES) throw new TypeError('not a signed entry')
    const changesAt = boundsOf(bytes, bounds)
    const flags = bytes[FIXED - 1] as number
    const entryTime = u32(bytes, FIXED - 9) * 0x100000000 + u32(bytes, FIXED - 5)
    put(e.signature, 0, ED25519_SIGNATURE_BYTES)
    out[w++] = flags | (entryTime < time ? TIME_BACK : 0)
    varint(Math.abs(entryTime - time))
    time = entryTime
    for (let f = 0; f < REFS; f++) {
      if (f === DOC && (flags & FLAG_DOC) === 0) continue
      if (f === AUTH_HEADS) {
        // The change hashes lie between the document and the roster heads.
        const n = u16(bytes, changesAt)
        varint(n)
        put(bytes, changesAt + 2, changesAt + 2 + 32 * n)
      }
      const start = bounds[2 * f] as number
      const end = bounds[2 * f + 1] as number
      if (before !== null) {
        const s = beforeBounds[2 * f] as number
        if (
          (beforeBounds[2 * f + 1] as number) - s === end - start &&
          rangeEquals(bytes, start, before, s, end - start)
        ) {
          refs[f] = beforeRefs[f] as number
          varint(refs[f] as number)
          continue
        }
      }
      const h = fnv(bytes, start, end)
      let r = values.find(out, bytes, start, end, h)
      if (r < 0) {
        varint(values.count)
        varint(end - start)
        r = values.add(w, end - start, h)
        put(bytes, start, end)
      } else varint(r)
      refs[f] = r
    }
    before = bytes
    const swapBounds = beforeBounds
    beforeBounds = bounds
    bounds = swapBounds
    const swapRefs = beforeRefs
    beforeRefs = refs
    refs = swapRefs
  }
  const crc = crc32(out.subarray(0, w))
  out[w++] = crc >>> 24
  out[w++] = (crc >>> 16) & 0xff
  out[w++] = (crc >>> 8) & 0xff
  out[w++] = crc & 0xff
  return out.slice(0, w)
}

/** Where `packRun` writes, reused: a record is copied out at its size. */
let scratch = new Uint8Array(0)

/** Whether two ranges are equal, compared from their ends (values with a shared prefix differ there). */
function rangeEquals(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  for (let i = n - 1; i >= 0; i--) if (a[aAt + i] !== b[bAt + i]) return false
  return true
}

/** Who a run's entries belong to and which they are (from its key). */
export interface RunPlace {
  /** The author's key, 32 bytes. */
  readonly author: Uint8Array
  /** The scope, 16 bytes, or null for the node-local chain. */
  readonly scope: Uint8Array | null
  readonly first: number
  readonly last: number
}

/**
 * The entries of a compact run record, packed (signature, then canonical bytes), rebuilt
 * and checked against the hash stored for the last; null if the record is damaged.
 */
export function unpackRun(value: Uint8Array, place: RunPlace): Uint8Array[] | null {
  const { author, scope, first, last } = place
  if (!isCompactRun(value) || !(first >= 1 && last >= first)) return null
  const end = value.length - 4
  if (end < RUN_MAGIC.length || crc32(value.subarray(0, end)) !== u32(value, end)) return null
  let at = RUN_MAGIC.length
  const varint = (): number => {
    let n = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const b = value[at++]
      if (b === undefined) return -1
      n += (b & 0x7f) * scale
      if (b < 0x80) return n
      scale *= 0x80
    }
    return -1
  }
  let prev: Uint8Array | null = null
  if (first > 1) {
    if (at + SHA256_BYTES > end) return null
    prev = value.subarray(at, at + SHA256_BYTES)
    at += SHA256_BYTES
  }
  if (at + SHA256_BYTES > end) return null
  const lastHash = value.subarray(at, at + SHA256_BYTES)
  at += SHA256_BYTES
  const values: Uint8Array[] = []
  /** The field a ref names (a new one read and kept), or null if the record is damaged. */
  const field = (): Uint8Array | null => {
    const r = varint()
    if (r < 0 || r > values.length) return null
    if (r < values.length) return values[r] as Uint8Array
    const n = varint()
    if (n < 0 || at + n > end) return null
    const v = value.subarray(at, at + n)
    at += n
    values.push(v)
    return v
  }
  const out: Uint8Array[] = []
  let time = 0
  for (let seq = first; seq <= last; seq++) {
    if (at + ED25519_SIGNATURE_BYTES + 1 > end) return null
    const signature = value.subarray(at, at + ED25519_SIGNATURE_BYTES)
    at += ED25519_SIGNATURE_BYTES
    const head = value[at++] as number
    const flags = head & FLAGS
    if ((head & ~(FLAGS | TIME_BACK)) !== 0) return null
    if (((flags & FLAG_PREV) === 0) !== (prev === null) || ((flags & FLAG_SCOPE) === 0) !== (scope === null))
      return null
    const step = varint()
    if (step < 0) return null
    time += head & TIME_BACK ? -step : step
    if (!Number.isSafeInteger(time) || time < 0) return null
    const action = field()
    const resource = field()
    const doc = flags & FLAG_DOC ? field() : EMPTY
    const changeCount = varint()
    if (action === null || resource === null || doc === null) return null
    if (changeCount < 0 || changeCount > ENTRY_LIMITS.maxChanges || at + 32 * changeCount > end) return null
    const changes = value.subarray(at, at + 32 * changeCount)
    at += 32 * changeCount
    const authHeads = field()
    const details = field()
    if (authHeads === null || details === null) return null
    const size =
      FIXED +
      (scope === null ? 0 : SCOPE_BYTES) +
      (prev === null ? 0 : SHA256_BYTES) +
      action.length +
      resource.length +
      doc.length +
      2 +
      changes.length +
      authHeads.length +
      details.length
    if (size > ENTRY_LIMITS.maxBytes) return null
    // A Buffer, as LevelDB hands out every other record (each byte of it is written below).
    const packed = Buffer.allocUnsafe(ED25519_SIGNATURE_BYTES + size)
    packed.set(signature)
    let w = ED25519_SIGNATURE_BYTES
    packed.set(ENTRY_DOMAIN, w)
    w += ENTRY_DOMAIN.length
    packed.set(author, w)
    w += author.length
    w = putU64(packed, w, seq)
    w = putU64(packed, w, time)
    packed[w++] = flags
    if (scope !== null) {
      packed.set(scope, w)
      w += SCOPE_BYTES
    }
    if (prev !== null) {
      packed.set(prev, w)
      w += SHA256_BYTES
    }
    packed.set(action, w)
    w += action.length
    packed.set(resource, w)
    w += resource.length
    packed.set(doc, w)
    w += doc.length
    packed[w++] = changeCount >> 8
    packed[w++] = changeCount & 0xff
    packed.set(changes, w)
    w += changes.length
    packed.set(authHeads, w)
    w += authHeads.length
    packed.set(details, w)
    prev = hash('sha256', packed.subarray(ED25519_SIGNATURE_BYTES), 'buffer')
    out.push(packed)
  }
  if (at !== end || prev === null || !bytesEqual(prev, lastHash)) return null
  return out
}

const EMPTY = new Uint8Array(0)

/** Writes `n` (a safe integer) as a big-endian u64 at `at`; the offset after it. */
function putU64(out: Uint8Array, at: number, n: number): number {
  const hi = Math.floor(n / 0x100000000)
  const lo = n >>> 0
  out[at] = hi >>> 24
  out[at + 1] = (hi >>> 16) & 0xff
  out[at + 2] = (hi >>> 8) & 0xff
  out[at + 3] = hi & 0xff
  out[at + 4] = lo >>> 24
  out[at + 5] = (lo >>> 16) & 0xff
  out[at + 6] = (lo >>> 8) & 0xff
  out[at + 7] = lo & 0xff
  return at + 8
}
