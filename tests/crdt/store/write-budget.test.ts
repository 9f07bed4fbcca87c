/**
 * The per-author write budget: back-pressure that refuses with kind `budget` (never an
 * offence), stores nothing of what it refuses, and takes the rest once the author's
 * bucket has refilled; charged only for what was stored.
 */
import { describe, expect, it } from 'vitest'
import {
  ENTRY_DOMAIN,
  fromHex,
  INNOCENT_KINDS,
  parseDocId,
  type SignedEntry,
  WriteBudget,
} from '../../../crdt/index.ts'
import { makeSigner, TEST_SCOPE } from '../../helpers/signer.ts'
import { batchOf, entriesOf, useStores } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-budget-')
const stores = useStores(dirs, { storage: 'memory' })
const doc = parseDocId('test:budget')

/** A writer with `n` entries changing one document. */
async function writer(n: number, text = 'x') {
  const w = await stores.open()
  await w.store.create<{ n: number; t: string }>(doc, { action: 'test.create', resource: 'test' }, (d) => {
    d.n = 0
    d.t = text
  })
  for (let i = 1; i < n; i++)
    await w.store.change<{ n: number }>(doc, { action: 'test.step', resource: 'test' }, (d) => {
      d.n = i
    })
  return w
}

describe('write budget', () => {
  it('does not apply to a batch received with budget: false (a restore of the member’s own backup), which is still verified', async () => {
    const budget = new WriteBudget({ burstEntries: 10, entriesPerMinute: 6, now: () => 1_000_000 })
    const w = await writer(25)
    const r = await stores.open({ budget })
    const batch = await batchOf(w.store, w.signer.memberKey, doc)
    const restored = await r.store.receive(batch, { budget: false })
    expect(restored.rejected).toEqual([])
    expect((await r.store.chains.head(TEST_SCOPE, w.signer.memberKey))?.seq).toBe(25)
    // Verified all the same: a forged signature is refused, budget or not.
    const forged = await writer(3)
    const bad = await batchOf(forged.store, forged.signer.memberKey, doc)
    const last = bad.entries[2] as SignedEntry
    const signature = new Uint8Array(last.signature)
    signature[0] = (signature[0] as number) ^ 1
    const flipped: SignedEntry = { bytes: last.bytes, signature }
    const other = await stores.open({ budget })
    const result = await other.store.receive(
      { ...bad, entries: [...bad.entries.slice(0, 2), flipped] },
      { budget: false },
    )
    expect(result.rejected.map((x) => x.seq)).toEqual([3])
    expect(result.rejected[0]?.kind).not.toBe('budget')
  })

  it('takes an author’s burst, refuses the rest as budget (innocent, nothing stored), takes it after the refill', async () => {
    let now = 1_000_000
    const budget = new WriteBudget({ burstEntries: 10, entriesPerMinute: 6, now: () => now })
    const w = await writer(25)
    const r = await stores.open({ budget })
    const first = await r.store.receive(await batchOf(w.store, w.signer.memberKey, doc))
    expect(first.rejected).toHaveLength(15)
    expect(first.rejected.every((x) => x.kind === 'budget' && INNOCENT_KINDS.has('budget'))).toBe(true)
    expect(first.rejected.map((x) => x.seq)).toEqual(Array.from({ length: 15 }, (_, i) => 11 + i))
    expect((await r.store.chains.head(TEST_SCOPE, w.signer.memberKey))?.seq).toBe(10)
    expect(((await r.store.get(doc)) as { n: number }).n).toBe(9)

    // A minute later the bucket holds six more: anti-entropy sends the rest again.
    now += 60_000
    const second = await r.store.receive(await batchOf(w.store, w.signer.memberKey, doc))
    expect((await r.store.chains.head(TEST_SCOPE, w.signer.memberKey))?.seq).toBe(16)
    expect(second.rejected.filter((x) => x.kind === 'budget')).toHaveLength(9)
    now += 10 * 60_000
    await r.store.receive(await batchOf(w.store, w.signer.memberKey, doc))
    expect((await r.store.chains.head(TEST_SCOPE, w.signer.memberKey))?.seq).toBe(25)
    expect(((await r.store.get(doc)) as { n: number }).n).toBe(24)
  })

  it('bounds bytes too: a member writing large changes is held back', async () => {
    let now = 0
    const budget = new WriteBudget({ burstBytes: 20_000, bytesPerMinute: 10_000, now: () => now })
    const big = await writer(1, 'y'.repeat(30_000))
    const r = await stores.open({ budget })
    // The first entry always fits (the bucket is positive); it leaves the bucket in debt.
    await r.store.receive(await batchOf(big.store, big.signer.memberKey, doc))
    expect(budget.left(big.signer.memberKey).bytes).toBeLessThan(0)
    await big.store.change<{ n: number }>(doc, { action: 'test.step', resource: 'test' }, (d) => {
      d.n = 1
    })
    const held = await r.store.receive(await batchOf(big.store, big.signer.memberKey, doc))
    expect(held.rejected.map((x) => x.kind)).toEqual(['budget'])
    now += 2 * 60_000
    const taken = await r.store.receive(await batchOf(big.store, big.signer.memberKey, doc))
    expect(taken.rejected).toEqual([])
  })

  it('entries forged in a member’s name cost that member nothing', async () => {
    const budget = new WriteBudget({ burstEntries: 5, entriesPerMinute: 0, now: () => 0 })
    const w = await writer(3)
    const r = await stores.open({ budget })
    const real = await entriesOf(w.store, w.signer.memberKey)
    const forged: SignedEntry[] = real.map((e) => ({ bytes: e.bytes, signature: new Uint8Array(64) }))
    for (let i = 0; i < 4; i++)
      await r.store.receive({ entries: forged, changes: await w.store.changes(doc) })
    expect(budget.left(w.signer.memberKey).entries).toBe(5)
    const ok = await r.store.receive({ entries: real, changes: await w.store.changes(doc) })
    expect(ok.rejected).toEqual([])
    expect(budget.left(w.signer.memberKey).entries).toBe(2)
  })

  it('entries it does not take make no author tracked (a flood of made-up authors costs no memory)', async () => {
    const budget = new WriteBudget({ maxAuthors: 3 })
    const r = await stores.open({ budget })
    const w = await writer(1)
    const [real] = await entriesOf(w.store, w.signer.memberKey)
    const entries = Array.from({ length: 50 }, () => {
      const bytes = (real as SignedEntry).bytes.slice()
      bytes.set(fromHex(makeSigner().memberKey), ENTRY_DOMAIN.length)
      return { bytes, signature: new Uint8Array(64) }
    })
    const { admitted } = await budget.admit(entries, async () => 0)
    expect(admitted).toHaveLength(50)
    expect((budget as unknown as { buckets: Map<string, unknown> }).buckets.size).toBe(0)
    await r.store.receive({ entries, changes: [] })
    expect((budget as unknown as { buckets: Map<string, unknown> }).buckets.size).toBe(0)
  })

  it('tracks a bounded number of authors', async () => {
    const budget = new WriteBudget({ maxAuthors: 3 })
    for (let i = 0; i < 10; i++) {
      const s = makeSigner()
      budget.charge([{ author: s.memberKey, bytes: new Uint8Array(10), changes: [] } as never], new Map())
    }
    expect((budget as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(3)
  })
})
