/**
 * The storage contract (crdt/store/storage/storage.ts), one suite for every
 * implementation: key order as LevelDB gives it (code points: `!` and `~` around a
 * document's or chain's keys, non-ASCII keys), range reads with every bound, reverse and
 * limit, atomic batches (one bad op: nothing written), missing keys, values never shared
 * with the caller, reopening and closing.
 */
import { describe, expect, it } from 'vitest'
import { InvalidStorageOpError, type Section, type Storage, type StorageOp } from '../../../../crdt/index.ts'

export interface StorageFixture {
  /** A new, empty, open storage (cleaned up after the test). */
  create(): Promise<Storage>
  /** Closes `storage` and opens what it holds again: the same instance, or one on the same files. */
  reopen(storage: Storage): Promise<Storage>
}

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs)
/** Plain numbers, so a Buffer and a Uint8Array with the same bytes compare equal. */
const plain = (b: Uint8Array | undefined): number[] | undefined => (b === undefined ? undefined : [...b])
const put = (section: Section, key: string, value: Uint8Array): StorageOp => ({
  type: 'put',
  section,
  key,
  value,
})
const del = (section: Section, key: string): StorageOp => ({ type: 'del', section, key })

async function fill(storage: Storage, section: Section, keys: readonly string[]): Promise<void> {
  await storage.write(
    keys.map((k, i) => put(section, k, bytes(i))),
    { sync: false },
  )
}

/** The expected order, from the keys' UTF-8 bytes (independent of the implementations' own comparison). */
const byUtf8 = (keys: readonly string[]): string[] =>
  [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))

/** Keys as the stores write them: changes `docId!seq`, chain records `scope!author!seq`, index rows `type:…`. */
const KEYS = [
  'org:abc!0000000002',
  'org:abc!0000000010',
  'org:abc',
  'org:abc!',
  'org:abc~',
  'org:abcd!0000000001',
  'org:ab!0000000001',
  'hangar:o1.m1',
  'hangar:o1.m2',
  'hangar;',
  'hangar:',
  'local!k1!0000000001',
  'Zed',
  '0',
  'é',
  'ß!1',
  '日本',
  '\ue000',
  '\uffff',
  'x\uffff',
  'x😀',
  '😀',
  '🀄',
  '',
]

export function runStorageAcceptance(name: string, fixture: () => StorageFixture): void {
  describe(`storage contract: ${name}`, () => {
    const f = fixture()

    describe('reads of what is not there', () => {
      it('get, getMany and has of missing keys: undefined and false, in an empty section and beside other keys', async () => {
        const s = await f.create()
        const a = s.section('a')
        expect(await a.get('x')).toBeUndefined()
        expect(await a.has('x')).toBe(false)
        expect(await a.getMany(['x', 'y'])).toEqual([undefined, undefined])
        expect(await a.getMany([])).toEqual([])
        expect(await a.keys().all()).toEqual([])
        await fill(s, a, ['k', 'k!1'])
        expect(await a.get('k!')).toBeUndefined()
        expect(await a.has('k!')).toBe(false)
        expect((await a.getMany(['k!1', 'nope', 'k'])).map(plain)).toEqual([[1], undefined, [0]])
        expect(await a.has('k')).toBe(true)
      })

      it('sections are apart: a key in one is not in another, whatever the names', async () => {
        const s = await f.create()
        const [a, b, ab] = [s.section('a'), s.section('b'), s.section('ab')]
        expect(s.section('a')).toBe(a)
        await s.write([put(a, 'k', bytes(1)), put(ab, 'k2', bytes(2))], { sync: false })
        expect(await b.get('k')).toBeUndefined()
        expect(await b.keys().all()).toEqual([])
        expect(await a.keys().all()).toEqual(['k'])
        expect(await ab.keys().all()).toEqual(['k2'])
      })
    })

    describe('order', () => {
      it('keys come in UTF-8 byte order (code points): `!` before digits and letters, `~` after them, non-ASCII after ASCII, outside the BMP last', async () => {
        const s = await f.create()
        const a = s.section('a')
        // Written in two batches, the second interleaving the first.
        await fill(
          s,
          a,
          KEYS.filter((_, i) => i % 2 === 0),
        )
        await fill(
          s,
          a,
          KEYS.filter((_, i) => i % 2 === 1),
        )
        const sorted = byUtf8(KEYS)
        expect(await a.keys().all()).toEqual(sorted)
        expect(await a.keys({ reverse: true }).all()).toEqual([...sorted].reverse())
        expect((await a.iterator().all()).map(([k]) => k)).toEqual(sorted)
        // A few landmarks, spelled out.
        expect(sorted.indexOf('org:abc!')).toBeLessThan(sorted.indexOf('org:abc!0000000002'))
        expect(sorted.indexOf('org:abc!0000000010')).toBeLessThan(sorted.indexOf('org:abc~'))
        expect(sorted.indexOf('org:abcd!0000000001')).toBeLessThan(sorted.indexOf('org:abc~'))
        expect(sorted.indexOf('x\uffff')).toBeLessThan(sorted.indexOf('x😀'))
        expect(sorted.indexOf('\ue000')).toBeLessThan(sorted.indexOf('😀'))
        expect(sorted[0]).toBe('')
      })

      it("a document's keys are exactly those between `id!` and `id!~`; a type's between `type:` and `type;`", async () => {
        const s = await f.create()
        const a = s.section('a')
        await fill(s, a, KEYS)
        expect(await a.keys({ gt: 'org:abc!', lt: 'org:abc!~' }).all()).toEqual([
          'org:abc!0000000002',
          'org:abc!0000000010',
        ])
        expect(await a.keys({ gte: 'hangar:', lt: 'hangar;' }).all()).toEqual([
          'hangar:',
          'hangar:o1.m1',
          'hangar:o1.m2',
        ])
        // `\uffff` closes a prefix over the BMP only: a character past it sorts after.
        expect(await a.keys({ gte: 'x', lt: 'x\uffff' }).all()).toEqual([])
        expect(await a.keys({ gte: 'x', lte: 'x\uffff' }).all()).toEqual(['x\uffff'])
        expect(await a.keys({ gt: 'x\uffff' }).all()).toEqual([
          'x😀',
          'ß!1',
          'é',
          '日本',
          '\ue000',
          '\uffff',
          '🀄',
          '😀',
        ])
      })
    })

    describe('ranges', () => {
      const letters = ['a', 'b', 'c', 'd', 'e', 'f']

      it('every bound alone and together, forward and reverse, with and without a limit', async () => {
        const s = await f.create()
        const a = s.section('a')
        await fill(s, a, letters)
        const keys = (range: Parameters<Section['keys']>[0]) => a.keys(range).all()
        expect(await keys({ gt: 'b' })).toEqual(['c', 'd', 'e', 'f'])
        expect(await keys({ gte: 'b' })).toEqual(['b', 'c', 'd', 'e', 'f'])
        expect(await keys({ lt: 'e' })).toEqual(['a', 'b', 'c', 'd'])
        expect(await keys({ lte: 'e' })).toEqual(['a', 'b', 'c', 'd', 'e'])
        expect(await keys({ gt: 'b', lt: 'e' })).toEqual(['c', 'd'])
        expect(await keys({ gte: 'b', lte: 'e' })).toEqual(['b', 'c', 'd', 'e'])
        expect(await keys({ gt: 'bb', lt: 'dd' })).toEqual(['c', 'd'])
        expect(await keys({ gte: 'bb', lte: 'dd' })).toEqual(['c', 'd'])
        expect(await keys({ gt: 'b', lt: 'e', reverse: true })).toEqual(['d', 'c'])
        expect(await keys({ gte: 'b', lte: 'e', reverse: true })).toEqual(['e', 'd', 'c', 'b'])
        expect(await keys({ limit: 2 })).toEqual(['a', 'b'])
        expect(await keys({ reverse: true, limit: 2 })).toEqual(['f', 'e'])
        expect(await keys({ gt: 'a', lt: 'f', reverse: true, limit: 1 })).toEqual(['e'])
        expect(await keys({ gte: 'c', limit: 10 })).toEqual(['c', 'd', 'e', 'f'])
        expect(await keys({ limit: 0 })).toEqual([])
        expect(await keys({ limit: -1 })).toEqual(letters)
        // Empty ranges.
        expect(await keys({ gt: 'e', lt: 'b' })).toEqual([])
        expect(await keys({ gt: 'c', lt: 'c' })).toEqual([])
        expect(await keys({ gte: 'c', lt: 'c' })).toEqual([])
        expect(await keys({ gt: 'f' })).toEqual([])
        expect(await keys({ lt: 'a' })).toEqual([])
        expect(await keys({ gte: 'c', lte: 'c' })).toEqual(['c'])
      })

      it('keys, values and rows of one range agree', async () => {
        const s = await f.create()
        const a = s.section('a')
        await fill(s, a, letters)
        const range = { gt: 'a', lte: 'e', reverse: true, limit: 3 }
        const rows = await a.iterator(range).all()
        expect(rows.map(([k]) => k)).toEqual(['e', 'd', 'c'])
        expect(rows.map(([, v]) => plain(v))).toEqual([[4], [3], [2]])
        expect(await a.keys(range).all()).toEqual(['e', 'd', 'c'])
        expect((await a.values(range).all()).map(plain)).toEqual([[4], [3], [2]])
      })

      it('an iterator hands rows over step by step, sees the range as of its making, and ends', async () => {
        const s = await f.create()
        const a = s.section('a')
        await fill(s, a, letters)
        const it = a.iterator({ gte: 'b', lt: 'f', highWaterMarkBytes: 1 })
        // Written after the iterator was made: not seen by it.
        await s.write([put(a, 'bb', bytes(9)), del(a, 'c'), put(a, 'd', bytes(7))], { sync: false })
        const first = await it.next()
        expect(first?.[0]).toBe('b')
        expect(plain(first?.[1])).toEqual([1])
        // Up to the size asked (fewer is not the end; an empty list is).
        const rest: [string, number[] | undefined][] = []
        for (let step = await it.nextv(2); step.length > 0; step = await it.nextv(2)) {
          expect(step.length).toBeLessThanOrEqual(2)
          rest.push(...step.map(([k, v]): [string, number[] | undefined] => [k, plain(v)]))
        }
        expect(rest).toEqual([
          ['c', [2]],
          ['d', [3]],
          ['e', [4]],
        ])
        expect(await it.next()).toBeUndefined()
        expect(await it.nextv(5)).toEqual([])
        await it.close()
        // A new read sees the writes.
        expect(await a.keys({ gte: 'b', lt: 'f' }).all()).toEqual(['b', 'bb', 'd', 'e'])
        const early = a.iterator()
        await early.close()
        await expect(early.next()).rejects.toThrow()
      })
    })

    describe('atomic batches', () => {
      it('puts and deletes across sections land together; a later op on a key wins', async () => {
        const s = await f.create()
        const [a, b] = [s.section('a'), s.section('b')]
        await fill(s, a, ['x', 'y'])
        await s.write(
          [
            put(a, 'z', bytes(3)),
            del(a, 'x'),
            put(b, 'k', bytes(4)),
            put(b, 'gone', bytes(5)),
            del(b, 'gone'),
            del(a, 'y'),
            put(a, 'y', bytes(6)),
            put(a, 'z', bytes(8)),
            del(a, 'never-there'),
          ],
          { sync: true },
        )
        expect(await a.keys().all()).toEqual(['y', 'z'])
        expect(plain(await a.get('y'))).toEqual([6])
        expect(plain(await a.get('z'))).toEqual([8])
        expect(await b.keys().all()).toEqual(['k'])
        await s.write([], { sync: false })
        expect(await a.keys().all()).toEqual(['y', 'z'])
      })

      it('a batch with one bad op (value not bytes, key not a well-formed string, unknown type, foreign section) writes nothing', async () => {
        const s = await f.create()
        const other = await f.create()
        const [a, b] = [s.section('a'), s.section('b')]
        await fill(s, a, ['keep', 'gone'])
        const good: StorageOp[] = [
          put(a, 'new', bytes(1)),
          del(a, 'gone'),
          put(b, 'k', bytes(2)),
          put(a, 'keep', bytes(9)),
        ]
        const bad: unknown[] = [
          { type: 'put', section: a, key: 'v', value: 'not bytes' },
          { type: 'put', section: a, key: 'v', value: undefined },
          { type: 'put', section: a, key: 42, value: bytes(1) },
          { type: 'del', section: a, key: null },
          { type: 'put', section: a, key: 'lone \ud800 surrogate', value: bytes(1) },
          { type: 'get', section: a, key: 'v' },
          put(other.section('a'), 'v', bytes(1)),
        ]
        for (const op of bad) {
          await expect(s.write([...good, op as StorageOp], { sync: false })).rejects.toBeInstanceOf(
            InvalidStorageOpError,
          )
          expect(await a.keys().all()).toEqual(['gone', 'keep'])
          expect(plain(await a.get('keep'))).toEqual([0])
          expect(await b.keys().all()).toEqual([])
        }
        expect(await other.section('a').keys().all()).toEqual([])
        await s.write(good, { sync: false })
        expect(await a.keys().all()).toEqual(['keep', 'new'])
      })

      it('values of any bytes and size: empty, every byte value, 1 MiB', async () => {
        const s = await f.create()
        const a = s.section('a')
        const every = Uint8Array.from({ length: 256 }, (_, i) => i)
        const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) & 0xff)
        await s.write([put(a, 'empty', new Uint8Array(0)), put(a, 'every', every), put(a, 'big', big)], {
          sync: false,
        })
        expect(plain(await a.get('empty'))).toEqual([])
        expect(await a.has('empty')).toBe(true)
        expect(Buffer.from((await a.get('every')) as Uint8Array).equals(every)).toBe(true)
        expect(Buffer.from((await a.get('big')) as Uint8Array).equals(big)).toBe(true)
        // A view into a larger buffer stores its own bytes only.
        const frame = bytes(1, 2, 3, 4, 5)
        await s.write([put(a, 'view', frame.subarray(1, 3))], { sync: false })
        expect(plain(await a.get('view'))).toEqual([2, 3])
      })
    })

    it('values are never shared with the caller: changing one written or read changes nothing stored', async () => {
      const s = await f.create()
      const a = s.section('a')
      const value = bytes(1, 2, 3)
      await s.write([put(a, 'k', value)], { sync: false })
      value[0] = 99
      expect(plain(await a.get('k'))).toEqual([1, 2, 3])
      const reads = [
        await a.get('k'),
        (await a.getMany(['k']))[0],
        (await a.values().all())[0],
        (await a.iterator().all())[0]?.[1],
        (await a.iterator().next())?.[1],
      ]
      for (const read of reads) (read as Uint8Array)[1] = 77
      expect(plain(await a.get('k'))).toEqual([1, 2, 3])
    })

    describe('reopen and close', () => {
      it('what was written (and deleted) is there after a reopen, in every section', async () => {
        const s = await f.create()
        const [a, b] = [s.section('a'), s.section('b')]
        await fill(s, a, KEYS)
        await s.write([put(b, 'k', bytes(5)), del(a, 'Zed')], { sync: true })
        const s2 = await f.reopen(s)
        const [a2, b2] = [s2.section('a'), s2.section('b')]
        expect(await a2.keys().all()).toEqual(byUtf8(KEYS.filter((k) => k !== 'Zed')))
        expect(plain(await a2.get('org:abc~'))).toEqual([KEYS.indexOf('org:abc~')])
        expect(plain(await b2.get('k'))).toEqual([5])
        await s2.write([put(b2, 'k2', bytes(6))], { sync: false })
        const s3 = await f.reopen(s2)
        expect(await s3.section('b').keys().all()).toEqual(['k', 'k2'])
      })

      it('a closed storage refuses reads and writes; what it refused is not there after a reopen', async () => {
        const s = await f.create()
        const a = s.section('a')
        await fill(s, a, ['k'])
        await s.close()
        await expect(a.get('k')).rejects.toThrow()
        await expect(a.getMany(['k'])).rejects.toThrow()
        await expect(a.has('k')).rejects.toThrow()
        await expect(a.keys().all()).rejects.toThrow()
        await expect(a.values().all()).rejects.toThrow()
        await expect(a.iterator().next()).rejects.toThrow()
        await expect(a.iterator().all()).rejects.toThrow()
        await expect(s.write([put(a, 'late', bytes(1))], { sync: false })).rejects.toThrow()
        await s.open()
        expect(await a.keys().all()).toEqual(['k'])
        const s2 = await f.reopen(s)
        expect(await s2.section('a').keys().all()).toEqual(['k'])
      })
    })
  })
}
