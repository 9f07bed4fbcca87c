/**
 * The second stage of receiving a batch (receive-batch.ts): each chain's entries checked
 * against the chain as stored. An author the owner does not know waits unread; entries
 * already held are counted or, signed differently, kept as proof of a fork; a gap is
 * reported as missing; the rest must link on from the stored head and be vouched for by
 * a valid signature (one per linked run).
 */
import type { Entry } from '../chain/entry.ts'
import { inSeqOrder, verifyEntryChain } from '../chain/verify.ts'
import { ed25519Verify, fromHex } from '../crypto.ts'
import type { ReceiveDeps, ReceiveResult, Refuse, RefuseRest } from './remote-batch.ts'

/** The entries of each chain that verified, in seq order, ready to be judged. */
export async function verifiedQueues(
  byChain: ReadonlyMap<string, Entry[]>,
  deps: ReceiveDeps,
  result: ReceiveResult,
  refuse: Refuse,
  refuseRest: RefuseRest,
): Promise<Entry[][]> {
  const queues: Entry[][] = []
  for (const list of byChain.values()) {
    const sorted = inSeqOrder(list)
    const { author, scope } = sorted[0] as Entry
    // An author the owner does not know costs nothing more: no signature, no change read.
    if (deps.knowsAuthor !== undefined && !(await deps.knowsAuthor(author, sorted))) {
      result.strangers.add(author)
      result.waiting.push(...sorted)
      continue
    }
    const head = await deps.chains.head(scope, author)
    const fresh: Entry[] = []
    for (const e of sorted) {
      if (head !== null && e.seq <= head.seq) {
        const mine = e.seq === head.seq ? head : await deps.chains.get(scope, author, e.seq)
        if (mine?.hash === e.hash) result.duplicates++
        else if (mine !== null && ed25519Verify(fromHex(author), e.bytes, e.signature)) {
          result.forks.push([mine, e])
          refuse(e, `fork: a second signed entry ${e.seq}`, 'fork')
        } else refuse(e, 'conflicts with a stored entry and does not verify', 'conflict')
      } else fresh.push(e)
    }
    if (fresh.length === 0) continue
    const after = head === null ? undefined : { seq: head.seq, hash: head.hash }
    const first = fresh[0] as Entry
    if (first.seq !== (head?.seq ?? 0) + 1) {
      result.missing.push({ scope, author, after: head?.seq ?? 0 })
      for (const e of fresh) refuse(e, `missing earlier entries (have up to ${head?.seq ?? 0})`, 'gap')
      continue
    }
    const report = verifyEntryChain(author, fresh, { signatures: 'head', scope, ...(after ? { after } : {}) })
    const verifiedUpTo = report.head?.seq ?? 0
    const queue: Entry[] = []
    for (let i = 0; i < fresh.length; i++) {
      const e = fresh[i] as Entry
      if (e.seq <= verifiedUpTo) {
        queue.push(e)
        continue
      }
      const issue = report.issues.find((x) => x.kind === 'tampered' && x.seq === e.seq)
      const reason = `entry ${e.seq} does not verify${issue?.kind === 'tampered' ? `: ${issue.reason}` : ''}`
      refuseRest(fresh.slice(i), e, reason, 'bad-signature')
      break
    }
    if (queue.length > 0) queues.push(queue)
  }
  return queues
}
