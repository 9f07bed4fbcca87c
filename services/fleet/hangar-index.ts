/**
 * The hangar index: per hangar document, the summaries of its ships as one JSON row,
 * written with every change to the hangar. Fleet lists and stats read these rows (one
 * range scan) instead of loading every member's hangar.
 */
import type * as A from '@automerge/automerge'
import type { DocId, DocumentIndexer } from '../../crdt/index.ts'
import { type HangarDoc, parseHangarName } from './hangar-schema.ts'
import { type ShipSummary, shipSummary } from './ship-view.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const hangarIndexer: DocumentIndexer = {
  type: 'hangar',
  version: 1,
  row(docId: DocId, doc: A.Doc<unknown>): Uint8Array | null {
    const parts = parseHangarName(docId.slice('hangar:'.length))
    const ships = (doc as A.Doc<HangarDoc>).ships
    if (parts === null || typeof ships !== 'object' || ships === null) return null
    return encoder.encode(JSON.stringify(Object.values(ships).map((r) => shipSummary(r, parts.owner))))
  },
}

/** Reads a row back; a row that does not parse reads as an empty hangar. */
export function readHangarRow(row: Uint8Array): ShipSummary[] {
  try {
    const ships = JSON.parse(decoder.decode(row)) as unknown
    return Array.isArray(ships) ? (ships as ShipSummary[]) : []
  } catch {
    return []
  }
}
