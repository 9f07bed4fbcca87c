import { describe, expect, it } from 'vitest'
import { inSeqOrder } from '../../../crdt/chain/verify.ts'
import type { Entry } from '../../../crdt/index.ts'
import {
  type ChainIssue,
  type ChainReport,
  type ChangeHash,
  type DocId,
  decodeEntry,
  type EntryBody,
  type EntryHash,
  ed25519Verify,
  encodeEntryBody,
  type MemberKey,
  type SignedEntry,
  sha256,
  signEntry,
  toHex,
  verifyChain,
  verifyChains,
} from '../../../crdt/index.ts'
import { bodyOf, buildChain, fakeHash, makeSigner, signedForm, TEST_SCOPE } from '../../helpers/signer.ts'

const MODES = ['all', 'head'] as const
type Mode = (typeof MODES)[number]

const alice = makeSigner()
const bob = makeSigner()
const carol = makeSigner()
const N = 8
const chain = buildChain(alice, N)
/** Index of the middle entry the tamper tests work on (seq 4: has a doc and changes). */
const MID = 3

const at = <T>(list: readonly T[], i: number): T => {
  const v = list[i]
  if (v === undefined) throw new Error(`no element ${i}`)
  return v
}
/** A fresh copy of the valid chain in its signed (travelling) form. */
const fresh = (): SignedEntry[] => chain.map(signedForm)

/** Runs verifyChain in both modes and checks they agree on the verdict. */
function verifyBoth(
  entries: readonly SignedEntry[],
  options: Omit<Parameters<typeof verifyChain>[2] & object, 'signatures'> = {},
  author: MemberKey = alice.memberKey,
): Record<Mode, ChainReport> {
  const all = verifyChain(author, entries, { ...options, signatures: 'all' })
  const head = verifyChain(author, entries, { ...options, signatures: 'head' })
  expect(head.status, 'both modes give the same status').toBe(all.status)
  expect(head.head, 'both modes give the same head').toEqual(all.head)
  return { all, head }
}

const kinds = (r: ChainReport): string[] => r.issues.map((i) => i.kind)
const tamperedReasons = (r: ChainReport): string[] =>
  r.issues.flatMap((i) => (i.kind === 'tampered' ? [i.reason] : []))

function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[index] = (out[index] ?? 0) ^ (1 << bit)
  return out
}

describe('verifyChain: a valid chain', () => {
  for (const mode of MODES) {
    it(`is ok with head = last entry and every entry verified (signatures: ${mode})`, () => {
      const report = verifyChain(alice.memberKey, fresh(), { signatures: mode })
      expect(report).toEqual({
        author: alice.memberKey,
        scope: TEST_SCOPE,
        status: 'ok',
        verified: N,
        head: { seq: N, hash: at(chain, N - 1).hash },
        issues: [],
        warnings: [],
      })
    })
  }

  it('defaults to checking every signature', () => {
    expect(verifyChain(alice.memberKey, fresh()).status).toBe('ok')
  })

  it('an empty chain is ok with no head', () => {
    const { all } = verifyBoth([])
    expect(all).toMatchObject({ status: 'ok', verified: 0, head: null, issues: [] })
  })

  it('a suffix verifies after a trusted anchor, and not after a wrong one', () => {
    const anchor = at(chain, 3)
    const { all } = verifyBoth(fresh().slice(4), { after: { seq: anchor.seq, hash: anchor.hash } })
    expect(all).toMatchObject({ status: 'ok', verified: 4, head: { seq: N, hash: at(chain, N - 1).hash } })
    const wrong = verifyBoth(fresh().slice(4), { after: { seq: 4, hash: fakeHash<EntryHash>('nope') } })
    expect(wrong.all.status).toBe('tampered')
    expect(tamperedReasons(wrong.all)).toEqual(['broken link to entry 4'])
    expect(wrong.all.head).toEqual({ seq: 4, hash: fakeHash<EntryHash>('nope') })
  })

  it('a known head equal to, or older than, the newest entry is ok', () => {
    for (const known of [at(chain, N - 1), at(chain, 2), at(chain, 0)]) {
      const { all } = verifyBoth(fresh(), { knownHead: signedForm(known) })
      expect(all.status).toBe('ok')
    }
  })
})

describe('verifyChain: flip every field in turn must fail (original signature kept)', () => {
  const original = at(chain, MID)
  const body = bodyOf(original)
  const changed: [string, Partial<EntryBody>][] = [
    ['author', { author: bob.memberKey }],
    ['seq (+1)', { seq: body.seq + 1 }],
    ['seq (-1)', { seq: body.seq - 1 }],
    ['seq (+100)', { seq: body.seq + 100 }],
    ['prev', { prev: at(chain, 1).hash }],
    ['prev (random)', { prev: fakeHash<EntryHash>('random') }],
    ['time', { time: body.time + 1 }],
    ['action', { action: 'test.other' }],
    ['resource', { resource: 'test:resource-x' }],
    ['details', { details: { i: body.seq, tags: ['a', 'b'], nested: { ok: false, n: null } } }],
    ['details (null)', { details: null }],
    ['doc', { doc: 'test:doc-2' as DocId }],
    ['doc (null, no changes)', { doc: null, changes: [] }],
    ['changes (one dropped)', { changes: body.changes.slice(1) }],
    ['changes (one added)', { changes: [...body.changes, fakeHash<ChangeHash>('extra')] }],
    ['changes (reordered)', { changes: [...body.changes].reverse() }],
    ['authHeads', { authHeads: [fakeHash<ChangeHash>('other-auth')] }],
    ['authHeads (empty)', { authHeads: [] }],
  ]

  for (const [field, patch] of changed) {
    it(`changing ${field} of entry ${body.seq} is tampered in both modes`, () => {
      const bytes = encodeEntryBody({ ...body, ...patch })
      expect(bytes).not.toEqual(original.bytes)
      expect(ed25519Verify(alice.publicKey, bytes, original.signature)).toBe(false)
      const entries = fresh()
      entries[MID] = { bytes, signature: Uint8Array.from(original.signature) }
      const reports = verifyBoth(entries)
      for (const mode of MODES) {
        const r = reports[mode]
        expect(r.status, mode).toBe('tampered')
        expect(r.head?.seq ?? 0, mode).toBeLessThan(body.seq)
        expect(r.verified, mode).toBeLessThan(N)
        const reason = field === 'author' ? 'entry by another author' : 'bad signature'
        expect(
          r.issues.some((i) => i.kind === 'tampered' && i.position === MID && i.reason === reason),
          `${mode}: ${JSON.stringify(r.issues)}`,
        ).toBe(true)
      }
    })
  }
})

describe('verifyChain: flip every byte and signature bit', () => {
  for (const index of [0, MID, N - 1]) {
    it(`flipping one bit of any byte of entry ${index + 1} is never ok, in both modes`, () => {
      const entry = at(chain, index)
      for (let i = 0; i < entry.bytes.length; i++) {
        const bit = i % 8
        const entries = fresh()
        entries[index] = { bytes: flipBit(entry.bytes, i, bit), signature: entry.signature }
        const all = verifyChain(alice.memberKey, entries, { signatures: 'all' })
        const head = verifyChain(alice.memberKey, entries, { signatures: 'head' })
        expect(all.status, `byte ${i} bit ${bit}`).not.toBe('ok')
        expect(head.status, `byte ${i} bit ${bit}`).toBe(all.status)
        expect(head.head, `byte ${i} bit ${bit}`).toEqual(all.head)
        expect(all.head?.seq ?? 0).toBeLessThan(index + 1)
      }
    })
  }

  it('flipping one bit of any byte of the signature of the last entry is tampered, in both modes', () => {
    const entry = at(chain, N - 1)
    for (let i = 0; i < 64; i++) {
      const entries = fresh()
      entries[N - 1] = { bytes: entry.bytes, signature: flipBit(entry.signature, i, i % 8) }
      for (const mode of MODES) {
        const r = verifyChain(alice.memberKey, entries, { signatures: mode })
        expect(r.status, `${mode} bit ${i}`).toBe('tampered')
        expect(r.issues).toEqual([{ kind: 'tampered', position: N - 1, seq: N, reason: 'bad signature' }])
        expect(r.head?.seq).toBe(N - 1)
      }
    }
  })

  // A middle entry's content is vouched for by the next entries' signatures through the
  // hash links: a damaged stored signature there is not altered history. Both modes say
  // ok; 'all' (the audit) also warns about the damaged copy.
  it("a flipped bit in a middle entry's signature is a warning, not tampering, in both modes", () => {
    const entry = at(chain, MID)
    for (let i = 0; i < 64; i++) {
      const entries = fresh()
      entries[MID] = { bytes: entry.bytes, signature: flipBit(entry.signature, i, i % 8) }
      const all = verifyChain(alice.memberKey, entries, { signatures: 'all' })
      const head = verifyChain(alice.memberKey, entries, { signatures: 'head' })
      expect(all.status, `bit ${i}`).toBe('ok')
      expect(head.status, `bit ${i}`).toBe('ok')
      expect(all.head).toEqual(head.head)
      expect(all.warnings).toEqual([
        { seq: MID + 1, reason: `stored signature invalid; content vouched by entry ${N}` },
      ])
    }
  })

  it("a flipped bit in the newest entry's signature is tampered in both modes (nothing vouches for it)", () => {
    const last = at(chain, N - 1)
    for (let i = 0; i < 64; i++) {
      const entries = fresh()
      entries[N - 1] = { bytes: last.bytes, signature: flipBit(last.signature, i, i % 8) }
      for (const mode of ['all', 'head'] as const) {
        const r = verifyChain(alice.memberKey, entries, { signatures: mode })
        expect(r.status, `bit ${i} ${mode}`).toBe('tampered')
        expect(r.issues).toEqual([{ kind: 'tampered', position: N - 1, seq: N, reason: 'bad signature' }])
        expect(r.head?.seq).toBe(N - 1)
      }
    }
  })

  it('a zeroed signature on the first entry gives the same verdict in both modes: ok, the head vouches for it', () => {
    const entries = fresh()
    entries[0] = { bytes: at(chain, 0).bytes, signature: new Uint8Array(64) }
    const { all, head } = verifyBoth(entries)
    // Its content is what the later entries link to: a damaged copy of the signature, not
    // altered history. The chain verifies to its head; 'all' mode reports the damage.
    for (const r of [all, head]) {
      expect(r.status).toBe('ok')
      expect(r.issues).toEqual([])
      expect(r.verified).toBe(N)
      expect(r.head).toEqual({ seq: N, hash: at(chain, N - 1).hash })
    }
    expect(all.warnings).toEqual([
      { seq: 1, reason: `stored signature invalid; content vouched by entry ${N}` },
    ])
    expect(head.warnings).toEqual([])
  })

  it('a forged middle entry cannot borrow a later signature: its hash breaks the link', () => {
    const entries = fresh()
    const forged = signEntry({ ...bodyOf(at(chain, MID)), resource: 'ship:forged' }, alice)
    entries[MID] = { bytes: forged.bytes, signature: at(chain, MID).signature }
    for (const mode of ['all', 'head'] as const) {
      expect(verifyChain(alice.memberKey, entries, { signatures: mode }).status).toBe('tampered')
    }
  })
})

describe('verifyChain: order, gaps, truncation, duplicates', () => {
  it('swapping two entries is tampered (out of order), in both modes', () => {
    for (const [a, b] of [
      [MID, MID + 1],
      [2, 5],
      [0, N - 1],
    ] as const) {
      const entries = fresh()
      const x = at(entries, a)
      entries[a] = at(entries, b)
      entries[b] = x
      const { all } = verifyBoth(entries)
      expect(all.status, `${a}<->${b}`).toBe('tampered')
      expect(tamperedReasons(all)).toContain('entry out of order')
      expect(all.head?.seq ?? 0).toBe(a)
    }
  })

  it('a fully reversed chain is tampered, in both modes', () => {
    const { all } = verifyBoth(fresh().reverse())
    expect(all.status).toBe('tampered')
    expect(all.head).toBeNull()
  })

  it('dropping a middle entry is a gap with from/to, in both modes', () => {
    const entries = fresh()
    entries.splice(MID, 1)
    const reports = verifyBoth(entries)
    for (const mode of MODES) {
      expect(reports[mode]).toMatchObject({
        status: 'gap',
        verified: N - 1,
        head: { seq: MID, hash: at(chain, MID - 1).hash },
        issues: [{ kind: 'gap', from: MID + 1, to: MID + 1 }],
      })
    }
  })

  it('dropping several middle entries, or the first, is one gap covering them', () => {
    const several = fresh()
    several.splice(2, 3)
    expect(verifyBoth(several).all.issues).toEqual([{ kind: 'gap', from: 3, to: 5 }])
    const noFirst = fresh().slice(1)
    const { all } = verifyBoth(noFirst)
    expect(all).toMatchObject({ status: 'gap', head: null, issues: [{ kind: 'gap', from: 1, to: 1 }] })
  })

  it('dropping the last entries is truncated against a saved known head, in both modes', () => {
    const knownHead = signedForm(at(chain, N - 1))
    const reports = verifyBoth(fresh().slice(0, 5), { knownHead })
    for (const mode of MODES) {
      expect(reports[mode]).toMatchObject({
        status: 'truncated',
        verified: 5,
        head: { seq: 5, hash: at(chain, 4).hash },
        issues: [{ kind: 'truncated', knownSeq: N, haveSeq: 5 }],
      })
    }
    const none = verifyBoth([], { knownHead })
    expect(none.all.issues).toEqual([{ kind: 'truncated', knownSeq: N, haveSeq: 0 }])
    // Without the known head, the shorter chain looks complete.
    expect(verifyBoth(fresh().slice(0, 5)).all.status).toBe('ok')
  })

  it('a known head that does not verify (bad signature, other author, garbage) is tampered', () => {
    const bad = signedForm(at(chain, N - 1))
    const badSig = { bytes: bad.bytes, signature: flipBit(bad.signature, 0, 0) }
    const foreign = signedForm(at(buildChain(bob, 1), 0))
    const garbage = { bytes: new Uint8Array([1, 2, 3]), signature: new Uint8Array(64) }
    for (const knownHead of [badSig, foreign, garbage]) {
      const { all } = verifyBoth(fresh().slice(0, 5), { knownHead })
      expect(all.status).toBe('tampered')
      expect(all.issues).toEqual([
        { kind: 'tampered', position: -1, seq: null, reason: 'the known head does not verify' },
      ])
    }
  })

  it('a duplicated entry is tampered (duplicate entry), in both modes', () => {
    for (const index of [0, MID, N - 1]) {
      const entries = fresh()
      entries.splice(index + 1, 0, signedForm(at(chain, index)))
      const { all } = verifyBoth(entries)
      expect(all.status).toBe('tampered')
      expect(all.issues).toEqual([
        { kind: 'tampered', position: index + 1, seq: index + 1, reason: 'duplicate entry' },
      ])
      expect(all.head?.seq).toBe(N)
    }
  })

  it('a duplicate placed later in the chain is still refused', () => {
    const entries = [...fresh(), signedForm(at(chain, 1))]
    const { all } = verifyBoth(entries)
    expect(all.issues).toEqual([{ kind: 'tampered', position: N, seq: 2, reason: 'duplicate entry' }])
  })
})

describe('verifyChain: other authors and forks', () => {
  const bobs = buildChain(bob, 5)

  it("an entry of another author spliced in is tampered ('entry by another author'), in both modes", () => {
    const entries = fresh()
    entries.splice(MID, 0, signedForm(at(bobs, MID)))
    const reports = verifyBoth(entries)
    for (const mode of MODES) {
      expect(reports[mode].status).toBe('tampered')
      expect(reports[mode].issues).toEqual([
        { kind: 'tampered', position: MID, seq: MID + 1, reason: 'entry by another author' },
      ])
    }
  })

  it("another author's entry replacing one of ours is tampered, and leaves a gap", () => {
    const entries = fresh()
    entries[MID] = signedForm(at(bobs, MID))
    const { all } = verifyBoth(entries)
    expect(all.status).toBe('tampered')
    expect(kinds(all).sort()).toEqual(['gap', 'tampered'])
    expect(all.head?.seq).toBe(MID)
  })

  it('a whole chain checked under the wrong author is tampered at every entry', () => {
    const { all } = verifyBoth(fresh(), {}, bob.memberKey)
    expect(all.status).toBe('tampered')
    expect(tamperedReasons(all)).toEqual(Array(N).fill('entry by another author'))
    expect(all.verified).toBe(0)
  })

  /** A second, validly signed entry with seq 4 (same prev, other content). */
  const forked = signEntry(
    { ...bodyOf(at(chain, MID)), details: { forked: true }, time: at(chain, MID).time + 5 },
    alice,
  )

  function expectForkProof(issue: ChainIssue | undefined, hashes: [EntryHash, EntryHash]): void {
    if (issue?.kind !== 'fork') throw new Error(`not a fork: ${JSON.stringify(issue)}`)
    expect(issue.seq).toBe(MID + 1)
    expect([...issue.hashes]).toEqual(hashes)
    expect(issue.hashes[0]).not.toBe(issue.hashes[1])
    issue.proof.forEach((proof, i) => {
      expect(ed25519Verify(alice.publicKey, proof.bytes, proof.signature)).toBe(true)
      const d = decodeEntry(proof)
      if (!d.ok) throw new Error(d.reason)
      expect(d.entry.author).toBe(alice.memberKey)
      expect(d.entry.seq).toBe(MID + 1)
      expect(d.entry.hash).toBe(issue.hashes[i])
      expect(toHex(sha256(proof.bytes))).toBe(issue.hashes[i])
    })
  }

  it('a second signed entry with the same seq is a fork with both proofs, in both modes', () => {
    const reports = verifyBoth([...fresh(), signedForm(forked)])
    for (const mode of MODES) {
      const r = reports[mode]
      expect(r.status).toBe('fork')
      expect(r.issues).toHaveLength(1)
      expectForkProof(r.issues[0], [at(chain, MID).hash, forked.hash])
      expect(r.head?.seq).toBe(N)
    }
  })

  it('the fork right after the original entry is also a fork', () => {
    const entries = fresh()
    entries.splice(MID + 1, 0, signedForm(forked))
    const { all } = verifyBoth(entries)
    expect(all.status).toBe('fork')
    expectForkProof(all.issues[0], [at(chain, MID).hash, forked.hash])
  })

  it('a known head that conflicts with our entry of its seq is a fork, in both modes', () => {
    const reports = verifyBoth(fresh(), { knownHead: signedForm(forked) })
    for (const mode of MODES) {
      expect(reports[mode].status).toBe('fork')
      expectForkProof(reports[mode].issues[0], [at(chain, MID).hash, forked.hash])
    }
  })

  it('a conflicting entry with a bad signature is tampered, not a fork', () => {
    const bad = { bytes: forked.bytes, signature: flipBit(forked.signature, 3, 1) }
    const { all } = verifyBoth([...fresh(), bad])
    expect(all.status).toBe('tampered')
    expect(all.issues).toEqual([{ kind: 'tampered', position: N, seq: MID + 1, reason: 'bad signature' }])
  })

  it("a re-signed middle entry (valid signature, same seq, other content) breaks the next entry's link", () => {
    const entries = fresh()
    entries[MID] = signedForm(forked)
    const reports = verifyBoth(entries)
    for (const mode of MODES) {
      const r = reports[mode]
      expect(r.status).toBe('tampered')
      expect(r.issues).toEqual([
        { kind: 'tampered', position: MID + 1, seq: MID + 2, reason: `broken link to entry ${MID + 1}` },
      ])
      expect(r.head).toEqual({ seq: MID + 1, hash: forked.hash })
    }
  })

  it('the re-signed middle entry against a known head from the original chain is a fork', () => {
    const entries = fresh().slice(0, MID)
    entries.push(signedForm(forked))
    const { all } = verifyBoth(entries, { knownHead: signedForm(at(chain, MID)) })
    expect(all.status).toBe('fork')
  })
})

describe('verifyChains', () => {
  const bobs = buildChain(bob, 5)
  const carols = buildChain(carol, 3)

  /** A deterministic shuffle (mulberry32). */
  function shuffled<T>(list: readonly T[], seed: number): T[] {
    let s = seed
    const rand = () => {
      s = (s + 0x6d2b79f5) | 0
      let t = Math.imul(s ^ (s >>> 15), 1 | s)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const out = [...list]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      const x = out[i] as T
      out[i] = out[j] as T
      out[j] = x
    }
    return out
  }

  const byAuthor = (reports: readonly ChainReport[]) => new Map(reports.map((r) => [r.author, r]))

  for (const mode of MODES) {
    it(`groups shuffled entries of several authors and reports each (signatures: ${mode})`, () => {
      for (const seed of [1, 2, 3]) {
        const all = shuffled([...chain, ...bobs, ...carols].map(signedForm), seed)
        const { reports, undecodable } = verifyChains(all, { signatures: mode })
        expect(undecodable).toEqual([])
        expect(reports).toHaveLength(3)
        const m = byAuthor(reports)
        for (const [signer, list] of [
          [alice, chain],
          [bob, bobs],
          [carol, carols],
        ] as const) {
          expect(m.get(signer.memberKey)).toEqual({
            author: signer.memberKey,
            scope: TEST_SCOPE,
            status: 'ok',
            verified: list.length,
            head: { seq: list.length, hash: at(list, list.length - 1).hash },
            issues: [],
            warnings: [],
          })
        }
      }
    })

    it(`drops exact copies (signatures: ${mode})`, () => {
      const copies = [...chain, ...chain, ...bobs, at(bobs, 2), at(bobs, 2)].map(signedForm)
      const { reports } = verifyChains(shuffled(copies, 7), { signatures: mode })
      const m = byAuthor(reports)
      expect(m.get(alice.memberKey)).toMatchObject({ status: 'ok', verified: N })
      expect(m.get(bob.memberKey)).toMatchObject({ status: 'ok', verified: 5 })
    })
  }

  it('reports a gap, a fork and truncation per author, and lists undecodable input', () => {
    const forkedBob = signEntry({ ...bodyOf(at(bobs, 1)), details: { other: true } }, bob)
    const input = shuffled(
      [
        ...chain.filter((_, i) => i !== MID),
        ...bobs,
        forkedBob,
        ...carols.slice(0, 2),
        { bytes: new Uint8Array([9, 9, 9]), signature: new Uint8Array(64) },
      ].map(signedForm),
      11,
    )
    const dave = makeSigner()
    const daveHead = signedForm(at(buildChain(dave, 2), 1))
    for (const mode of MODES) {
      const { reports, undecodable } = verifyChains(input, {
        signatures: mode,
        knownHeads: [signedForm(at(carols, 2)), daveHead],
      })
      expect(undecodable).toHaveLength(1)
      expect(undecodable[0]?.reason).toBe('wrong domain prefix')
      const garbageAt = input.findIndex((e) => e.bytes.length === 3)
      expect(undecodable[0]?.position).toBe(garbageAt)
      const m = byAuthor(reports)
      expect(reports).toHaveLength(4)
      expect(m.get(alice.memberKey)).toMatchObject({
        status: 'gap',
        issues: [{ kind: 'gap', from: MID + 1, to: MID + 1 }],
      })
      expect(m.get(bob.memberKey)?.status).toBe('fork')
      expect(m.get(carol.memberKey)).toMatchObject({
        status: 'truncated',
        issues: [{ kind: 'truncated', knownSeq: 3, haveSeq: 2 }],
      })
      expect(m.get(dave.memberKey)).toMatchObject({
        status: 'truncated',
        head: null,
        issues: [{ kind: 'truncated', knownSeq: 2, haveSeq: 0 }],
      })
    }
  })

  it('sorts an out-of-order export by seq, so order alone is not an issue', () => {
    const { reports } = verifyChains(fresh().reverse())
    expect(reports).toHaveLength(1)
    expect(reports[0]?.status).toBe('ok')
  })
})

describe('chains per scope', () => {
  const otherScope = 'ab'.repeat(16)
  const mine = buildChain(alice, 4)
  const elsewhere = buildChain(alice, 3, { body: () => ({ scope: otherScope }) })

  it("an entry of the author's chain in another scope spliced in is tampered, however well signed", () => {
    const spliced = [at(mine, 0), at(mine, 1), at(elsewhere, 2), at(mine, 2), at(mine, 3)].map(signedForm)
    const { all } = verifyBoth(spliced)
    expect(all.status).toBe('tampered')
    expect(tamperedReasons(all)).toContain('entry of another scope')
    // Told the chain's scope, a chain of another scope is refused from its first entry.
    const told = verifyChain(alice.memberKey, mine.map(signedForm), { scope: otherScope })
    expect(told.head).toBeNull()
    expect(tamperedReasons(told)).toEqual(Array(4).fill('entry of another scope'))
  })

  it('verifyChains reports one chain per (scope, author), each with its own seq 1', () => {
    const { reports } = verifyChains([...elsewhere, ...mine].map(signedForm))
    expect(reports.map((r) => [r.scope, r.status, r.head?.seq]).sort()).toEqual(
      [
        [TEST_SCOPE, 'ok', 4],
        [otherScope, 'ok', 3],
      ].sort(),
    )
  })
})

describe('inSeqOrder', () => {
  const entries = buildChain(alice, 5)
  const seqs = (list: readonly { seq: number }[]) => list.map((e) => e.seq)

  it('keeps a chain sent in order as it is, in a new array', () => {
    const out = inSeqOrder(entries)
    expect(seqs(out)).toEqual([1, 2, 3, 4, 5])
    expect(out).not.toBe(entries)
  })

  it('sorts entries out of order and drops identical copies', () => {
    const [e1, e2, e3, e4, e5] = entries as [Entry, Entry, Entry, Entry, Entry]
    expect(seqs(inSeqOrder([e3, e1, e2, e5, e4]))).toEqual([1, 2, 3, 4, 5])
    expect(seqs(inSeqOrder([e1, e2, e2, e3]))).toEqual([1, 2, 3])
    expect(seqs(inSeqOrder([e1, e2, e3, e1]))).toEqual([1, 2, 3])
  })
})

describe('verifyChain: head and count against a plain reading of the rule', () => {
  /** Tiny seeded generator (mulberry32): the same cases on every run. */
  function rng(seed: number): () => number {
    let a = seed
    return () => {
      a = (a + 0x6d2b79f5) | 0
      let t = Math.imul(a ^ (a >>> 15), 1 | a)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
  const long = buildChain(alice, 14)

  /**
   * The head as the design states it, walked entry by entry: from the anchor, the next seq
   * held, linked to the head so far, and vouched for (its own signature, or a later linked
   * entry's with nothing broken between).
   */
  function referenceHead(
    given: readonly SignedEntry[],
    after: { seq: number; hash: EntryHash } | null,
  ): { seq: number; hash: EntryHash } | null {
    const decoded = given.flatMap((s) => {
      const d = decodeEntry(s)
      return d.ok && d.entry.author === alice.memberKey ? [d.entry] : []
    })
    const sigOk = (e: Entry) => ed25519Verify(alice.publicKey, e.bytes, e.signature)
    // The first copy of each seq counts (later ones are duplicates, forks or tampering),
    // and only entries above every earlier one (out of order otherwise).
    const bySeq = new Map<number, Entry>()
    let top = after?.seq ?? 0
    for (const e of decoded)
      if (!bySeq.has(e.seq) && e.seq > top) {
        bySeq.set(e.seq, e)
        top = e.seq
      }
    const path: Entry[] = []
    let prev = after?.hash ?? null
    for (let seq = (after?.seq ?? 0) + 1; ; seq++) {
      const e = bySeq.get(seq)
      if (e === undefined || e.prev !== prev) break
      path.push(e)
      prev = e.hash
    }
    let last = path.length - 1
    while (last >= 0 && !sigOk(path[last] as Entry)) last--
    const h = path[last]
    return h === undefined ? after : { seq: h.seq, hash: h.hash }
  }

  it('agrees on 300 random damages (drops, swaps, copies, bad signatures, forged links), both modes', () => {
    const next = rng(12)
    for (let round = 0; round < 300; round++) {
      const list: SignedEntry[] = long.map(signedForm)
      const damages = 1 + Math.floor(next() * 3)
      for (let d = 0; d < damages; d++) {
        const i = Math.floor(next() * list.length)
        const item = list[i]
        if (item === undefined) continue
        const kind = Math.floor(next() * 5)
        if (kind === 0) list.splice(i, 1)
        else if (kind === 1) list.splice(i, 0, item)
        else if (kind === 2) list[i] = { bytes: item.bytes, signature: flipBit(item.signature, 5, 2) }
        else if (kind === 3) {
          const j = Math.floor(next() * list.length)
          ;[list[i], list[j]] = [list[j] as SignedEntry, item]
        } else {
          const body = bodyOf(at(long, Math.max(1, Math.min(i, long.length - 1))))
          list[i] = signedForm(signEntry({ ...body, prev: fakeHash<EntryHash>(`x${round}`) }, alice))
        }
      }
      // A suffix after a trusted anchor, some of the time.
      const cut = Math.floor(next() * 4)
      const anchor = cut === 0 ? null : at(long, cut - 1)
      const after = anchor === null ? undefined : { seq: anchor.seq, hash: anchor.hash }
      const seqOf = (s: SignedEntry) => {
        const d = decodeEntry(s)
        return d.ok ? d.entry.seq : Number.POSITIVE_INFINITY
      }
      const given = anchor === null ? list : list.filter((s) => seqOf(s) > anchor.seq)
      for (const mode of MODES) {
        const r = verifyChain(alice.memberKey, given, { signatures: mode, ...(after ? { after } : {}) })
        expect(r.head, `round ${round} (${mode})`).toEqual(referenceHead(given, after ?? null))
      }
    }
  })
})
