/**
 * Verification of an org's chains, one author at a time (memory: one chain): every
 * signature checked (crdt's `verifyChain` in 'all' mode), with the fork proofs the store
 * kept (two signed entries with one seq, recorded when a peer sent the other one) laid
 * beside the stored chain so the fork is reported with both entries as evidence.
 */
import {
  type ChainIssue,
  type ChainReport,
  type ChainStore,
  decodeEntry,
  type Entry,
  type MemberKey,
  type SignedEntry,
  verifyChain,
} from '../../crdt/index.ts'
import { type AuditEntry, auditEntry } from './audit-entry.ts'

/** A signed entry given as evidence: its bytes and signature (base64), decoded when it decodes. */
export interface Evidence {
  readonly bytes: string
  readonly signature: string
  readonly entry: AuditEntry | null
}

export type IssueView =
  | {
      readonly kind: 'tampered'
      readonly seq: number | null
      readonly reason: string
      readonly evidence: Evidence | null
    }
  | { readonly kind: 'gap'; readonly from: number; readonly to: number }
  | {
      readonly kind: 'fork'
      readonly seq: number
      readonly hashes: readonly string[]
      readonly evidence: readonly Evidence[]
    }
  | { readonly kind: 'truncated'; readonly knownSeq: number; readonly haveSeq: number }

export interface ChainVerdict {
  readonly author: string
  readonly status: ChainReport['status']
  /** Entries stored (and fork proofs beside them). */
  readonly entries: number
  /** Entries that verified. */
  readonly verified: number
  readonly head: { readonly seq: number; readonly hash: string } | null
  readonly issues: readonly IssueView[]
  readonly warnings: readonly { readonly seq: number; readonly reason: string }[]
}

export interface AuditVerification {
  readonly org: string
  /** Every chain ok. */
  readonly ok: boolean
  readonly chains: readonly ChainVerdict[]
}

export async function verifyOrgChains(chains: ChainStore, org: string): Promise<AuditVerification> {
  const proofs = new Map<string, Entry[]>()
  for (const signed of await chains.forks()) {
    const d = decodeEntry(signed)
    if (!d.ok || d.entry.scope !== org) continue
    const list = proofs.get(d.entry.author) ?? []
    list.push(d.entry)
    proofs.set(d.entry.author, list)
  }
  const authors = [...new Set([...(await chains.authors(org)), ...proofs.keys()])].sort()
  const out: ChainVerdict[] = []
  for (const author of authors) {
    const stored: SignedEntry[] = []
    for await (const s of chains.entries(org, author as MemberKey)) stored.push(s)
    const given = withProofs(stored, proofs.get(author) ?? [])
    const report = verifyChain(author as MemberKey, given, { scope: org, signatures: 'all' })
    out.push(verdict(report, given))
  }
  return { org, ok: out.every((c) => c.status === 'ok'), chains: out }
}

/**
 * The stored chain with each fork proof entry it does not hold placed after the stored
 * entry of the same seq (so the chain's own links stay intact and the proof is the fork).
 */
function withProofs(stored: readonly SignedEntry[], proofs: readonly Entry[]): SignedEntry[] {
  if (proofs.length === 0) return [...stored]
  const placed = stored.map((s, i) => {
    const d = decodeEntry(s)
    return { s, seq: d.ok ? d.entry.seq : null, hash: d.ok ? d.entry.hash : null, i }
  })
  const have = new Set(placed.map((p) => p.hash))
  const extra = proofs
    .filter((p) => !have.has(p.hash))
    .map((p, i) => ({
      s: { bytes: p.bytes, signature: p.signature },
      seq: p.seq,
      hash: p.hash,
      i: stored.length + i,
    }))
  const unique = new Map(extra.map((e) => [e.hash, e]))
  // Undecodable stored entries keep their place (seq null: by position).
  const all = [...placed, ...unique.values()]
  let lastSeq = 0
  const keyed = all.map((p) => {
    if (p.seq !== null && p.i < stored.length) lastSeq = p.seq
    return { ...p, order: p.seq ?? lastSeq }
  })
  keyed.sort((a, b) => a.order - b.order || a.i - b.i)
  return keyed.map((k) => k.s)
}

function verdict(report: ChainReport, given: readonly SignedEntry[]): ChainVerdict {
  return {
    author: report.author,
    status: report.status,
    entries: given.length,
    verified: report.verified,
    head: report.head,
    issues: report.issues.map((i) => issueView(i, given)),
    warnings: report.warnings,
  }
}

function issueView(i: ChainIssue, given: readonly SignedEntry[]): IssueView {
  switch (i.kind) {
    case 'tampered': {
      const s = i.position >= 0 ? given[i.position] : undefined
      return {
        kind: 'tampered',
        seq: i.seq,
        reason: i.reason,
        evidence: s === undefined ? null : evidence(s),
      }
    }
    case 'gap':
      return { kind: 'gap', from: i.from, to: i.to }
    case 'fork':
      return { kind: 'fork', seq: i.seq, hashes: [...i.hashes], evidence: i.proof.map(evidence) }
    case 'truncated':
      return { kind: 'truncated', knownSeq: i.knownSeq, haveSeq: i.haveSeq }
  }
}

function evidence(s: SignedEntry): Evidence {
  const d = decodeEntry(s)
  return {
    bytes: Buffer.from(s.bytes).toString('base64'),
    signature: Buffer.from(s.signature).toString('base64'),
    entry: d.ok ? auditEntry(d.entry) : null,
  }
}
