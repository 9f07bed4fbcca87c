/**
 * The node's documents as the sync protocol sees them (net/'s `SyncSource`, matched
 * structurally: services never import net/). Each org to itself: an org's members are
 * served only the org's chains (each author's chain in the org's scope, so only the
 * org's documents' changes travel) and its documents' snapshots, never another org's nor
 * the node-local chain. Sends an author's entries in chain order with the change bytes
 * they cover; receives through `DocumentStore.receive`, the one path every remote change
 * takes, for the org's scope only (an entry of another scope is refused before any
 * signature check, an offence) and gated by the org's roster (author-gate.ts): an author
 * the org does not know costs nothing. Heads name only authors the org's roster knows.
 * Offences are counted on refusal kinds, never on reasons.
 */
import {
  type ChangeHash,
  type DocId,
  type DocumentStore,
  type Entry,
  entryRefs,
  INNOCENT_KINDS,
  isMemberKey,
  packEntry,
  type RefusalKind,
  type SignedEntry,
  unpackEntry,
} from '../../crdt/index.ts'
import { orgOfDoc } from '../document-types.ts'
import type { AuthIndex, AuthState } from '../org/index.ts'
import { isOrgId, OrgNotFoundError, RosterAccess, text } from '../org/index.ts'
import { authorGate, type Standing, standingIn } from './author-gate.ts'
import { RosterEntries, rosterFirstOrder } from './catch-up-order.ts'

export class StoreSyncSource {
  private readonly store: DocumentStore
  private readonly rosters: RosterAccess
  /** Roster entries found in the org's chains by earlier catch-ups. */
  private readonly rosterEntries = new RosterEntries()

  constructor(components: { store: DocumentStore; auth: AuthIndex }) {
    this.store = components.store
    this.rosters = new RosterAccess(components)
  }

  /** Where `member` stands in `org`: pulled from and served as a member, told it was removed, or a stranger. */
  async standing(org: string, member: string): Promise<Standing> {
    const state = await this.stateOrNull(org).catch(() => null)
    return state === null ? 'stranger' : standingIn(state, member)
  }

  /** The org's current authorization state, or null when this node does not hold the org. */
  private async stateOrNull(org: string): Promise<AuthState | null> {
    try {
      return await this.rosters.currentState(org)
    } catch (err) {
      if (err instanceof OrgNotFoundError || (err as Error).name === 'InvalidInputError') return null
      throw err
    }
  }

  /**
   * Members only. An invite buys nothing here: a newcomer is first admitted by a member's
   * node (the admission protocol), then fetches the org as the member it is.
   */
  async mayServe(org: string, member: string): Promise<boolean> {
    try {
      return (await this.rosters.currentState(org)).isMember(member)
    } catch {
      return false
    }
  }

  /** The org's creation nonce: in the roster, so only members know it. */
  async meshSecret(org: string): Promise<Uint8Array | null> {
    try {
      const hex = text((await this.rosters.roster(org)).org.nonce) ?? ''
      return /^[0-9a-f]{32,}$/.test(hex) ? new Uint8Array(Buffer.from(hex, 'hex')) : null
    } catch {
      return null
    }
  }

  /** Orgs this node holds (live or deleted: their data still syncs). */
  async orgs(): Promise<string[]> {
    return (await this.store.list('org')).map((id) => id.slice('org:'.length))
  }

  /** Each local change's entry and change bytes, for gossip on the org of the entries' scope. */
  onLocal(
    listener: (org: string, batch: { entries: Uint8Array[]; changes: Uint8Array[]; roster: boolean }) => void,
  ): () => void {
    const handler = (e: {
      docId: DocId
      origin: 'local' | 'remote'
      entries: readonly Entry[]
      changes: readonly Uint8Array[]
    }) => {
      if (e.origin !== 'local') return
      const org = e.entries[0]?.scope ?? null
      if (org === null || e.entries.some((x) => x.scope !== org)) return
      const roster = e.docId === `org:${org}`
      listener(org, { entries: e.entries.map((x) => packEntry(x)), changes: [...e.changes], roster })
    }
    this.store.on('change', handler)
    return () => this.store.off('change', handler)
  }

  /** Heads of the org's chains of authors its roster knows (none when this node does not hold the org). */
  async heads(org: string): Promise<ReadonlyMap<string, number>> {
    const out = new Map<string, number>()
    if (!isOrgId(org)) return out
    const state = await this.stateOrNull(org).catch(() => null)
    if (state === null) return out
    for (const author of await this.store.chains.authors(org)) {
      if (state.rankOf(author) === undefined) continue
      const head = await this.store.chains.head(org, author)
      if (head !== null) out.set(author, head.seq)
    }
    return out
  }

  /** Roster first: see catch-up-order.ts. */
  async catchUpOrder(org: string, theirs: ReadonlyMap<string, number>): Promise<[string, number][]> {
    return rosterFirstOrder(this.store, org, theirs, this.rosterEntries)
  }

  /** `author`'s entries in `org`'s chain after seq `after`, with the change bytes they cover. */
  async entriesAfter(
    org: string,
    author: string,
    after: number,
    bounds: { limit: number; maxBytes: number },
  ): Promise<{ entries: Uint8Array[]; changes: Uint8Array[]; docs: Map<string, number> }> {
    if (!isOrgId(org) || !isMemberKey(author)) return { entries: [], changes: [], docs: new Map() }
    const packed = await this.store.chains.packed(org, author, after + 1, bounds.limit)
    // Stored entries were verified on arrival: only their document and changes are read.
    const refs: { doc: DocId | null; changes: ChangeHash[] }[] = []
    const wanted = new Map<DocId, ChangeHash[]>()
    // Runs of entries name one document (the same string: see `entryRefs`): checked once.
    let lastDoc: string | null = null
    for (const p of packed) {
      const r = entryRefs(unpackEntry(p).bytes)
      if (r === null) break
      if (r.doc !== null && r.doc !== lastDoc) {
        // A damaged one is not sent, nor anything after it (nor a change of another org's document).
        if (orgOfDoc(r.doc) !== org) break
        lastDoc = r.doc
      }
      refs.push(r)
      if (r.doc === null) continue
      const list = wanted.get(r.doc)
      if (list === undefined) wanted.set(r.doc, [...r.changes])
      else for (const h of r.changes) list.push(h)
    }
    const bytesOf = new Map<ChangeHash, Uint8Array>()
    for (const [doc, hashes] of wanted) {
      if (!(await this.store.has(doc))) continue
      for (const [h, c] of await this.store.changesByHash(doc, hashes)) bytesOf.set(h, c)
    }
    const entries: Uint8Array[] = []
    const changes: Uint8Array[] = []
    const docs = new Map<string, number>()
    let bytes = 0
    for (const [i, r] of refs.entries()) {
      const entry = packed[i] as Uint8Array
      let size = entry.length
      let covered = 0
      for (const h of r.changes) size += bytesOf.get(h)?.length ?? 0
      // Past the bound even alone (stored before bounds held): not sent, nor anything after it.
      if (bytes + size > bounds.maxBytes && (entries.length > 0 || size > bounds.maxBytes)) break
      entries.push(entry)
      for (const h of r.changes) {
        const c = bytesOf.get(h)
        if (c === undefined) continue
        changes.push(c)
        covered++
      }
      bytes += size
      if (r.doc !== null) docs.set(r.doc, (docs.get(r.doc) ?? 0) + covered)
    }
    return { entries, changes, docs }
  }

  async snapshot(org: string, doc: string, maxBytes: number): Promise<Uint8Array | null> {
    if (orgOfDoc(doc) !== org || !(await this.store.has(doc as DocId))) return null
    const bytes = await this.store.snapshot(doc as DocId)
    return bytes.length <= maxBytes ? bytes : null
  }

  /**
   * Receives a batch of `org`'s entries and changes: entries of another scope are refused
   * unverified (`wrong-scope`, an offence); authors the org does not know cost nothing.
   */
  async receive(
    org: string,
    batch: {
      entries: readonly Uint8Array[]
      changes: readonly Uint8Array[]
      snapshots?: ReadonlyMap<string, Uint8Array>
    },
  ): Promise<{
    accepted: number
    rejected: number
    offences: number
    byKind: ReadonlyMap<RefusalKind, number>
    reasons: string[]
    roster: boolean
  }> {
    const entries: SignedEntry[] = batch.entries.map((p) => unpackEntry(p))
    // Snapshots only of this org's documents (the store checks each against the history).
    const snapshots = new Map<DocId, Uint8Array>()
    for (const [doc, bytes] of batch.snapshots ?? [])
      if (orgOfDoc(doc) === org) snapshots.set(doc as DocId, bytes)
    const knowsAuthor = authorGate(() => this.stateOrNull(org))
    const result = await this.store.receive(
      { entries, changes: [...batch.changes], snapshots },
      { knowsAuthor, scope: org },
    )
    let accepted = result.entriesOnly.length
    for (const d of result.byDoc.values()) accepted += d.entries.length
    const byKind = new Map<RefusalKind, number>()
    const rejected = result.rejected
    for (const r of rejected) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1)
    let offences = 0
    for (const [kind, n] of byKind) if (!INNOCENT_KINDS.has(kind)) offences += n
    return {
      accepted,
      rejected: rejected.length,
      offences,
      byKind,
      reasons: rejected.slice(0, 10).map((r) => r.reason),
      roster: (result.byDoc.get(`org:${org}` as DocId)?.entries.length ?? 0) > 0,
    }
  }
}

export { orgOfDoc }
