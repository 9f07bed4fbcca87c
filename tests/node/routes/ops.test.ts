/**
 * `/api/v1/orgs/{org}/ops` on real nodes: the whole life of an operation through the API,
 * the calendars read back with ical.js, and the refused paths (bad input naming the field,
 * unknown ids, a status step the lifecycle forbids, a Member acting as the leader).
 */
import { describe, expect, it } from 'vitest'
import { layout, readRuntimeFile } from '../../../node/index.ts'
import type { OperationView } from '../../../services/operations/index.ts'
import { parseIcs } from '../../helpers/ics.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes()
const HOUR = 3_600_000
const at = (h: number) => Math.floor(Date.now() / 60_000) * 60_000 + h * HOUR

/** A raw answer (the calendars are not JSON). */
async function raw(t: TestNode, path: string): Promise<Response> {
  const token = (await readRuntimeFile(layout(t.dir).runtime))?.token ?? ''
  return fetch(`${t.node.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
}

async function founded(t: TestNode): Promise<string> {
  const org = await t.api<{ id: string }>('POST', '/api/v1/orgs', {
    name: 'Ops Org',
    tag: 'OPS',
    handle: 'Lead_L',
  })
  return org.id
}

type Page = { items: OperationView[]; next: string | null; total: number }

describe('operations API', () => {
  it('runs an operation from planning to completion, with slots, sign-ups and calendars', async () => {
    const l = await nodes.start('l')
    const org = await founded(l)
    const base = `/api/v1/orgs/${org}/ops`
    const me = (await l.api<{ memberKey: string }>('GET', '/api/v1/status')).memberKey

    const op = await l.api<OperationView>('POST', base, {
      title: 'Halo run',
      type: 'mining',
      scheduledAt: new Date(at(48)).toISOString(),
      durationMin: 90,
      slots: [{ role: 'Miner' }],
    })
    expect(op).toMatchObject({ title: 'Halo run', status: 'planned', scheduledAt: at(48), leader: me })
    const later = await l.api<OperationView>('POST', base, {
      title: 'Patrol',
      type: 'combat',
      scheduledAt: at(72),
      durationMin: 60,
      status: 'draft',
    })
    const soon = await l.api<OperationView>('POST', base, {
      title: 'Drill',
      type: 'training',
      scheduledAt: at(2),
      durationMin: 30,
    })
    // Sorted by start time, a page at a time.
    const first = await l.api<Page>('GET', `${base}?limit=2`)
    expect(first.items.map((o) => o.id)).toEqual([soon.id, op.id])
    expect(first.total).toBe(3)
    const second = await l.api<Page>('GET', `${base}?limit=2&cursor=${first.next}`)
    expect(second).toMatchObject({ items: [expect.objectContaining({ id: later.id })], next: null })
    expect((await l.api<Page>('GET', `${base}?status=draft`)).items.map((o) => o.id)).toEqual([later.id])
    expect((await l.api<Page>('GET', `${base}?sort=start&order=desc`)).items[0]?.id).toBe(later.id)

    // Update, slots, sign-ups.
    const patched = await l.api<OperationView>('PATCH', `${base}/${op.id}`, {
      title: 'Halo run, west',
      durationMin: 120,
    })
    expect(patched).toMatchObject({ title: 'Halo run, west', durationMin: 120 })
    const added = await l.api<{ slot: string; op: OperationView }>('POST', `${base}/${op.id}/slots`, {
      role: 'Escort',
    })
    expect(added.op.slots.map((s) => s.role)).toEqual(['Escort', 'Miner'])
    const removed = await l.api<OperationView>('DELETE', `${base}/${op.id}/slots/${added.slot}`)
    expect(removed.slots.map((s) => s.role)).toEqual(['Miner'])
    const miner = removed.slots[0]?.id
    const signed = await l.api<OperationView>('PUT', `${base}/${op.id}/signup`, {
      slot: miner,
      tentative: true,
    })
    expect(signed.participants).toEqual([
      expect.objectContaining({ memberKey: me, role: 'Miner', slot: miner, state: 'tentative' }),
    ])
    const confirmed = await l.api<OperationView>('POST', `${base}/${op.id}/participants/${me}/confirm`)
    expect(confirmed.participants[0]?.state).toBe('confirmed')
    // With one of his ships; a ship not in his hangar names the field.
    const ship = await l.api<{ id: string }>('POST', `/api/v1/orgs/${org}/ships`, {
      model: 'Prospector',
      manufacturer: 'MISC',
    })
    await expect(
      l.api('PUT', `${base}/${op.id}/signup`, { slot: miner, ship: '0123456789abcdef' }),
    ).rejects.toMatchObject({ status: 400, field: 'ship' })
    const withShip = await l.api<OperationView>('PUT', `${base}/${op.id}/signup`, {
      slot: miner,
      ship: ship.id,
    })
    expect(withShip.participants[0]).toMatchObject({ ship: ship.id, state: 'pending' })
    const withdrawn = await l.api<OperationView>('DELETE', `${base}/${op.id}/signup`)
    expect(withdrawn.participants[0]).toMatchObject({ state: 'withdrawn', slot: null })

    // The lifecycle; a step it forbids is a 409 naming the allowed ones.
    await expect(l.api('PUT', `${base}/${op.id}/status`, { status: 'completed' })).rejects.toMatchObject({
      status: 409,
      code: 'operation-conflict',
      field: 'status',
      message: expect.stringMatching(
        /cannot go from planned to completed \(allowed: open, in-progress, cancelled\)/,
      ),
    })
    for (const status of ['in-progress', 'completed'])
      expect((await l.api<OperationView>('PUT', `${base}/${op.id}/status`, { status })).status).toBe(status)
    await expect(l.api('POST', `${base}/${op.id}/cancel`)).rejects.toMatchObject({ status: 409 })
    expect((await l.api<OperationView>('POST', `${base}/${later.id}/cancel`)).status).toBe('cancelled')
    expect((await l.api<Page>('GET', `${base}?when=past`)).items.map((o) => o.id).sort()).toEqual(
      [op.id, later.id].sort(),
    )
    expect((await l.api<Page>('GET', `${base}?when=upcoming`)).items.map((o) => o.id)).toEqual([soon.id])
    expect(await l.api<OperationView>('GET', `${base}/${soon.id}`)).toMatchObject({ title: 'Drill' })

    // One operation's calendar, and every upcoming one's, as RFC 5545 in UTC.
    const one = await raw(l, `${base}/${op.id}/ical`)
    expect(one.status).toBe(200)
    expect(one.headers.get('content-type')).toMatch(/^text\/calendar/)
    const parsed = parseIcs(await one.text())
    expect(parsed.events).toEqual([
      {
        uid: `${op.id}@verseguy`,
        summary: 'Halo run, west',
        status: 'CONFIRMED',
        start: new Date(at(48)),
        end: new Date(at(50)),
        utc: true,
      },
    ])
    const upcoming = await raw(l, `${base}/ical`)
    expect(upcoming.headers.get('content-type')).toMatch(/^text\/calendar/)
    expect(parseIcs(await upcoming.text()).events.map((e) => e.summary)).toEqual(['Drill'])
    const asJson = await l.api<{ calendar: string }>('GET', `${base}/ical?format=json`)
    expect(parseIcs(asJson.calendar).events.map((e) => e.uid)).toEqual([`${soon.id}@verseguy`])

    // The OpenAPI document says so.
    const doc = await l.api<{
      paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }>
    }>('GET', '/api/v1/openapi.json')
    for (const path of ['/orgs/{org}/ops/ical', '/orgs/{org}/ops/{op}/ical'])
      expect(Object.keys(doc.paths[path]?.get?.responses['200']?.content ?? {})).toContain('text/calendar')

    // Refused: bad input naming the field, unknown ids.
    const bad: [string, string, unknown, string][] = [
      ['POST', base, { title: 'x', type: 'piracy', scheduledAt: at(1), durationMin: 10 }, 'type'],
      ['POST', base, { title: 'x', type: 'mining', scheduledAt: 'soonish', durationMin: 10 }, 'scheduledAt'],
      ['POST', base, { title: ' ', type: 'mining', scheduledAt: at(1), durationMin: 10 }, 'title'],
      ['PATCH', `${base}/${soon.id}`, { durationMin: 0 }, 'durationMin'],
      ['PUT', `${base}/${soon.id}/status`, { status: 'done' }, 'status'],
      ['GET', `${base}?when=someday`, undefined, 'when'],
      ['GET', `${base}/not-an-op`, undefined, 'op'],
      ['PUT', `${base}/${soon.id}/signup`, { slot: 'ab'.repeat(8) }, 'slot'],
    ]
    for (const [method, path, input, field] of bad)
      await expect(l.api(method, path, input), `${method} ${path}`).rejects.toMatchObject({
        status: 400,
        code: 'invalid-input',
        field,
      })
    const unknown = 'ab'.repeat(16)
    await expect(l.api('GET', `${base}/${unknown}`)).rejects.toMatchObject({
      status: 404,
      code: 'operation-not-found',
    })
    await expect(raw(l, `${base}/${unknown}/ical`).then((r) => r.status)).resolves.toBe(404)
    await expect(l.api('GET', `/api/v1/orgs/${'cd'.repeat(16)}/ops`)).rejects.toMatchObject({ status: 404 })
  })

  it('a Member may sign up himself but not someone else, nor lead an operation he does not lead', async () => {
    const [l, m] = await Promise.all([nodes.start('l'), nodes.start('m')])
    const org = await founded(l)
    const base = `/api/v1/orgs/${org}/ops`
    const inv = await l.api<{ token: string }>('POST', `/api/v1/orgs/${org}/invites`, { rank: 'member' })
    await m.api('POST', '/api/v1/invites/accept', { token: inv.token, handle: 'Mem_M' })
    const leaderKey = (await l.api<{ memberKey: string }>('GET', '/api/v1/status')).memberKey
    const memberKey = (await m.api<{ memberKey: string }>('GET', '/api/v1/status')).memberKey
    const op = await l.api<OperationView>('POST', base, {
      title: 'Escort',
      type: 'combat',
      scheduledAt: at(24),
      durationMin: 60,
    })
    await waitFor('the operation on the member node', () => m.api('GET', `${base}/${op.id}`))

    // A Member may not schedule, sign up someone else, confirm, edit or cancel.
    const forbidden: [string, string, unknown, string][] = [
      ['POST', base, { title: 'Mine', type: 'mining', scheduledAt: at(5), durationMin: 30 }, 'ops:create'],
      ['PUT', `${base}/${op.id}/participants/${leaderKey}`, { role: 'Pilot' }, 'ops:manage'],
      ['PATCH', `${base}/${op.id}`, { title: 'Hijacked' }, 'ops:manage'],
      ['POST', `${base}/${op.id}/cancel`, undefined, 'ops:manage'],
      ['PUT', `${base}/${op.id}/status`, { status: 'open' }, 'ops:manage'],
      ['POST', `${base}/${op.id}/slots`, { role: 'Gunner' }, 'ops:manage'],
    ]
    for (const [method, path, input, permission] of forbidden) {
      const err = await m.api(method, path, input).then(
        () => null,
        (e: unknown) => e,
      )
      // Refused early by the service (with the rank) or by the rules every node runs: 403 either way.
      expect(err, `${method} ${path}`).toMatchObject({
        status: 403,
        message: expect.stringContaining(permission),
      })
    }
    const create = await m
      .api('POST', base, { title: 'Mine', type: 'mining', scheduledAt: at(5), durationMin: 30 })
      .catch((e: unknown) => e)
    expect(create).toMatchObject({ status: 403, code: 'permission-denied' })
    expect((create as Error).message).toMatch(/needs ops:create, which your rank Member does not have/)
    const denied = await m
      .api('PUT', `${base}/${op.id}/participants/${leaderKey}`, { role: 'Pilot' })
      .catch((e: { code: string; message: string }) => e)
    expect(denied).toMatchObject({ code: 'permission-denied' })
    expect((denied as { message: string }).message).toMatch(
      /ops:manage, which your rank Member does not have/,
    )

    // Himself he may sign up; the leader sees it, confirms it, and removes it.
    await m.api('PUT', `${base}/${op.id}/signup`, { role: 'Gunner' })
    await waitFor('the sign-up on the leader node', async () =>
      (await l.api<OperationView>('GET', `${base}/${op.id}`)).participants.some(
        (p) => p.memberKey === memberKey,
      ),
    )
    const confirmed = await l.api<OperationView>('POST', `${base}/${op.id}/participants/${memberKey}/confirm`)
    expect(confirmed.participants).toEqual([expect.objectContaining({ memberKey, state: 'confirmed' })])
    const gone = await l.api<OperationView>('DELETE', `${base}/${op.id}/participants/${memberKey}`)
    expect(gone.participants).toEqual([])
    // The leader signs the member up in his place.
    const placed = await l.api<OperationView>('PUT', `${base}/${op.id}/participants/${memberKey}`, {
      role: 'Pilot',
    })
    expect(placed.participants).toEqual([
      expect.objectContaining({ memberKey, role: 'Pilot', state: 'confirmed' }),
    ])
    await waitFor('the leader-made sign-up on the member node', async () =>
      (await m.api<OperationView>('GET', `${base}/${op.id}`)).participants.some((p) => p.role === 'Pilot'),
    )
  })
})
