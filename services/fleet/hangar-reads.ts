/**
 * Reading hangars as every view must (rule 5): without the changes of a member past
 * their recorded head. Index rows of hangars holding such changes are rebuilt from their
 * masked views; the rest are read as stored.
 */
import type * as A from '@automerge/automerge'
import { type DocId, type DocumentStore, parseDocId } from '../../crdt/index.ts'
import type { AuthIndex } from '../org/index.ts'
import { hangarIndexer } from './hangar-index.ts'
import { type HangarDoc, hangarName } from './hangar-schema.ts'

const EMPTY_ROW = new TextEncoder().encode('[]')

export class HangarReads {
  private readonly store: DocumentStore
  private readonly auth: AuthIndex

  constructor(components: { readonly store: DocumentStore; readonly auth: AuthIndex }) {
    this.store = components.store
    this.auth = components.auth
  }

  /**
   * Index rows under `prefix`; a hangar holding changes of a member past their recorded
   * head (rule 5) is read from its view without them instead of its row.
   */
  async rows(orgId: string, prefix: string): Promise<[DocId, Uint8Array][]> {
    const rows = await this.store.indexRows(prefix)
    const membership = this.auth.membership
    const masked = membership === null ? new Set<DocId>() : await membership.maskedDocs(orgId)
    if (masked.size === 0 || membership === null) return rows
    const out: [DocId, Uint8Array][] = []
    for (const [docId, row] of rows) {
      if (!masked.has(docId)) {
        out.push([docId, row])
        continue
      }
      const tree = await membership.view(orgId, docId, await this.store.get(docId))
      out.push([docId, tree === null ? row : (hangarIndexer.row(docId, tree as never) ?? EMPTY_ROW)])
    }
    return out
  }

  /**
   * The hangars under `prefix` holding changes of a member past their recorded head
   * (rule 5), each with the row of its view without them (as `rows` reads them).
   */
  async maskedRows(orgId: string, prefix: string): Promise<[DocId, Uint8Array][]> {
    const membership = this.auth.membership
    if (membership === null) return []
    const out: [DocId, Uint8Array][] = []
    for (const docId of await membership.maskedDocs(orgId)) {
      if (!docId.startsWith(prefix)) continue
      const [stored] = (await this.store.indexRows(docId)).filter(([id]) => id === docId)
      if (stored === undefined) continue
      const tree = await membership.view(orgId, docId, await this.store.get(docId))
      out.push([docId, tree === null ? stored[1] : (hangarIndexer.row(docId, tree as never) ?? EMPTY_ROW)])
    }
    return out
  }

  /** A hangar as views read it (without masked changes), or null. */
  async hangar(orgId: string, owner: string): Promise<HangarDoc | null> {
    const id = hangarId(orgId, owner)
    if (!(await this.store.has(id))) return null
    const doc = await this.store.get<HangarDoc>(id)
    const tree = await this.auth.membership?.view(orgId, id, doc as A.Doc<unknown>)
    return (tree ?? doc) as HangarDoc
  }
}

export function hangarId(orgId: string, owner: string): DocId {
  return parseDocId(`hangar:${hangarName(orgId, owner)}`)
}
