/**
 * The audit service over a real chain store (memory storage): listings newest first across
 * every author's chain, filtered and paged without loss or repeat; verification verdicts on
 * honest and planted bad chains, with their evidence; exports gated and parsing back.
 */
import { describe, expect, it } from 'vitest'
import {
  ChainStore,
  Database,
  type Entry,
  type EntryBody,
  type MemberKey,
  signEntry,
} from '../../../crdt/index.ts'
import { AuditService } from '../../../services/audit/index.ts'
import type { AuthState } from '../../../services/org/index.ts'
import { FeatureLockedError } from '../../../services/org/index.ts'
import { BASE_TIME, buildChain, makeSigner, TEST_SCOPE, type TestSigner } from '../../helpers/signer.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-audit-')

/** An authorization state where `members` are members, those in `viewers` hold audit:view. */
function stateOf(members: readonly string[], viewers: readonly string[]): AuthState {
  return {
    isMember: (k: string) => members.includes(k),
    can: (k: string, p: string) => p === 'audit:view' && viewers.includes(k),
    rankOf: (k: string) => (members.includes(k) ? 'recruit' : undefined),
    rank: () => ({ name: 'Recruit' }),
  } as unknown as AuthState
}

interface Setup {
  db: Database
  chains: ChainStore
  service: (opts?: { self?: string; viewer?: boolean; licensed?: boolean }) => AuditService
  signers: TestSigner[]
}

async function setup(n = 3): Promise<Setup> {
  const db = await Database.memory()
  dirs.defer(() => db.close())
  const chains = new ChainStore({ db })
  const signers = Array.from({ length: n }, () => makeSigner())
  const keys = signers.map((s) => s.memberKey)
  return {
    db,
    chains,
    signers,
    service: (opts = {}) => {
      const self = (opts.self ?? keys[0]) as MemberKey
      return new AuditService({
        chains,
        self,
        state: async () => stateOf(keys, opts.viewer === false ? [] : keys),
        gate: {
          require: async (_org, feature) => {
            if (opts.licensed !== true) throw new FeatureLockedError(feature, 'no license')
          },
        },
      })
    },
  }
}

/** Writes entries as a receive does (runs share records) or one record each (local actions). */
async function store(s: Setup, entries: readonly Entry[], runs = true): Promise<void> {
  await s.db.write(runs ? s.chains.putAllOps(entries) : entries.flatMap((e) => s.chains.putOps(e)), false)
  for (const e of entries) s.chains.appended(e)
}

/** A chain whose entry `seq` is at `time(seq)`. */
function chain(
  signer: TestSigner,
  n: number,
  time: (seq: number) => number,
  body: (seq: number) => Partial<EntryBody> = () => ({}),
) {
  return buildChain(signer, n, { body: (seq) => ({ time: time(seq), ...body(seq) }) })
}

const newestFirst = (a: Entry, b: Entry) =>
  b.time - a.time || (a.author < b.author ? 1 : a.author > b.author ? -1 : 0) || b.seq - a.seq

async function pages(service: AuditService, filter = {}, limit = 7) {
  const seen: { author: string; seq: number }[] = []
  let cursor: string | undefined
  let n = 0
  do {
    const page = await service.list(TEST_SCOPE, filter, { limit, ...(cursor ? { cursor } : {}) })
    seen.push(...page.items.map((e) => ({ author: e.author, seq: e.seq })))
    cursor = page.next ?? undefined
    if (++n > 1000) throw new Error('paging does not end')
  } while (cursor !== undefined)
  return seen
}

describe('AuditService.list', () => {
  it('gives every entry of every chain once, newest first, page after page', async () => {
    const s = await setup(3)
    const [a, b, c] = s.signers as [TestSigner, TestSigner, TestSigner]
    // Interleaved clocks; two entries of different authors share a time (ties by author, seq).
    const all = [
      ...chain(a, 40, (q) => BASE_TIME + q * 10),
      ...chain(b, 300, (q) => BASE_TIME + q * 3),
      ...chain(c, 5, (q) => BASE_TIME + q * 100),
    ]
    await store(s, all.slice(0, 40), false)
    await store(s, all.slice(40))
    const expected = [...all].sort(newestFirst).map((e) => ({ author: e.author, seq: e.seq }))
    expect(await pages(s.service())).toEqual(expected)
    const first = await s.service().list(TEST_SCOPE, {}, { limit: 5 })
    expect(first.total).toBe(345)
    expect(first.items.map((e) => e.time)).toEqual([...first.items.map((e) => e.time)].sort((x, y) => y - x))
    expect(first.items[0]).toMatchObject({ author: b.memberKey, seq: 300, action: 'test.change', changes: 2 })
  })

  it('filters by member, action, document and time range, inclusive at both ends', async () => {
    const s = await setup(2)
    const [a, b] = s.signers as [TestSigner, TestSigner]
    const all = [...chain(a, 30, (q) => BASE_TIME + q * 7), ...chain(b, 30, (q) => BASE_TIME + q * 5)]
    await store(s, all)
    const keep = (f: (e: Entry) => boolean) =>
      all
        .filter(f)
        .sort(newestFirst)
        .map((e) => ({ author: e.author, seq: e.seq }))
    expect(await pages(s.service(), { member: b.memberKey }, 4)).toEqual(
      keep((e) => e.author === b.memberKey),
    )
    expect(await pages(s.service(), { action: 'test.change' })).toEqual(
      keep((e) => e.action === 'test.change'),
    )
    expect(await pages(s.service(), { doc: 'test:resource-3' })).toEqual(
      keep((e) => e.resource === 'test:resource-3'),
    )
    expect(await pages(s.service(), { doc: 'test:doc-1' }, 3)).toEqual(keep((e) => e.doc === 'test:doc-1'))
    const since = BASE_TIME + 35
    const until = BASE_TIME + 105
    expect(await pages(s.service(), { since, until }, 3)).toEqual(
      keep((e) => e.time >= since && e.time <= until),
    )
    expect(await pages(s.service(), { member: a.memberKey, since, until, action: 'test.note' }, 2)).toEqual(
      keep((e) => e.author === a.memberKey && e.time >= since && e.time <= until && e.action === 'test.note'),
    )
    // total counts every page's matches; a doc filter (matched by hash) gives none.
    expect((await s.service().list(TEST_SCOPE, { action: 'test.note' }, { limit: 2 })).total).toBe(30)
    expect((await s.service().list(TEST_SCOPE, { member: a.memberKey, since }, { limit: 2 })).total).toBe(
      keep((e) => e.author === a.memberKey && e.time >= since).length,
    )
    expect((await s.service().list(TEST_SCOPE, { doc: 'test:doc-1' })).total).toBeNull()
  })

  it('an author whose clock ran backwards is still listed once, in time order', async () => {
    const s = await setup(2)
    const [a, b] = s.signers as [TestSigner, TestSigner]
    const skewed = chain(a, 50, (q) => BASE_TIME + (q % 7) * 1000 + q)
    const steady = chain(b, 50, (q) => BASE_TIME + q * 130)
    await store(s, [...skewed, ...steady])
    const expected = [...skewed, ...steady].sort(newestFirst).map((e) => ({ author: e.author, seq: e.seq }))
    expect(await pages(s.service(), {}, 3)).toEqual(expected)
  })

  it('sees entries appended after its first listing', async () => {
    const s = await setup(2)
    const [a, b] = s.signers as [TestSigner, TestSigner]
    const aChain = chain(a, 10, (q) => BASE_TIME + q * 10)
    await store(s, aChain.slice(0, 5))
    const svc = s.service()
    expect((await svc.list(TEST_SCOPE, {})).total).toBe(5)
    await store(s, aChain.slice(5), false)
    await store(
      s,
      chain(b, 3, (q) => BASE_TIME + q),
    )
    const page = await svc.list(TEST_SCOPE, {}, { limit: 100 })
    expect(page.total).toBe(13)
    expect(page.items[0]).toMatchObject({ author: a.memberKey, seq: 10 })
    expect(page.items.at(-1)).toMatchObject({ author: b.memberKey, seq: 1 })
  })

  it('refuses bad filters and cursors, naming the field, and readers without audit:view', async () => {
    const s = await setup(2)
    const svc = s.service()
    await expect(svc.list(TEST_SCOPE, { member: 'nope' })).rejects.toMatchObject({ field: 'member' })
    await expect(svc.list(TEST_SCOPE, { since: 10, until: 5 })).rejects.toMatchObject({ field: 'since' })
    await expect(svc.list(TEST_SCOPE, {}, { cursor: 'garbage' })).rejects.toMatchObject({ field: 'cursor' })
    await expect(svc.list(TEST_SCOPE, {}, { limit: 0 })).rejects.toMatchObject({ field: 'limit' })
    await expect(s.service({ viewer: false }).list(TEST_SCOPE, {})).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      permission: 'audit:view',
      rank: 'Recruit',
    })
    await expect(s.service({ self: makeSigner().memberKey }).verify(TEST_SCOPE)).rejects.toMatchObject({
      name: 'PermissionDeniedError',
      rank: null,
    })
    // Verifying needs only membership.
    await expect(s.service({ viewer: false }).verify(TEST_SCOPE)).resolves.toMatchObject({ ok: true })
  })
})

describe('AuditService.verify', () => {
  it('honest chains are ok; a forged entry is tampered and a stored fork proof is a fork, with evidence', async () => {
    const s = await setup(3)
    const [a, b, c] = s.signers as [TestSigner, TestSigner, TestSigner]
    const honest = chain(a, 6, (q) => BASE_TIME + q)
    await store(s, honest)
    expect(await s.service().verify(TEST_SCOPE)).toMatchObject({
      ok: true,
      chains: [{ author: a.memberKey, status: 'ok', entries: 6, verified: 6, issues: [] }],
    })

    // b's entry 3 rewritten by someone else's key: the chain as stored, signature invalid.
    const bChain = chain(b, 5, (q) => BASE_TIME + q)
    const third = bChain[2] as Entry
    const forger = { memberKey: b.memberKey, sign: c.sign }
    const forged = signEntry({ ...third, action: 'ship.delete', scope: TEST_SCOPE }, forger)
    await store(s, [...bChain.slice(0, 2), forged, ...bChain.slice(3)], false)
    // c equivocated: two validly signed entries with seq 2; the second kept as proof.
    const cChain = chain(c, 3, (q) => BASE_TIME + q)
    await store(s, cChain)
    const other = signEntry({ ...(cChain[1] as Entry), action: 'ship.add', resource: 'ship:other' }, c)
    await s.chains.recordFork(cChain[1] as Entry, other)

    const report = await s.service().verify(TEST_SCOPE)
    expect(report.ok).toBe(false)
    const byAuthor = new Map(report.chains.map((r) => [r.author, r]))
    expect(byAuthor.get(a.memberKey)?.status).toBe('ok')
    const tampered = byAuthor.get(b.memberKey)
    expect(tampered?.status).toBe('tampered')
    expect(tampered?.issues).toContainEqual(
      expect.objectContaining({
        kind: 'tampered',
        seq: 3,
        reason: 'bad signature',
        evidence: expect.objectContaining({
          entry: expect.objectContaining({ action: 'ship.delete', seq: 3 }),
        }),
      }),
    )
    const fork = byAuthor.get(c.memberKey)
    expect(fork?.status).toBe('fork')
    const issue = fork?.issues.find((i) => i.kind === 'fork')
    expect(issue).toMatchObject({ kind: 'fork', seq: 2 })
    const evidence = issue?.kind === 'fork' ? issue.evidence : []
    expect(evidence.map((e) => e.entry?.resource).sort()).toEqual(['ship:other', 'test:resource-2'])
    expect(Buffer.from(evidence[0]?.bytes ?? '', 'base64').length).toBeGreaterThan(100)
    // The rest of c's chain still links: only the fork is reported.
    expect(fork?.issues.map((i) => i.kind)).toEqual(['fork'])
  })

  it('a missing stretch is a gap', async () => {
    const s = await setup(1)
    const [a] = s.signers as [TestSigner]
    const all = chain(a, 6, (q) => BASE_TIME + q)
    await store(s, [...all.slice(0, 2), ...all.slice(4)], false)
    const report = await s.service().verify(TEST_SCOPE)
    expect(report.chains[0]).toMatchObject({ status: 'gap', issues: [{ kind: 'gap', from: 3, to: 4 }] })
  })
})

describe('AuditService.export', () => {
  it('is locked without the audit-export feature; JSON Lines and CSV parse back with it', async () => {
    const s = await setup(2)
    const [a, b] = s.signers as [TestSigner, TestSigner]
    const all = [
      ...chain(
        a,
        4,
        (q) => BASE_TIME + q * 2,
        (q) => ({ details: { note: `a "quoted", line\n${q}` } }),
      ),
      ...chain(b, 3, (q) => BASE_TIME + q * 3),
    ]
    await store(s, all)
    await expect(s.service().export(TEST_SCOPE, 'csv', {})).rejects.toMatchObject({
      name: 'FeatureLockedError',
      feature: 'audit-export',
    })
    await expect(
      s.service({ viewer: false, licensed: true }).export(TEST_SCOPE, 'csv', {}),
    ).rejects.toMatchObject({
      name: 'PermissionDeniedError',
    })
    await expect(s.service({ licensed: true }).export(TEST_SCOPE, 'xml', {})).rejects.toMatchObject({
      field: 'format',
    })

    const text = async (format: string, filter = {}) => {
      let out = ''
      for await (const line of await s.service({ licensed: true }).export(TEST_SCOPE, format, filter))
        out += line
      return out
    }
    const order = [...all].sort(newestFirst)
    const jsonl = (await text('jsonl'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(jsonl.map((e) => [e.author, e.seq])).toEqual(order.map((e) => [e.author, e.seq]))
    expect(jsonl.find((e) => e.author === a.memberKey && e.seq === 2)?.details).toEqual({
      note: 'a "quoted", line\n2',
    })

    const { parse } = await import('../../helpers/csv-parse.ts')
    const rows = parse(await text('csv'))
    expect(rows[0]).toEqual([
      'time',
      'author',
      'seq',
      'action',
      'resource',
      'doc',
      'changes',
      'hash',
      'prev',
      'details',
    ])
    expect(rows.slice(1).map((r) => [r[1], Number(r[2])])).toEqual(order.map((e) => [e.author, e.seq]))
    const row = rows.find((r) => r[1] === a.memberKey && r[2] === '2') as string[]
    expect(JSON.parse(row[9] as string)).toEqual({ note: 'a "quoted", line\n2' })
    expect(row[0]).toBe(new Date(BASE_TIME + 4).toISOString())
    expect(parse(await text('csv', { member: b.memberKey })).length).toBe(1 + 3)
  })
})
