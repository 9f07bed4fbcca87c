/** Cursor pagination: total order, stable under inserts, bounded, bad cursors refused. */
import { describe, expect, it } from 'vitest'
import { paginate } from '../../../node/routes/page.ts'

interface M {
  id: string
  handle: string
  level: number
}
const sorts = { handle: (m: M) => m.handle, level: (m: M) => m.level }
const members: M[] = Array.from({ length: 1234 }, (_, i) => ({
  id: `k${String(i).padStart(5, '0')}`,
  handle: `h${(i * 7919) % 1234}`,
  level: i % 4,
}))

function all(items: M[], sort: 'handle' | 'level', order: 'asc' | 'desc', limit: number): M[] {
  const out: M[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 10_000; pages++) {
    const page = paginate(items, { limit, cursor, sort, order }, sorts, 'handle', (m) => m.id)
    expect(page.items.length).toBeLessThanOrEqual(limit)
    expect(page.total).toBe(items.length)
    out.push(...page.items)
    if (page.next === null) return out
    cursor = page.next
  }
  throw new Error('pages never ended')
}

describe('paginate', () => {
  it('walks every item once, in order, for each sort and direction', () => {
    for (const sort of ['handle', 'level'] as const)
      for (const order of ['asc', 'desc'] as const) {
        const walked = all(members, sort, order, 97)
        expect(new Set(walked.map((m) => m.id)).size).toBe(members.length)
        const keys = walked.map((m) => [sorts[sort](m), m.id] as const)
        for (let i = 1; i < keys.length; i++) {
          const [a, b] = [keys[i - 1], keys[i]] as [
            readonly [string | number, string],
            readonly [string | number, string],
          ]
          const c = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1
          expect(order === 'asc' ? c : -c).toBe(-1)
        }
      }
  })

  it('defaults to 50 items, sorted by the default sort', () => {
    const page = paginate(members, {}, sorts, 'handle', (m) => m.id)
    expect(page.items).toHaveLength(50)
    expect(page.next).not.toBeNull()
  })

  it('an item added before the cursor does not repeat or skip items on the next page', () => {
    const first = paginate(members, { limit: 100, sort: 'handle' }, sorts, 'handle', (m) => m.id)
    const grown = [...members, { id: 'k-new', handle: 'h0', level: 0 }]
    const second = paginate(
      grown,
      { limit: 100, sort: 'handle', cursor: first.next ?? '' },
      sorts,
      'handle',
      (m) => m.id,
    )
    const expected = paginate(
      members,
      { limit: 200, sort: 'handle' },
      sorts,
      'handle',
      (m) => m.id,
    ).items.slice(100)
    expect(second.items.map((m) => m.id)).toEqual(expected.map((m) => m.id))
  })

  it('refuses a cursor it did not give, naming the field', () => {
    for (const cursor of [
      'nope',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
    ])
      expect(() => paginate(members, { cursor }, sorts, 'handle', (m) => m.id)).toThrow(/^cursor: /)
  })
})
