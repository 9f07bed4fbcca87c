/**
 * `/api/v1/orgs/{org}/audit` through real nodes: the trail lists newest first with filters
 * and pages; verification is ok on honest chains and names a forged entry and a fork
 * planted in the store, with evidence; exports are 403 feature-locked without an
 * Enterprise license and parse back (JSON Lines, CSV) with one; a Recruit may verify but
 * not read.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Database, type Entry, type MemberKey, signEntry } from '../../../crdt/index.ts'
import { layout, readRuntimeFile } from '../../../node/index.ts'
import { publicKeyOf } from '../../../services/licensing/index.ts'
import { parse as parseCsv } from '../../helpers/csv-parse.ts'
import { issueLicense, testIssuer } from '../../helpers/license.ts'
import { buildChain, makeSigner } from '../../helpers/signer.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes()
let trustDir = ''
let trust: Record<string, unknown> = {}

beforeAll(async () => {
  trustDir = await mkdtemp(join(tmpdir(), 'vg-audit-trust-'))
  const pub = join(trustDir, 'test-issuer.pub')
  await writeFile(pub, JSON.stringify(publicKeyOf(testIssuer)))
  trust = { trust: [pub] }
})
afterAll(async () => {
  await rm(trustDir, { recursive: true, force: true })
})

interface AuditPage {
  items: { author: string; seq: number; time: number; action: string; resource: string }[]
  next: string | null
  total: number | null
}

/** A raw answer (status, headers, text): exports are not JSON. */
async function raw(t: TestNode, path: string): Promise<Response> {
  const token = (await readRuntimeFile(layout(t.dir).runtime))?.token ?? ''
  return fetch(`${t.node.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
}

async function orgWithShips(t: TestNode, ships: number): Promise<{ id: string; owner: string }> {
  const org = await t.api<{ id: string; owner: string }>('POST', '/api/v1/orgs', {
    name: 'Audit Org',
    tag: 'AUD',
    handle: 'Lead_A',
  })
  for (let i = 0; i < ships; i++)
    await t.api('POST', `/api/v1/orgs/${org.id}/ships`, { model: `Cutlass ${i}`, manufacturer: 'Drake' })
  return org
}

describe('/api/v1/orgs/{org}/audit', () => {
  it('lists newest first with filters and pages, verifies, and exports under an Enterprise license', async () => {
    const a = await nodes.start('audit', { license: trust })
    const org = await orgWithShips(a, 4)
    const base = `/api/v1/orgs/${org.id}/audit`

    const first = await a.api<AuditPage>('GET', base)
    expect(first.total).toBe(first.items.length)
    expect(first.items.map((e) => e.action)).toContain('org.create')
    expect(first.items.filter((e) => e.action === 'ship.add')).toHaveLength(4)
    const times = first.items.map((e) => e.time)
    expect(times).toEqual([...times].sort((x, y) => y - x))
    expect(first.items.at(-1)).toMatchObject({ action: 'org.create', seq: 1, author: org.owner })

    // Page by one: the same entries, in the same order.
    const paged: AuditPage['items'] = []
    let cursor: string | null = null
    do {
      const page: AuditPage = await a.api('GET', `${base}?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.items.length).toBe(1)
      paged.push(...page.items)
      cursor = page.next
    } while (cursor !== null)
    expect(paged).toEqual(first.items)

    const ships = await a.api<AuditPage>('GET', `${base}?action=ship.add&member=${org.owner}`)
    expect(ships.items.map((e) => e.action)).toEqual(['ship.add', 'ship.add', 'ship.add', 'ship.add'])
    expect(ships.total).toBe(4)
    const later = await a.api<AuditPage>('GET', `${base}?since=${(ships.items[1]?.time ?? 0) + 0}`)
    expect(later.items.every((e) => e.time >= (ships.items[1]?.time ?? 0))).toBe(true)

    await expect(a.api('GET', `${base}?member=zz`)).rejects.toMatchObject({
      field: 'member',
      kind: 'invalid',
    })
    await expect(a.api('GET', `${base}?limit=0`)).rejects.toMatchObject({ field: 'limit' })
    await expect(a.api('GET', `${base}?cursor=nope`)).rejects.toMatchObject({ field: 'cursor' })
    await expect(a.api('GET', `/api/v1/orgs/${'f'.repeat(32)}/audit`)).rejects.toMatchObject({
      code: 'org-not-found',
    })

    const verdict = await a.api<{
      ok: boolean
      chains: { author: string; status: string; verified: number }[]
    }>('GET', `${base}/verify`)
    expect(verdict).toMatchObject({ ok: true, chains: [{ author: org.owner, status: 'ok' }] })

    // Export: locked on the Free tier, open on Enterprise.
    const locked = await raw(a, `${base}/export?format=csv`)
    expect(locked.status).toBe(403)
    expect(await locked.json()).toMatchObject({ error: { code: 'feature-locked', feature: 'audit-export' } })
    await a.api('PUT', `/api/v1/orgs/${org.id}/license`, { text: issueLicense(org, 'pro') })
    expect((await raw(a, `${base}/export?format=csv`)).status).toBe(403)
    await a.api('PUT', `/api/v1/orgs/${org.id}/license`, { text: issueLicense(org, 'enterprise') })
    const badFormat = await raw(a, `${base}/export?format=xml`)
    expect(badFormat.status).toBe(400)
    expect(await badFormat.json()).toMatchObject({ error: { field: 'format' } })

    const all = (await a.api<AuditPage>('GET', base)).items
    const jsonl = await raw(a, `${base}/export?format=jsonl`)
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await jsonl.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((e) => [e.author, e.seq, e.action])).toEqual(all.map((e) => [e.author, e.seq, e.action]))
    const csv = await raw(a, `${base}/export?format=csv&action=ship.add`)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(csv.headers.get('content-disposition')).toContain(`audit-${org.id}.csv`)
    const rows = parseCsv(await csv.text())
    expect(rows[0]?.slice(0, 5)).toEqual(['time', 'author', 'seq', 'action', 'resource'])
    expect(rows.slice(1).map((r) => r[3])).toEqual(['ship.add', 'ship.add', 'ship.add', 'ship.add'])
  })

  it('verify names a forged entry and a fork planted in the store, with their evidence', async () => {
    const a = await nodes.start('audit-bad')
    const org = await orgWithShips(a, 1)
    const base = `/api/v1/orgs/${org.id}/audit`
    // Planted as a damaged or hostile store would hold them (the receive path refuses both).
    const mallory = makeSigner()
    const forger = { memberKey: mallory.memberKey, sign: makeSigner().sign }
    const honest = buildChain(mallory, 3, { body: () => ({ scope: org.id }) })
    const forged = signEntry({ ...(honest[1] as Entry), action: 'ship.delete', scope: org.id }, forger)
    const eve = makeSigner()
    const eveChain = buildChain(eve, 2, { body: () => ({ scope: org.id }) })
    const twin = signEntry({ ...(eveChain[0] as Entry), resource: 'ship:twin', scope: org.id }, eve)
    await a.node.stop()
    const db = await Database.open(layout(a.dir).db)
    try {
      const { ChainStore } = await import('../../../crdt/index.ts')
      const chains = new ChainStore({ db })
      await db.write(
        [honest[0], forged, honest[2]].flatMap((e) => chains.putOps(e as Entry)),
        true,
      )
      await db.write(chains.putAllOps(eveChain), true)
      await chains.recordFork(eveChain[0] as Entry, twin)
    } finally {
      await db.close()
    }
    await a.node.start()

    const verdict = await a.api<{
      ok: boolean
      chains: { author: string; status: string; issues: { kind: string; seq: number; evidence: unknown }[] }[]
    }>('GET', `${base}/verify`)
    expect(verdict.ok).toBe(false)
    const of = (k: MemberKey) => verdict.chains.find((c) => c.author === k)
    expect(of(org.owner as MemberKey)?.status).toBe('ok')
    const tampered = of(mallory.memberKey)
    expect(tampered?.status).toBe('tampered')
    expect(tampered?.issues).toContainEqual(
      expect.objectContaining({
        kind: 'tampered',
        seq: 2,
        reason: 'bad signature',
        evidence: expect.objectContaining({
          entry: expect.objectContaining({ action: 'ship.delete', seq: 2 }),
        }),
      }),
    )
    // The next entry links to the honest entry 2, not to the forged one.
    expect(tampered?.issues).toContainEqual(
      expect.objectContaining({ kind: 'tampered', seq: 3, reason: 'broken link to entry 2' }),
    )
    const fork = of(eve.memberKey)
    expect(fork?.status).toBe('fork')
    expect(fork?.issues[0]).toMatchObject({ kind: 'fork', seq: 1 })
    expect(
      ((fork?.issues[0]?.evidence ?? []) as { entry: { resource: string } }[])
        .map((e) => e.entry.resource)
        .sort(),
    ).toEqual(['ship:twin', 'test:resource-1'])
  })

  it('a Recruit may verify the trail but not read it (audit:view)', async () => {
    const [lead, recruit] = (await nodes.startNodes(2)) as [TestNode, TestNode]
    const org = await orgWithShips(lead, 0)
    const { token } = await lead.node.services.invites.createInvite(org.id, {
      rank: 'recruit',
      bootstrap: [lead.node.addresses()[0] as string],
    })
    await recruit.node.services.invites.accept(token, 'Rookie_1', recruit.node.admissions)
    await waitFor(
      'the recruit holds the org',
      async () => (await recruit.node.services.org.listOrgs()).length > 0,
      30_000,
    )
    const base = `/api/v1/orgs/${org.id}/audit`
    await expect(recruit.api('GET', base)).rejects.toMatchObject({
      code: 'permission-denied',
      kind: 'forbidden',
    })
    await expect(recruit.api('GET', `${base}/export?format=jsonl`)).rejects.toMatchObject({
      code: 'permission-denied',
    })
    const verdict = await recruit.api<{ ok: boolean }>('GET', `${base}/verify`)
    expect(verdict.ok).toBe(true)
  })
})
