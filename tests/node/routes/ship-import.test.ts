/**
 * `POST /orgs/{org}/ships/import` through real nodes: a recruit imports a HangarXPLOR
 * export; the leader's node receives the one change over loopback and its audit trail
 * shows one `ship.import` entry (not one `ship.add` per ship); a dry run changes nothing;
 * bad and too-large files are refused through the one error model (a body past the API's
 * own bound, 2 MiB, is answered 413 before it is read: tests/node/api.test.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { layout, readRuntimeFile } from '../../../node/index.ts'
import { foundOrg, joinOrg } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

interface ImportResult {
  format: string
  dryRun: boolean
  added: { id: string | null; row: number; model: string }[]
  skipped: { row: number; model: string; reason: string }[]
}
interface Page<T> {
  items: T[]
  next: string | null
}
interface Ship {
  id: string
  owner: string
  model: string
  name: string
}
interface AuditEntry {
  author: string
  action: string
  details: Record<string, unknown> | null
}

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/import', name), 'utf8')

/** One request; the status and the JSON body, whatever the status. */
async function raw(t: TestNode, method: string, path: string, body?: unknown) {
  const token = (await readRuntimeFile(layout(t.dir).runtime))?.token ?? ''
  const res = await fetch(`${t.node.apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as { error?: Record<string, string> } }
}

let leader: TestNode
let recruit: TestNode
let org: string
let R: string
const api = <T>(t: TestNode, method: string, path: string, body?: unknown) =>
  t.api<T>(method, `/api/v1${path}`, body)
const hangarOf = async (t: TestNode, owner: string) =>
  (await api<Page<Ship>>(t, 'GET', `/orgs/${org}/ships?owner=${owner}&limit=500`)).items

const nodes = useNodes('file')
beforeAll(async () => {
  const o = await foundOrg(nodes, 'Import Org')
  leader = o.leader
  org = o.org.id
  recruit = await joinOrg(nodes, o, 'recruit', 'Rookie_R')
  R = recruit.node.services.org.me
}, 60_000)

describe('POST /orgs/{org}/ships/import', () => {
  it('a dry run answers what would change and changes nothing', async () => {
    const dry = await api<ImportResult>(recruit, 'POST', `/orgs/${org}/ships/import`, {
      text: fixture('hangarxplor.json'),
      dryRun: true,
    })
    expect(dry).toMatchObject({ format: 'hangarxplor-json', dryRun: true })
    expect(dry.added.map((s) => [s.model, s.id])).toEqual([
      ['Cutlass Black', null],
      ['Avenger Titan', null],
      ['Aurora MR', null],
      ['Zeus Mk XII Concept', null],
    ])
    expect(await hangarOf(recruit, 'me')).toEqual([])
  })

  it('imports as one change with one audit entry, and the leader’s node receives it', async () => {
    const result = await api<ImportResult>(recruit, 'POST', `/orgs/${org}/ships/import`, {
      text: fixture('hangarxplor.json'),
    })
    expect(result.added).toHaveLength(4)
    expect(result.skipped.map((s) => [s.row, s.reason])).toEqual([
      [5, 'duplicate-in-file'],
      [6, 'not-a-ship'],
    ])
    const ids = result.added.map((s) => s.id).sort()
    expect((await hangarOf(recruit, 'me')).map((s) => s.id).sort()).toEqual(ids)

    await waitFor('the import on the leader’s node', async () => (await hangarOf(leader, R)).length === 4)
    expect((await hangarOf(leader, R)).map((s) => s.id).sort()).toEqual(ids)

    const audit = async (action: string) =>
      (await api<Page<AuditEntry>>(leader, 'GET', `/orgs/${org}/audit?member=${R}&action=${action}`)).items
    await waitFor(
      'the import entry in the leader’s audit',
      async () => (await audit('ship.import')).length === 1,
    )
    expect((await audit('ship.import'))[0]).toMatchObject({ author: R, details: { added: 4, skipped: 2 } })
    expect(await audit('ship.add')).toEqual([])
  }, 60_000)

  it('the same ships again, as CSV: every one skipped as in the hangar', async () => {
    const again = await api<ImportResult>(recruit, 'POST', `/orgs/${org}/ships/import`, {
      text: fixture('hangarxplor.csv'),
      format: 'hangarxplor-csv',
    })
    expect(again.added.map((s) => s.model)).toEqual(['P-52 Merlin'])
    expect(again.skipped.every((s) => s.reason === 'duplicate-in-hangar')).toBe(true)
  })

  it('the largest import (1,000 ships, every field at its longest) reaches the other node whole', async () => {
    const full = Array.from({ length: 1000 }, (_, i) => ({
      name: `${String(i).padStart(4, '0')}${'M'.repeat(76)}`,
      manufacturer_name: 'm'.repeat(60),
      ship_name: 'n'.repeat(80),
      pledge_id: `${String(i).padStart(4, '0')}${'9'.repeat(36)}`,
      pledge_date: '2019-11-30',
      pledge_cost: '$999,999.99 USD',
      lti: true,
    }))
    const L = leader.node.services.org.me
    const result = await api<ImportResult>(leader, 'POST', `/orgs/${org}/ships/import`, {
      text: JSON.stringify(full),
    })
    expect(result.added).toHaveLength(1000)
    const held = async () =>
      (await api<{ total: number }>(recruit, 'GET', `/orgs/${org}/ships?owner=${L}&limit=1`)).total
    await waitFor('the 1,000 ships on the recruit’s node', async () => (await held()) === 1000, {
      timeoutMs: 30_000,
    })
  }, 60_000)

  it('bad files and bodies: 400 naming what is wrong; nothing changed', async () => {
    const before = (await hangarOf(recruit, 'me')).length
    const path = `/orgs/${org}/ships/import`
    const cases: [unknown, number, string, RegExp][] = [
      [{ text: '{oops' }, 400, 'import-file-invalid', /import file: not JSON/],
      [
        { text: 'Model\nVulture\n', format: 'hangarxplor-csv' },
        400,
        'import-file-invalid',
        /missing the column Ship/,
      ],
      [{ text: '[]', format: 'xml' }, 400, 'invalid-input', /format/],
      [{ format: 'fleetyards' }, 400, 'invalid-input', /text/],
      [{ text: 'x'.repeat(1024 * 1024 + 1) }, 400, 'import-too-large', /more than the 1048576 bytes/],
    ]
    for (const [body, status, code, message] of cases) {
      const res = await raw(recruit, 'POST', path, body)
      expect(res.status, code).toBe(status)
      expect(res.body.error?.code).toBe(code)
      expect(res.body.error?.message).toMatch(message)
    }
    expect(await hangarOf(recruit, 'me')).toHaveLength(before)
  })
})
