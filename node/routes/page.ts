/**
 * Cursor pagination over a sorted list: a page is at most `limit` items after the cursor,
 * in the order asked for, ties broken by each item's id so the order is total. The cursor
 * names the last item given (its sort value and id), not a position: an item added or
 * removed between two requests does not shift the next page.
 */
import { InvalidInputError } from '../../services/org/index.ts'

export const PAGE_LIMIT_DEFAULT = 50
export const PAGE_LIMIT_MAX = 500

export interface PageRequest<S extends string> {
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
  readonly sort?: S | undefined
  readonly order?: 'asc' | 'desc' | undefined
}

export interface Page<T> {
  readonly items: T[]
  /** The cursor of the next page; null on the last one. */
  readonly next: string | null
  /** How many items the whole list holds (all pages). */
  readonly total: number
}

type SortValue = string | number

/**
 * One page of `items`. `sorts` maps each sort name to the value it orders by; `id` gives
 * each item's unique id; `defaultSort` applies when none is asked for.
 */
export function paginate<T, S extends string>(
  items: readonly T[],
  request: PageRequest<S>,
  sorts: Readonly<Record<S, (item: T) => SortValue>>,
  defaultSort: S,
  id: (item: T) => string,
): Page<T> {
  const key = sorts[request.sort ?? defaultSort]
  const sign = request.order === 'desc' ? -1 : 1
  const limit = request.limit ?? PAGE_LIMIT_DEFAULT
  const compare = (a: [SortValue, string], b: [SortValue, string]) =>
    sign * (cmp(a[0], b[0]) || cmp(a[1], b[1]))
  const keyed = items.map((item) => ({ item, k: [key(item), id(item)] as [SortValue, string] }))
  keyed.sort((a, b) => compare(a.k, b.k))
  let start = 0
  if (request.cursor !== undefined) {
    const after = decodeCursor(request.cursor)
    start = keyed.findIndex((e) => compare(e.k, after) > 0)
    if (start < 0) start = keyed.length
  }
  const slice = keyed.slice(start, start + limit)
  const last = slice.at(-1)
  return {
    items: slice.map((e) => e.item),
    next: start + limit < keyed.length && last !== undefined ? encodeCursor(last.k) : null,
    total: keyed.length,
  }
}

function cmp(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

function encodeCursor(k: [SortValue, string]): string {
  return Buffer.from(JSON.stringify(k)).toString('base64url')
}

function decodeCursor(cursor: string): [SortValue, string] {
  let k: unknown
  try {
    k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    k = null
  }
  if (
    !Array.isArray(k) ||
    k.length !== 2 ||
    (typeof k[0] !== 'string' && typeof k[0] !== 'number') ||
    typeof k[1] !== 'string'
  )
    throw new InvalidInputError('cursor', 'not a cursor this API gave (use the `next` of the previous page)')
  return k as [SortValue, string]
}
