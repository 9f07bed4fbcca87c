/**
 * The hangar index: per hangar document, the summaries of its ships as one JSON row of
 * tuples (no repeated key names: half the parse time of objects), written with every
 * change to the hangar. Fleet lists and stats read these rows (one range scan) instead
 * of loading every member's hangar.
 */
import type * as A from '@automerge/automerge'
import type { DocId, DocumentIndexer } from '../../crdt/index.ts'
import { type HangarDoc, parseHangarName } from './hangar-schema.ts'
import { type ShipSummary, shipSummary } from './ship-view.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Tuple positions; the owner comes from the document id. */
const FIELDS = [
  'id',
  'model',
  'manufacturer',
  'name',
  'role',
  'pledgeDate',
  'cost',
  'insurance',
  'status',
  'location',
  'visibility',
  'addedAt',
] as const

export const hangarIndexer: DocumentIndexer = {
  type: 'hangar',
  version: 2,
  row(docId: DocId, doc: A.Doc<unknown>): Uint8Array | null {
    const parts = parseHangarName(docId.slice('hangar:'.length))
    const ships = (doc as A.Doc<HangarDoc>).ships
    if (parts === null || typeof ships !== 'object' || ships === null) return null
    const tuples = Object.values(ships).map((r) => {
      const s = shipSummary(r, parts.owner)
      return FIELDS.map((f) => s[f])
    })
    return encoder.encode(JSON.stringify(tuples))
  },
}

/** A row's tuples, in `FIELDS` order; a row that does not parse reads as an empty hangar. */
export function readHangarTuples(row: Uint8Array): unknown[][] {
  try {
    const tuples = JSON.parse(decoder.decode(row)) as unknown
    return Array.isArray(tuples) ? tuples.filter(Array.isArray) : []
  } catch {
    return []
  }
}

/** Positions of the fields stats read straight from tuples. */
export const AT = { role: 4, cost: 6, insurance: 7, status: 8, visibility: 10, manufacturer: 2 } as const

/** The owner of an index row, from its document id (`hangar:<org>.<owner>`). */
export function rowOwner(docId: string): string {
  return docId.slice(-64)
}

/** Reads a row back as ship summaries. */
export function readHangarRow(docId: string, row: Uint8Array): ShipSummary[] {
  const parts = parseHangarName(docId.slice('hangar:'.length))
  if (parts === null) return []
  return readHangarTuples(row).map((t) => ({
    id: t[0],
    owner: parts.owner,
    model: t[1],
    manufacturer: t[2],
    name: t[3],
    role: t[4],
    pledgeDate: t[5],
    cost: t[6],
    insurance: t[7],
    status: t[8],
    location: t[9],
    visibility: t[10],
    addedAt: t[11],
  })) as ShipSummary[]
}
