/**
 * The audit trail's order, newest first: by the author's recorded time, then author, then
 * seq (a total order: one (author, seq) is one entry). A cursor is the key of the last
 * entry a page looked at; the next page holds keys strictly below it.
 */
import { InvalidInputError } from '../org/index.ts'

export interface EntryKey {
  readonly time: number
  readonly author: string
  readonly seq: number
}

/** >0 when `a` comes first (is newer) in the listing. */
export function compareKeys(a: EntryKey, b: EntryKey): number {
  if (a.time !== b.time) return a.time - b.time
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  return a.seq - b.seq
}

export function encodeCursor(k: EntryKey): string {
  return Buffer.from(JSON.stringify([k.time, k.author, k.seq])).toString('base64url')
}

export function decodeCursor(cursor: string): EntryKey {
  let k: unknown
  try {
    k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    k = null
  }
  if (
    !Array.isArray(k) ||
    k.length !== 3 ||
    !Number.isSafeInteger(k[0]) ||
    typeof k[1] !== 'string' ||
    !/^[0-9a-f]{64}$/.test(k[1]) ||
    !Number.isSafeInteger(k[2])
  )
    throw new InvalidInputError('cursor', 'not a cursor this API gave (use the `next` of the previous page)')
  return { time: k[0] as number, author: k[1] as string, seq: k[2] as number }
}
