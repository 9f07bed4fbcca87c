/**
 * A toy indexer for store tests: a `test:` document's row is the length of its `acked`
 * list, and one total (group `test:`) sums the rows and counts them.
 */
import type * as A from '@automerge/automerge'
import type { DocumentIndexer, RowTotals } from '../../crdt/index.ts'

export interface LengthTotal {
  rows: number
  sum: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const totals: RowTotals<LengthTotal> = {
  group: (docId) => (docId.startsWith('test:') ? 'test:' : null),
  empty: () => ({ rows: 0, sum: 0 }),
  count: (t, _docId, row, sign) => {
    t.rows += sign
    t.sum += sign * Number(decoder.decode(row))
  },
  encode: (t) => encoder.encode(JSON.stringify(t)),
  decode: (bytes) => {
    try {
      const t = JSON.parse(decoder.decode(bytes)) as LengthTotal
      return Number.isSafeInteger(t.rows) && Number.isSafeInteger(t.sum) ? t : null
    } catch {
      return null
    }
  },
}

export const lengthIndexer: DocumentIndexer = {
  type: 'test',
  version: 1,
  row: (_docId, doc) => encoder.encode(String((doc as A.Doc<{ acked?: unknown[] }>).acked?.length ?? 0)),
  totals: () => totals as RowTotals<unknown>,
}
