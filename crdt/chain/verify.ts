/**
 * Verification of authors' chains (one chain: one author's entries in one scope, see
 * entry.ts). Reports, per chain: ok, tampered (bad encoding,
 * hash link or signature, wrong author, duplicate or out-of-order entry), gap, fork
 * (two validly signed entries with one sequence number, both kept as proof) and
 * truncation against a head seen earlier.
 *
 * An entry is authentic when its own signature verifies or a later entry whose
 * signature verifies links to it by hash (as Hypercore signs its tree head). Two modes
 * give the same verdicts: `signatures: 'head'` checks one signature per linked run when
 * the chain is sound (catch-up); `signatures: 'all'` checks every signature (audit) and
 * also warns about stored signatures that fail on entries a later one vouches for.
 */
import { ed25519Verify } from '../crypto.ts'
import type { EntryHash, MemberKey } from '../ids.ts'
import type { DecodeResult, Entry, EntryScope, SignedEntry } from './entry.ts'
import { decodeEntry } from './entry-decode.ts'
import type { SignaturePool } from './signature-pool.ts'

export type ChainIssue =
  | {
      readonly kind: 'tampered'
      readonly position: number
      readonly seq: number | null
      readonly reason: string
    }
  | { readonly kind: 'gap'; readonly from: number; readonly to: number }
  | {
      readonly kind: 'fork'
      readonly seq: number
      readonly hashes: readonly [EntryHash, EntryHash]
      /** Both signed entries: proof that the author equivocated. */
      readonly proof: readonly [SignedEntry, SignedEntry]
    }
  | { readonly kind: 'truncated'; readonly knownSeq: number; readonly haveSeq: number }

export type ChainStatus = 'ok' | ChainIssue['kind']

/** Not a fault of the author's history: e.g. a damaged stored signature on an entry a later one vouches for. */
export interface ChainWarning {
  readonly seq: number
  readonly reason: string
}

export interface ChainReport {
  readonly author: MemberKey
  /** The chain's scope: `VerifyChainOptions.scope`, else that of its first entry (null if none). */
  readonly scope: EntryScope
  /** The most serious issue found, or ok. */
  readonly status: ChainStatus
  /** Entries that verified. */
  readonly verified: number
  /** The newest verified entry of the unbroken run from seq 1 (or from `after`). */
  readonly head: { readonly seq: number; readonly hash: EntryHash } | null
  readonly issues: readonly ChainIssue[]
  /** Only from 'all' mode. */
  readonly warnings: readonly ChainWarning[]
}

export interface VerifyChainOptions {
  /** The chain's scope; absent: that of its first decodable entry. Entries of another scope are tampered. */
  readonly scope?: EntryScope
  /** 'all' (default) checks every signature; 'head' one per linked run. */
  readonly signatures?: 'all' | 'head'
  /** A head seen earlier (from this node's store or a peer): catches truncation and forks. */
  readonly knownHead?: SignedEntry
  /** Trusted anchor when verifying a suffix: the chain continues after this entry. */
  readonly after?: { readonly seq: number; readonly hash: EntryHash }
  /** Signature results computed elsewhere (a `SignaturePool`), one per entry position. */
  readonly signatureResults?: readonly boolean[]
}

const SEVERITY: readonly ChainStatus[] = ['fork', 'tampered', 'truncated', 'gap', 'ok']

/**
 * Verifies one author's chain, given in order (as stored or exported).
 *
 * @example
 * const report = verifyChain(author, entries)
 * if (report.status !== 'ok') console.log(report.issues)
 */
export function verifyChain(
  author: MemberKey,
  entries: readonly SignedEntry[],
  options: VerifyChainOptions = {},
): ChainReport {
  return verifyDecodedChain(
    author,
    entries.map((signed) => decodeEntry(signed)),
    options,
  )
}

/**
 * `verifyChain` over entries already passed through `decodeEntry` (one result per
 * position), so a receiver that decoded a batch does not decode it twice.
 */
export function verifyDecodedChain(
  author: MemberKey,
  decodedEntries: readonly DecodeResult[],
  options: VerifyChainOptions = {},
): ChainReport {
  return verifyChainOf(author, decodedEntries, options)
}

/**
 * `verifyDecodedChain` over entries that all decoded (a receiver's, already grouped by
 * chain), without a decode result around each.
 */
export function verifyEntryChain(
  author: MemberKey,
  entries: readonly Entry[],
  options: VerifyChainOptions = {},
): ChainReport {
  return verifyChainOf(author, entries, options)
}

function verifyChainOf(
  author: MemberKey,
  decodedEntries: readonly (DecodeResult | Entry)[],
  options: VerifyChainOptions,
): ChainReport {
  const mode = options.signatures ?? 'all'
  const key = hexToBytes(author)
  const issues: ChainIssue[] = []
  const warnings: ChainWarning[] = []
  const bySeq = new Map<number, Entry>()
  const given = options.signatureResults
  /** Positions, needed only to find a signature result computed elsewhere. */
  const position = given === undefined ? null : new Map<Entry, number>()
  const checked = new Map<Entry, boolean>()
  const signatureOk = (e: Entry): boolean => {
    let ok = checked.get(e)
    if (ok === undefined) {
      const at = position?.get(e)
      const precomputed = at === undefined ? undefined : given?.[at]
      ok = precomputed ?? ed25519Verify(key, e.bytes, e.signature)
      checked.set(e, ok)
    }
    return ok
  }
  let scope: EntryScope | undefined = options.scope
  let expected = (options.after?.seq ?? 0) + 1
  let prevHash: EntryHash | null = options.after?.hash ?? null
  /** Runs of hash-linked entries; a gap or broken link starts a new run. */
  const runs: Entry[][] = []

  /** Where an entry sits in the input (the last place, as `position` has it). */
  let positions = position
  const at = (e: Entry): number => {
    if (positions === null) {
      positions = new Map()
      for (const [i, d] of decodedEntries.entries()) {
        if (!('ok' in d)) positions.set(d, i)
        else if (d.ok) positions.set(d.entry, i)
      }
    }
    return positions.get(e) ?? -1
  }
  for (let i = 0; i < decodedEntries.length; i++) {
    const decoded = decodedEntries[i] as DecodeResult | Entry
    let e: Entry
    if ('ok' in decoded) {
      if (!decoded.ok) {
        issues.push(tampered(i, null, decoded.reason))
        continue
      }
      e = decoded.entry
    } else e = decoded
    position?.set(e, i)
    if (e.author !== author) {
      issues.push(tampered(i, e.seq, 'entry by another author'))
      continue
    }
    scope ??= e.scope
    if (e.scope !== scope) {
      issues.push(tampered(i, e.seq, 'entry of another scope'))
      continue
    }
    const earlier = bySeq.get(e.seq)
    if (earlier !== undefined) {
      if (!signatureOk(e)) issues.push(tampered(i, e.seq, 'bad signature'))
      else if (earlier.hash === e.hash) issues.push(tampered(i, e.seq, 'duplicate entry'))
      else if (signatureOk(earlier)) issues.push(fork(earlier, e))
      else issues.push(tampered(i, e.seq, 'conflicting entry with a bad signature'))
      continue
    }
    if (e.seq < expected) {
      issues.push(tampered(i, e.seq, 'entry out of order'))
      continue
    }
    bySeq.set(e.seq, e)
    if (e.seq > expected) issues.push({ kind: 'gap', from: expected, to: e.seq - 1 })
    else if (e.prev !== prevHash) issues.push(tampered(i, e.seq, `broken link to entry ${e.seq - 1}`))
    const linked = e.seq === expected && e.prev === prevHash
    const current = runs[runs.length - 1]
    if (linked && current !== undefined) current.push(e)
    else runs.push([e])
    prevHash = e.hash
    expected = e.seq + 1
  }

  // Each run is vouched for by its newest entry with a valid signature: one check when
  // the run is sound ('head'). Entries above that one have no valid signature: tampered.
  // Authentic entries (own signature valid, or hash-linked to a later entry whose is):
  // each run's entries up to `tops[run]`.
  const tops: number[] = []
  let vouched = 0
  for (const run of runs) {
    let top = run.length - 1
    while (top >= 0 && !signatureOk(run[top] as Entry)) top--
    tops.push(top)
    vouched += top + 1
    for (let i = top + 1; i < run.length; i++) {
      const e = run[i] as Entry
      issues.push(tampered(at(e), e.seq, 'bad signature'))
    }
    if (mode === 'all') {
      // A stored signature that fails on an entry a later signature vouches for is a
      // damaged copy, not altered history: reported, not counted against the author.
      for (let i = 0; i < top; i++) {
        const e = run[i] as Entry
        if (!signatureOk(e)) {
          warnings.push({
            seq: e.seq,
            reason: `stored signature invalid; content vouched by entry ${(run[top] as Entry).seq}`,
          })
        }
      }
    }
  }

  if (options.knownHead !== undefined)
    checkKnownHead(author, scope, options.knownHead, bySeq, signatureOk, issues)

  // The head: the newest vouched entry of the first run, if that run continues from the
  // start. (A later run never continues it: a run ends only at a gap or a broken link.)
  let head = options.after ?? null
  const first = runs[0]?.[0]
  const top = tops[0] ?? -1
  if (
    first !== undefined &&
    top >= 0 &&
    first.seq === (head?.seq ?? 0) + 1 &&
    first.prev === (head?.hash ?? null)
  ) {
    const e = (runs[0] as Entry[])[top] as Entry
    head = { seq: e.seq, hash: e.hash }
  }
  return {
    author,
    scope: scope ?? null,
    status: worst(issues),
    verified: vouched,
    head,
    issues,
    warnings,
  }
}

/**
 * `verifyChain` with every signature checked on worker threads: for audits of long
 * chains. Same verdicts as `verifyChain(author, entries, { signatures: 'all' })`.
 */
export async function verifyChainParallel(
  author: MemberKey,
  entries: readonly SignedEntry[],
  pool: SignaturePool,
  options: Omit<VerifyChainOptions, 'signatures' | 'signatureResults'> = {},
): Promise<ChainReport> {
  const signatureResults = await pool.verify(author, entries)
  return verifyChain(author, entries, { ...options, signatures: 'all', signatureResults })
}

/**
 * Verifies entries of any number of chains in any order (a backup, an export, a peer's
 * batch): groups them by scope and author, sorts by seq and drops identical copies.
 */
export function verifyChains(
  entries: readonly SignedEntry[],
  options: { signatures?: 'all' | 'head'; knownHeads?: readonly SignedEntry[] } = {},
): { reports: ChainReport[]; undecodable: { position: number; reason: string }[] } {
  const chains = new Map<string, { scope: EntryScope; author: MemberKey; entries: Entry[] }>()
  const undecodable: { position: number; reason: string }[] = []
  entries.forEach((signed, position) => {
    const d = decodeEntry(signed)
    if (!d.ok) {
      undecodable.push({ position, reason: d.reason })
      return
    }
    const key = `${d.entry.scope}!${d.entry.author}`
    const chain = chains.get(key) ?? { scope: d.entry.scope, author: d.entry.author, entries: [] }
    chain.entries.push(d.entry)
    chains.set(key, chain)
  })
  const known = new Map<string, { scope: EntryScope; author: MemberKey; head: SignedEntry }>()
  for (const h of options.knownHeads ?? []) {
    const d = decodeEntry(h)
    if (d.ok) known.set(`${d.entry.scope}!${d.entry.author}`, { ...d.entry, head: h })
  }
  const reports: ChainReport[] = []
  for (const [key, { scope, author, entries: list }] of chains) {
    const knownHead = known.get(key)?.head
    reports.push(
      verifyChain(author, inSeqOrder(list), {
        scope,
        ...(options.signatures ? { signatures: options.signatures } : {}),
        ...(knownHead ? { knownHead } : {}),
      }),
    )
  }
  for (const [key, { scope, author, head }] of known)
    if (!chains.has(key)) reports.push(verifyChain(author, [], { scope, knownHead: head }))
  return { reports, undecodable }
}

/** Entries in seq order with identical copies dropped. */
export function inSeqOrder(entries: readonly Entry[]): Entry[] {
  // As a chain is sent: seqs strictly rising, so no copies (a copy repeats its seq).
  let rising = true
  for (let i = 1; i < entries.length && rising; i++)
    rising = (entries[i - 1] as Entry).seq < (entries[i] as Entry).seq
  if (rising) return entries.slice()
  const byHash = new Map<EntryHash, Entry>()
  for (const e of entries) byHash.set(e.hash, e)
  return [...byHash.values()].sort((a, b) => a.seq - b.seq)
}

function checkKnownHead(
  author: MemberKey,
  scope: EntryScope | undefined,
  knownHead: SignedEntry,
  bySeq: Map<number, Entry>,
  signatureOk: (e: Entry) => boolean,
  issues: ChainIssue[],
): void {
  const d = decodeEntry(knownHead)
  if (
    !d.ok ||
    d.entry.author !== author ||
    (scope !== undefined && d.entry.scope !== scope) ||
    !signatureOk(d.entry)
  ) {
    issues.push(tampered(-1, null, 'the known head does not verify'))
    return
  }
  const k = d.entry
  const mine = bySeq.get(k.seq)
  if (mine === undefined) {
    const haveSeq = Math.max(0, ...bySeq.keys())
    if (haveSeq < k.seq) issues.push({ kind: 'truncated', knownSeq: k.seq, haveSeq })
  } else if (mine.hash !== k.hash && signatureOk(mine)) {
    issues.push(fork(mine, k))
  }
}

function tampered(position: number, seq: number | null, reason: string): ChainIssue {
  return { kind: 'tampered', position, seq, reason }
}

function fork(a: Entry, b: Entry): ChainIssue {
  return {
    kind: 'fork',
    seq: a.seq,
    hashes: [a.hash, b.hash],
    proof: [
      { bytes: a.bytes, signature: a.signature },
      { bytes: b.bytes, signature: b.signature },
    ],
  }
}

function worst(issues: readonly ChainIssue[]): ChainStatus {
  let best = SEVERITY.length - 1
  for (const i of issues) best = Math.min(best, SEVERITY.indexOf(i.kind))
  return SEVERITY[best] as ChainStatus
}

const keyBytes = new Map<string, Uint8Array>()
function hexToBytes(hex: string): Uint8Array {
  let b = keyBytes.get(hex)
  if (b === undefined) {
    b = new Uint8Array(Buffer.from(hex, 'hex'))
    if (keyBytes.size > 4096) keyBytes.clear()
    keyBytes.set(hex, b)
  }
  return b
}
