/**
 * `verseguy op feed [--rotate]`: on a stopped node it shows the URL the node will serve
 * and how to start it (with the -d given); on the running node the same URL, which then
 * serves the org's operations; `--rotate` hands out a new URL and the old one is gone.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hintedCommand, runMain } from '../helpers/cli.ts'
import { parseIcs } from '../helpers/ics.ts'
import { initTestNodeDir, startTestNodeIn, TEST_NODE_PASS } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-cli-feed-')
const env = { VERSEGUY_PASSPHRASE: TEST_NODE_PASS }
const FEED = /^ {2}(http:\/\/\S+\/cal\/[A-Za-z0-9_-]{43}\.ics)$/m

describe('verseguy op feed', () => {
  it('shows the URL on a stopped node, serves it once started, and rotates it', async () => {
    const dir = await initTestNodeDir(join(await dirs.make(), 'node'), { api: { port: 7499 } })
    const org = await runMain(
      ['-d', dir, 'org', 'create', '--name', 'Feed Wing', '--tag', 'FEED', '--handle', 'Cmdr_F'],
      env,
    )
    expect(org.code, org.stderr).toBe(0)

    const stopped = await runMain(['-d', dir, 'op', 'feed'])
    expect(stopped.code, stopped.stderr).toBe(0)
    const offlineUrl = FEED.exec(stopped.stdout)?.[1] ?? ''
    expect(offlineUrl).toMatch(/^http:\/\/127\.0\.0\.1:7499\/cal\//)
    expect(stopped.stdout).toContain(offlineUrl.replace('http:', 'webcal:'))
    expect(stopped.stdout).toContain('The node is not running')
    expect(hintedCommand(stopped.stdout, 'once started: ')).toEqual(['-d', dir, 'start'])
    const json = JSON.parse((await runMain(['-d', dir, 'op', 'feed', '--json'])).stdout)
    expect(json).toMatchObject({ url: offlineUrl, running: false, pastDays: 30, refreshMinutes: 15 })

    const t = await startTestNodeIn(dir)
    dirs.defer(() => t.node.stop())
    const running = await runMain(['-d', dir, 'op', 'feed'])
    expect(running.code, running.stderr).toBe(0)
    expect(running.stdout).not.toContain('not running')
    const url = FEED.exec(running.stdout)?.[1] ?? ''
    // The same token, at the address the node listens on now.
    expect(url).toBe(`${t.node.apiUrl}${new URL(offlineUrl).pathname}`)
    const served = await fetch(url)
    expect(served.status).toBe(200)
    expect(parseIcs(await served.text()).name).toBe('Feed Wing operations')

    const rotated = await runMain(['-d', dir, 'op', 'feed', '--rotate'])
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(rotated.stdout).toContain('the old one no longer works')
    const fresh = FEED.exec(rotated.stdout)?.[1] ?? ''
    expect(fresh).not.toBe(url)
    expect((await fetch(url)).status).toBe(404)
    expect((await fetch(fresh)).status).toBe(200)
  })

  it('refuses an org it does not hold, naming it', async () => {
    const dir = await initTestNodeDir(join(await dirs.make(), 'node'))
    const res = await runMain(['-d', dir, 'op', 'feed', '--org', 'f'.repeat(32)])
    expect(res.code).not.toBe(0)
    expect(res.stderr).toMatch(/org/i)
  })
})
