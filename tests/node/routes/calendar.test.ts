/**
 * The calendar feed on a real node, over HTTP as a calendar app fetches it: the URL the
 * API hands out serves the org's operations (read back with ical.js), follows new ones,
 * answers 304 to a poll that has it already, accepts a LAN Host that /api refuses, ends an
 * old URL the moment it is rotated, gives a wrong token a bare 404 (then 429 past a small
 * per-address budget, while the right token still works) and a member whose rank cannot
 * see operations a 403.
 */
import { request as httpRequest } from 'node:http'
import { describe, expect, it } from 'vitest'
import { WRONG_TOKEN_BURST, WRONG_TOKEN_DELAY_MS } from '../../../node/calendar-feed.ts'
import type { OperationView } from '../../../services/operations/index.ts'
import { parseIcs } from '../../helpers/ics.ts'
import { foundOrg, joinOrg, license, trustingTestIssuer } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes()
const HOUR = 3_600_000
const DAY = 24 * HOUR
const at = (ms: number) => Math.floor((Date.now() + ms) / 60_000) * 60_000

interface Feed {
  url: string
  webcal: string
  running: boolean
  pastDays: number
}

async function founded(t: TestNode): Promise<string> {
  return (
    await t.api<{ id: string }>('POST', '/api/v1/orgs', { name: 'Cal Org', tag: 'CAL', handle: 'Lead_C' })
  ).id
}

const schedule = (
  t: TestNode,
  org: string,
  title: string,
  scheduledAt: number,
  durationMin = 60,
  timeZone?: string,
) =>
  t.api<OperationView>('POST', `/api/v1/orgs/${org}/ops`, {
    title,
    type: 'mining',
    scheduledAt,
    durationMin,
    timeZone,
  })

/**
 * A GET over a real socket with any headers, Host included (fetch will not set Host), from
 * `localAddress` if given (any 127.x address reaches a node on 127.0.0.1 on Linux).
 */
function get(url: string, headers: Record<string, string> = {}, localAddress?: string) {
  return new Promise<{
    status: number
    headers: Record<string, string | string[] | undefined>
    body: string
  }>((resolve, reject) => {
    const req = httpRequest(
      url,
      { headers, ...(localAddress === undefined ? {} : { localAddress }) },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** RFC 5545 lines unfolded (a long line continues after CRLF and one space). */
const unfolded = (text: string) => text.replace(/\r\n[ \t]/g, '')

describe('calendar feed', () => {
  it('serves the operations at the URL the API gives, follows new ones and answers a repeat poll 304', async () => {
    const l = await nodes.start('l')
    const org = await founded(l)
    const feed = await l.api<Feed>('GET', `/api/v1/orgs/${org}/calendar`)
    expect(feed.url).toMatch(new RegExp(`^${l.node.apiUrl}/cal/[A-Za-z0-9_-]{43}\\.ics$`))
    expect(feed.webcal).toBe(feed.url.replace(/^http:/, 'webcal:'))
    expect(feed).toMatchObject({ running: true, pastDays: 30 })
    // Asked again, the same URL: apps that subscribed keep working.
    expect((await l.api<Feed>('GET', `/api/v1/orgs/${org}/calendar`)).url).toBe(feed.url)

    const empty = await get(feed.url)
    expect(empty.status).toBe(200)
    expect(empty.headers['content-type']).toBe('text/calendar; charset=utf-8')
    expect(parseIcs(empty.body)).toMatchObject({ name: 'Cal Org operations', events: [] })
    expect(empty.body).toContain('REFRESH-INTERVAL;VALUE=DURATION:PT15M')

    const run = await schedule(l, org, 'Halo run', at(48 * HOUR), 90, 'Europe/Berlin')
    expect(run.timeZone).toBe('Europe/Berlin')
    const recent = await schedule(l, org, 'Last week', at(-10 * DAY))
    await schedule(l, org, 'Long ago', at(-40 * DAY))
    const cancelled = await schedule(l, org, 'Scrubbed', at(24 * HOUR))
    await l.api('POST', `/api/v1/orgs/${org}/ops/${cancelled.id}/cancel`)

    const first = await get(feed.url)
    expect(first.status).toBe(200)
    const { events } = parseIcs(first.body)
    // Upcoming and the last 30 days, cancelled ones marked so; not what ended 40 days ago.
    expect(events.map((e) => e.summary)).toEqual(['Last week', 'Scrubbed', 'Halo run'])
    expect(events.every((e) => e.utc)).toBe(true)
    expect(events.find((e) => e.uid === `${run.id}@verseguy`)).toMatchObject({
      start: new Date(run.scheduledAt),
      end: new Date(run.endsAt),
      status: 'TENTATIVE',
    })
    expect(events.find((e) => e.summary === 'Scrubbed')?.status).toBe('CANCELLED')
    // Its time zone rides beside the UTC times: a property, and the local times in the description.
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
    })
    const halo =
      unfolded(first.body)
        .split('BEGIN:VEVENT')
        .find((v) => v.includes('SUMMARY:Halo run')) ?? ''
    expect(halo).toContain('X-VERSEGUY-TIMEZONE:Europe/Berlin')
    expect(halo).toContain(`DESCRIPTION:Local time (Europe/Berlin): `)
    expect(halo).toContain(berlin.format(new Date(run.scheduledAt)))
    expect(halo).not.toContain('TZID')
    expect(events.find((e) => e.summary === 'Last week')?.start).toEqual(new Date(recent.scheduledAt))

    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    // A poll a second later: DTSTAMP (the time of the answer) moved, the ETag did not.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const again = await get(feed.url, { 'if-none-match': etag })
    expect(again).toMatchObject({ status: 304, body: '' })
    expect(again.headers.etag).toBe(etag)

    // An operation scheduled later appears at the next poll, under a new ETag.
    await schedule(l, org, 'Patrol', at(72 * HOUR))
    const changed = await get(feed.url, { 'if-none-match': etag })
    expect(changed.status).toBe(200)
    expect(changed.headers.etag).not.toBe(etag)
    expect(parseIcs(changed.body).events.map((e) => e.summary)).toContain('Patrol')
  })

  it('accepts a LAN Host that /api refuses: the token is the credential', async () => {
    const l = await nodes.start('l')
    const org = await founded(l)
    const feed = await l.api<Feed>('GET', `/api/v1/orgs/${org}/calendar`)
    const port = new URL(feed.url).port
    const lan = { host: `192.168.1.20:${port}` }
    expect((await get(feed.url, lan)).status).toBe(200)
    expect((await get(`${l.node.apiUrl}/api/v1/status`, lan)).status).toBe(403)
  })

  it('ends the old URL the moment it is rotated; an unknown token gets a bare 404', async () => {
    const l = await nodes.start('l')
    const org = await founded(l)
    const old = await l.api<Feed>('GET', `/api/v1/orgs/${org}/calendar`)
    expect((await get(old.url)).status).toBe(200)
    const rotated = await l.api<Feed>('POST', `/api/v1/orgs/${org}/calendar/rotate`)
    expect(rotated.url).not.toBe(old.url)
    const gone = await get(old.url)
    expect(gone).toMatchObject({ status: 404, body: 'Not found\n' })
    expect((await get(rotated.url)).status).toBe(200)
    expect((await l.api<Feed>('GET', `/api/v1/orgs/${org}/calendar`)).url).toBe(rotated.url)

    // A wrong token, a malformed one, another path under /cal: the same answer, no hint.
    const base = l.node.apiUrl
    for (const path of [
      `/cal/${'A'.repeat(43)}.ics`,
      '/cal/short.ics',
      `/cal/${'A'.repeat(43)}`,
      '/cal/x/y',
    ]) {
      expect(await get(`${base}${path}`)).toMatchObject({ status: 404, body: 'Not found\n' })
    }
  })

  it('slows a burst of wrong tokens from one address with 429, and still serves the right token there', async () => {
    const l = await nodes.start('l')
    const org = await founded(l)
    const feed = await l.api<Feed>('GET', `/api/v1/orgs/${org}/calendar`)
    const wrong = `${l.node.apiUrl}/cal/${'B'.repeat(43)}.ics`
    for (let i = 0; i < WRONG_TOKEN_BURST; i++) expect((await get(wrong)).status).toBe(404)
    const asked = performance.now()
    const limited = await get(wrong)
    expect(limited.status).toBe(429)
    expect(performance.now() - asked).toBeGreaterThanOrEqual(WRONG_TOKEN_DELAY_MS - 50)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect((await get(feed.url)).status).toBe(200)
    expect((await get(wrong)).status).toBe(429)
    // Another client's budget is its own.
    if (process.platform === 'linux') expect((await get(wrong, {}, '127.0.0.2')).status).toBe(404)
  })

  it('gives a member whose rank lost ops:view a 403, and no URL from the API', async () => {
    const o = await foundOrg(nodes, 'Cal Org', await trustingTestIssuer())
    await license(o, 'enterprise')
    const m = await joinOrg(nodes, o, 'recruit', 'Recruit_R')
    const feed = await m.api<Feed>('GET', `${o.path}/calendar`)
    expect((await get(feed.url)).status).toBe(200)

    await o.leader.api('PATCH', `${o.path}/ranks/recruit`, { permissions: ['members:view', 'fleet:view'] })
    await waitFor('the rank change to reach the member', async () => (await get(feed.url)).status === 403)
    const refused = await get(feed.url)
    expect(refused.body).toContain('ops:view')
    expect(refused.body).not.toContain('BEGIN:VCALENDAR')
    await expect(m.api('GET', `${o.path}/calendar`)).rejects.toMatchObject({ status: 403 })
  })
})
