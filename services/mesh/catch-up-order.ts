/**
 * The order a catch-up sends chains in, so that a newcomer can take every batch as it
 * comes whatever the order of authors: the org's roster first, in its causal order.
 * Walking the roster's changes in Automerge's order (dependencies first), each change
 * the peer lacks names its author and entry seq; the peer is sent that author's chain
 * up to there. A hangar or operation entry in such a prefix records roster heads its
 * author had seen, which its author's next roster change depends on, so they are sent
 * before it. Everything else (entries past each author's last roster entry) follows.
 *
 * Which entries are roster entries is found by reading the chains past the peer's heads;
 * a `RosterEntries` keeps what was found (chains only grow: an entry stored at a seq
 * never changes), so the next catch-up reads only the entries stored since.
 */
import * as A from '@automerge/automerge'
import {
  changeHash,
  type DocId,
  type DocumentStore,
  entryDoc,
  entryRefs,
  isScope,
  type MemberKey,
  parseDocId,
  unpackEntry,
} from '../../crdt/index.ts'

/** Entries read at a time while mapping roster changes to their entries. */
const READ_CHUNK = 1_000

/** One chain's entries read so far: seqs `from..upTo`, and the roster changes among them. */
interface Scanned {
  from: number
  upTo: number
  /** Roster change hash → seq of the entry that covers it. */
  readonly roster: Map<string, number>
}

/** Roster entries found in an org's chains, kept between catch-ups (by org, then author). */
export class RosterEntries {
  private readonly orgs = new Map<string, Map<string, Scanned>>()

  /**
   * `author`'s roster changes in `org` covered by entries `from..head`, by change hash →
   * entry seq, reading only the entries not read before.
   */
  async after(
    store: DocumentStore,
    org: string,
    author: MemberKey,
    from: number,
    head: number,
  ): Promise<Map<string, number>> {
    const chains = this.orgs.get(org) ?? new Map<string, Scanned>()
    this.orgs.set(org, chains)
    let known = chains.get(author)
    if (known === undefined || from > known.upTo + 1 || head < known.from - 1) {
      // Nothing read that touches this range: start afresh from it.
      known = { from, upTo: from - 1, roster: new Map() }
      chains.set(author, known)
    }
    if (from < known.from) await this.read(store, org, author, from, known.from - 1, known)
    if (head > known.upTo) await this.read(store, org, author, known.upTo + 1, head, known)
    const out = new Map<string, number>()
    for (const [h, seq] of known.roster) if (seq >= from && seq <= head) out.set(h, seq)
    return out
  }

  /** Reads entries `first..last` into `into` and widens its range (a chain may have fewer). */
  private async read(
    store: DocumentStore,
    org: string,
    author: MemberKey,
    first: number,
    last: number,
    into: Scanned,
  ): Promise<void> {
    const rosterId = `org:${org}`
    let at = first
    while (at <= last) {
      const packed = await store.chains.packed(org, author, at, Math.min(READ_CHUNK, last - at + 1))
      for (const [i, p] of packed.entries()) {
        // Only a roster entry's change hashes are read.
        const bytes = unpackEntry(p).bytes
        if (entryDoc(bytes) !== rosterId) continue
        for (const h of entryRefs(bytes)?.changes ?? []) into.roster.set(h, at + i)
      }
      if (packed.length === 0) break
      at += packed.length
    }
    // Only what was read counts as read (another catch-up may have widened it meanwhile).
    if (first <= into.upTo + 1 && at - 1 > into.upTo) into.upTo = at - 1
    if (at - 1 >= into.from - 1 && first < into.from) into.from = first
  }
}

/**
 * Steps `[author, upToSeq]` in the order to send them; each author's steps rise. Only
 * roster entries past `theirs` (the peer's heads) count.
 */
export async function rosterFirstOrder(
  store: DocumentStore,
  org: string,
  theirs: ReadonlyMap<string, number>,
  found: RosterEntries = new RosterEntries(),
): Promise<[string, number][]> {
  if (!isScope(org)) return []
  const rosterId = parseDocId(`org:${org}`) as DocId
  if (!(await store.has(rosterId))) return []
  const entryOf = new Map<string, [string, number]>()
  for (const author of await store.chains.authors(org)) {
    const head = (await store.chains.head(org, author))?.seq ?? 0
    const from = (theirs.get(author) ?? 0) + 1
    if (from > head) continue
    for (const [h, seq] of await found.after(store, org, author, from, head)) entryOf.set(h, [author, seq])
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
