/**
 * Every document type a Verse Guy node holds: adding one is one line here (see README).
 * The validator, the scope of chain entries (`orgOfDoc`) and the store's indexers read
 * this list; nothing else branches on a document's type.
 */
import type { DocumentIndexer } from '../crdt/index.ts'
import type { DocumentType } from './document-type.ts'
import { hangarType } from './fleet/index.ts'
import { licenseType } from './licensing/index.ts'
import { opType } from './operations/index.ts'
import { rosterType } from './org/index.ts'

export const DOCUMENT_TYPES: readonly DocumentType[] = [rosterType, hangarType, opType, licenseType]

const BY_NAME: ReadonlyMap<string, DocumentType> = new Map(DOCUMENT_TYPES.map((t) => [t.name, t]))
if (BY_NAME.size !== DOCUMENT_TYPES.length) throw new Error('two document types share one name')

/** The type named by a document id's prefix (before the first `:`), or null. */
export function documentTypeOf(docId: string): DocumentType | null {
  if (docId !== lastDoc) resolve(docId)
  return lastType
}

/**
 * The org a document belongs to, which is also the scope of its chain entries (its type's
 * `orgOf`); null for an id of no registered type.
 */
export function orgOfDoc(docId: string): string | null {
  if (docId !== lastDoc) resolve(docId)
  return lastOrg
}

// A batch names the same document thousands of times (the scope, then the rules, of each
// entry): the last answer is kept.
let lastDoc = ''
let lastType: DocumentType | null = null
let lastOrg: string | null = null

function resolve(docId: string): void {
  const colon = docId.indexOf(':')
  lastType = colon < 0 ? null : (BY_NAME.get(docId.slice(0, colon)) ?? null)
  lastOrg = lastType === null ? null : lastType.orgOf(docId.slice(colon + 1))
  lastDoc = docId
}

/** Indexers every store of a Verse Guy node keeps: those of every registered type. */
export const DOMAIN_INDEXERS: readonly DocumentIndexer[] = DOCUMENT_TYPES.flatMap((t) => t.indexers ?? [])
