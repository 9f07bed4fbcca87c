/**
 * Hand-made Automerge chunks that declare far more than they hold: run-length bombs in
 * each column type and deflate bombs, as a hostile peer would send them. Each is a valid
 * chunk in form (checksum and length right), so only a bound stops it.
 */
import { createHash } from 'node:crypto'
import { deflateRawSync } from 'node:zlib'
import * as A from '@automerge/automerge'

const MAGIC = [0x85, 0x6f, 0x4a, 0x83]

export function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return out
}

export function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const byte = ((n % 128) + 128) % 128
    n = Math.floor(n / 128)
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

/** A chunk of `type` around `body`, with its checksum. */
export function chunk(type: number, body: readonly number[] | Uint8Array): Uint8Array {
  const inner = Uint8Array.from([type, ...uleb(body.length), ...body])
  const hash = createHash('sha256').update(inner).digest()
  return Uint8Array.from([...MAGIC, ...hash.subarray(0, 4), ...inner])
}

/** Column specs (id << 4 | type) of a change's op columns, as Automerge writes them. */
export const COLUMN = {
  objActor: 0x01,
  keyCtr: 0x13,
  keyStr: 0x15,
  insert: 0x34,
  action: 0x42,
  valMeta: 0x56,
  valRaw: 0x57,
  predGroup: 0x70,
} as const

/** RLE: one run of `count` copies of the value bytes. */
export const run = (count: number, value: number[]): number[] => [...sleb(count), ...value]

/** A change chunk by `actor` (hex) with the given op columns (spec, bytes), in spec order. */
export function changeWith(actor: string, columns: readonly [number, number[]][]): Uint8Array {
  const a = Buffer.from(actor, 'hex')
  const header = [
    ...uleb(0), // deps
    ...uleb(a.length),
    ...a,
    ...uleb(1), // seq
    ...uleb(1), // start op
    ...sleb(1_700_000_000), // time
    ...uleb(0), // message
    ...uleb(0), // other actors
  ]
  const meta = [...uleb(columns.length)]
  const data: number[] = []
  for (const [spec, bytes] of columns) {
    meta.push(...uleb(spec), ...uleb(bytes.length))
    data.push(...bytes)
  }
  return chunk(1, [...header, ...meta, ...data])
}

/** One change per column type, each declaring 2^31 values in a few bytes. */
export function changeBombs(actor: string): Record<string, Uint8Array> {
  const huge = 2 ** 31
  const oneSet = run(1, uleb(1))
  return {
    // The action column has no expected count: it sets how many ops there are.
    'action (no expected count)': changeWith(actor, [[COLUMN.action, run(huge, uleb(1))]]),
    'RLE uint (object actor)': changeWith(actor, [
      [COLUMN.objActor, run(huge, uleb(0))],
      [COLUMN.action, oneSet],
    ]),
    'RLE string (key)': changeWith(actor, [
      [COLUMN.keyStr, run(huge, [...uleb(1), 0x61])],
      [COLUMN.action, oneSet],
    ]),
    'delta (key counter)': changeWith(actor, [
      [COLUMN.keyCtr, run(huge, sleb(1))],
      [COLUMN.action, oneSet],
    ]),
    'boolean (insert)': changeWith(actor, [
      [COLUMN.insert, uleb(huge)],
      [COLUMN.action, oneSet],
    ]),
    'group (predecessor count)': changeWith(actor, [
      [COLUMN.action, oneSet],
      [COLUMN.predGroup, run(1, uleb(huge))],
    ]),
    'null run': changeWith(actor, [
      [COLUMN.objActor, [0, ...uleb(huge)]],
      [COLUMN.action, oneSet],
    ]),
  }
}

const deflated = new Map<number, Buffer>()
/** `bytes` zeros, deflated (made once per size: it takes a while). */
export function deflatedZeros(bytes: number): Buffer {
  let out = deflated.get(bytes)
  if (out === undefined) {
    out = deflateRawSync(Buffer.alloc(bytes), { level: 9 })
    deflated.set(bytes, out)
  }
  return out
}

/** A deflated change chunk (type 2) whose body inflates to `bytes` zeros. */
export function compressedChangeBomb(bytes: number): Uint8Array {
  return chunk(2, deflatedZeros(bytes))
}

interface DocParts {
  readonly head: number[]
  readonly changeMeta: [number, number][]
  readonly opMeta: [number, number][]
  readonly changeData: Uint8Array
  readonly opData: Uint8Array
  readonly tail: Uint8Array
}

/** Splits a saved document into its header (actors, heads), column metadata and data. */
function parts(saved: Uint8Array): DocParts {
  let p = 9
  const read = () => {
    let r = 0
    let scale = 1
    for (;;) {
      const b = saved[p++] as number
      r += (b & 0x7f) * scale
      scale *= 128
      if ((b & 0x80) === 0) return r
    }
  }
  read() // chunk length
  const start = p
  for (let n = read(); n > 0; n--) {
    const length = read()
    p += length
  }
  const heads = read()
  p += 32 * heads
  const head = [...saved.subarray(start, p)]
  const meta = () => {
    const m: [number, number][] = []
    for (let n = read(); n > 0; n--) m.push([read(), read()])
    return m
  }
  const changeMeta = meta()
  const opMeta = meta()
  const size = (m: [number, number][]) => m.reduce((a, [, l]) => a + l, 0)
  const changeData = saved.subarray(p, p + size(changeMeta))
  p += size(changeMeta)
  const opData = saved.subarray(p, p + size(opMeta))
  p += size(opMeta)
  return { head, changeMeta, opMeta, changeData, opData, tail: saved.subarray(p) }
}

function assemble(d: DocParts, opColumns: readonly [number, Uint8Array | number[]][]): Uint8Array {
  const meta = (m: readonly [number, number][]) => [
    ...uleb(m.length),
    ...m.flatMap(([s, l]) => [...uleb(s), ...uleb(l)]),
  ]
  const opMeta = opColumns.map(([s, b]) => [s, b.length] as [number, number])
  return chunk(0, [
    ...d.head,
    ...meta(d.changeMeta),
    ...meta(opMeta),
    ...d.changeData,
    ...opColumns.flatMap(([, b]) => [...b]),
    ...d.tail,
  ])
}

/**
 * `doc` saved, with its op columns replaced: the header still names the document's real
 * heads (so it passes the cheap "is this the history?" test), but the ops declare 2^31
 * values (`rle`) or a column inflates to `inflate` bytes (`deflate`).
 */
export function snapshotBomb(doc: A.Doc<unknown>, kind: 'rle' | 'deflate', inflate = 64 << 20): Uint8Array {
  const d = parts(A.save(doc))
  if (kind === 'rle') return assemble(d, [[COLUMN.action, run(2 ** 31, uleb(1))]])
  // Deflate bit (0x08) on the value column.
  return assemble(d, [[COLUMN.valRaw | 0x08, deflatedZeros(inflate)]])
}
