/**
 * The order a catch-up sends chains in, so that a newcomer can take every batch as it
 * comes whatever the order of authors: the org's roster first, in its causal order.
 * Walking the roster's changes in Automerge's order (dependencies first), each change
 * the peer lacks names its author and entry seq; the peer is sent that author's chain
 * up to there. A hangar or operation entry in such a prefix records roster heads its
 * author had seen, which its author's next roster change depends on, so they are sent
 * before it. Everything else (entries past each author's last roster entry) follows.
 */
import * as A from '@automerge/automerge'
import {
  changeHash,
  type DocId,
  type DocumentStore,
  entryRefs,
  isScope,
  parseDocId,
  unpackEntry,
} from '../../crdt/index.ts'

/** Entries read at a time while mapping roster changes to their entries. */
const READ_CHUNK = 1_000

/**
 * Steps `[author, upToSeq]` in the order to send them; each author's steps rise. Only
 * roster entries past `theirs` (the peer's heads) count.
 */
export async function rosterFirstOrder(
  store: DocumentStore,
  org: string,
  theirs: ReadonlyMap<string, number>,
): Promise<[string, number][]> {
  if (!isScope(org)) return []
  const rosterId = parseDocId(`org:${org}`) as DocId
  if (!(await store.has(rosterId))) return []
  const entryOf = new Map<string, [string, number]>()
  for (const author of await store.chains.authors(org)) {
    const head = (await store.chains.head(org, author))?.seq ?? 0
    for (let from = (theirs.get(author) ?? 0) + 1; from <= head; from += READ_CHUNK) {
      const packed = await store.chains.packed(org, author, from, READ_CHUNK)
      for (const [i, p] of packed.entries()) {
        const refs = entryRefs(unpackEntry(p).bytes)
        if (refs?.doc !== rosterId) continue
        for (const h of refs.changes) entryOf.set(h, [author, from + i])
      }
      if (packed.length < READ_CHUNK) break
    }
  }
  if (entryOf.size === 0) return []
  const steps: [string, number][] = []
  const upTo = new Map<string, number>()
  for (const change of A.getAllChanges(await store.get(rosterId))) {
    const at = entryOf.get(changeHash(change))
    if (at === undefined || (upTo.get(at[0]) ?? 0) >= at[1]) continue
    upTo.set(at[0], at[1])
    const last = steps[steps.length - 1]
    if (last !== undefined && last[0] === at[0]) last[1] = at[1]
    else steps.push([at[0], at[1]])
  }
  return steps
}
