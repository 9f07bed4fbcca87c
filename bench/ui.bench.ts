/**
 * Issue 14: the web UI's first load of the dashboard in a real browser (Debian chromium,
 * playwright-core) on a node holding an org of 1,000 members (200 with --quick): bytes
 * transferred (every response's encoded length, headers included, from the DevTools
 * protocol) and the time from navigation until the dashboard shows the member count.
 * Each round is a new browser context (cold cache), logged in before the timer starts.
 * Targets: under 300 KB and under 1 s. Skipped, saying why, when chromium is missing.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { VerseGuyNode } from '../node/index.ts'
import { median, printTable, quick, type Row, writeResults } from './lib.ts'
import { buildHistory } from './scale-history.ts'

const PASS = 'ui bench passphrase'
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ROUNDS = quick ? 3 : 7

export async function run(): Promise<Row[]> {
  if (!existsSync(CHROMIUM)) {
    console.log(`ui bench skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`)
    return []
  }
  const dir = await mkdtemp(join(tmpdir(), 'vg-ui-bench-'))
  const members = quick ? 200 : 1_000
  const history = await buildHistory(dir, PASS, {
    members,
    joinRounds: 5,
    operations: 5,
    signUps: { min: 5, max: 20 },
  })
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ net: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }, log: { level: 'silent' } }),
  )
  const node = new VerseGuyNode({ dataDir: dir, passphrase: PASS, apiPort: 0, logLevel: 'silent' })
  await node.start()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  })
  try {
    const bytes: number[] = []
    const ms: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const context = await browser.newContext()
      const login = await context.request.post(`${node.apiUrl}/ui/login`, { data: { passphrase: PASS } })
      if (!login.ok()) throw new Error(`login failed: ${login.status()}`)
      const page = await context.newPage()
      const cdp = await context.newCDPSession(page)
      await cdp.send('Network.enable')
      let transferred = 0
      cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
        transferred += e.encodedDataLength
      })
      const t = performance.now()
      await page.goto(node.apiUrl)
      await page.waitForFunction(
        (n) => document.querySelector('[data-stat="members"]')?.textContent === String(n),
        history.members + 1,
      )
      ms.push(performance.now() - t)
      await page.waitForLoadState('networkidle')
      bytes.push(transferred)
      await context.close()
    }
    const rows: Row[] = [
      {
        figure: 'dashboard first load: transferred',
        value: Math.round(median(bytes) / 1024),
        unit: 'KB',
        target: '< 300 KB',
        note: `every request of a cold page, ${history.members + 1} members`,
      },
      {
        figure: 'dashboard first load: to member count shown',
        value: Math.round(median(ms)),
        unit: 'ms',
        target: '< 1000 ms',
        note: `median of ${ROUNDS}, cold context each`,
      },
    ]
    printTable(`Web UI, ${history.members + 1}-member org (chromium, headless)`, rows)
    const file = writeResults('ui', { members: history.members + 1, rounds: ROUNDS, bytes, ms, rows })
    console.log(`results: ${file}`)
    return rows
  } finally {
    await browser.close()
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) await run()
