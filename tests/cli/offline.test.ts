/**
 * Commands on a stopped node open its store in the command's process, without the
 * network: no libp2p, no listening socket, nothing announced. A read needs no passphrase
 * (and writes nothing to the store); a change asks for it, and a wrong one changes
 * nothing; what needs the network says how to start the node. A running node still
 * serves the same commands through its API, with the same answers.
 */
import { spawn } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { initDataDir, layout } from '../../node/index.ts'
import { MemberIdentity } from '../../services/identity/index.ts'
import { readInvite } from '../../services/org/invite.ts'
import { BIN, runMain, startNode } from '../helpers/cli.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const PASS = 'offline cli passphrase'
const dirs = useTempDirs('vg-cli-offline-')
afterEach(() => {
  vi.restoreAllMocks()
})

/** A node holding one org, made through the CLI on the stopped node (a change: with the passphrase). */
async function nodeWithOrg(): Promise<{ dir: string; orgId: string }> {
  const dir = join(await dirs.make(), 'node')
  await initDataDir(dir, PASS, FAST_KDF)
  const created = await runMain(
    ['-d', dir, 'org', 'create', '--name', 'Offline Wing', '--tag', 'OFFW', '--json'],
    {
      VERSEGUY_PASSPHRASE: PASS,
    },
  )
  expect(created.code, created.stderr).toBe(0)
  return { dir, orgId: JSON.parse(created.stdout).id as string }
}

/**
 * Runs the real entry point with a hook that records, at exit, every package loaded and
 * every socket the process listened on or bound (TCP, UDP: mDNS).
 */
const RECORD = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module'
import { writeSync } from 'node:fs'
import net from 'node:net'
import dgram from 'node:dgram'
const seen = new Set()
const sockets = []
registerHooks({ load(url, context, next) {
  const m = url.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)
  if (m) seen.add(m[1])
  return next(url, context)
} })
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) { sockets.push('tcp'); return listen.apply(this, args) }
const bind = dgram.Socket.prototype.bind
dgram.Socket.prototype.bind = function (...args) { sockets.push('udp'); return bind.apply(this, args) }
process.on('exit', () => writeSync(2, '\\nrecord: ' + JSON.stringify({ packages: [...seen].sort(), sockets }) + '\\n'))
`)}`

interface Recorded {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly packages: string[]
  readonly sockets: string[]
}

function recorded(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Recorded> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RECORD, BIN, ...args], {
      env: { ...process.env, VERSEGUY_PASSPHRASE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = stderr.split('\n').find((l) => l.startsWith('record: '))
      if (line === undefined) return reject(new Error(`no record:\n${stderr}`))
      const r = JSON.parse(line.slice('record: '.length)) as { packages: string[]; sockets: string[] }
      resolve({ code, stdout, stderr, ...r })
    })
  })
}

/** The network's packages: none of them loads on a stopped node's command. */
const NETWORK =
  /^(libp2p$|@libp2p\/(tcp|mdns|kad-dht|gossipsub|circuit-relay-v2|identify|ping)|@chainsafe\/libp2p-|@hono\/node-server$)/

/** The database's table files (name → size and content) and the write-ahead log's size. */
async function tables(dir: string): Promise<{ tables: Map<string, string>; logBytes: number }> {
  const db = layout(dir).db
  const tables = new Map<string, string>()
  let logBytes = 0
  for (const name of await readdir(db)) {
    if (name.endsWith('.ldb')) tables.set(name, (await readFile(join(db, name))).toString('base64'))
    if (name.endsWith('.log')) logBytes += (await stat(join(db, name))).size
  }
  return { tables, logBytes }
}

describe('commands on a stopped node', () => {
  it('org list and status answer from the store: no libp2p, no socket, no passphrase', async () => {
    const { dir, orgId } = await nodeWithOrg()
    const [list, status] = await Promise.all([
      recorded(['-d', dir, 'org', 'list', '--json']),
      recorded(['-d', dir, 'status', '--json']),
    ])
    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout).map((o: { id: string }) => o.id)).toEqual([orgId])
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false, initialized: true })
    for (const r of [list, status]) {
      expect(r.sockets).toEqual([])
      expect(r.packages.filter((p) => NETWORK.test(p))).toEqual([])
    }
    // The store was opened for the list (its packages loaded), and nothing asked for a passphrase.
    expect(list.packages).toContain('classic-level')
    expect(list.stderr).not.toMatch(/passphrase/i)
  }, 60_000)

  it('a read runs no KDF and writes nothing to the store (LevelDB only renews its log and manifest on open)', async () => {
    const { dir } = await nodeWithOrg()
    // LevelDB's open turns the log the last writer left into a table: its own recovery of
    // what was written then. From there on, reads add and change no table and log nothing.
    expect((await runMain(['-d', dir, 'org', 'list'])).code).toBe(0)
    const before = await tables(dir)
    expect(before.logBytes).toBe(0)
    const unlock = vi.spyOn(MemberIdentity, 'unlock')
    for (const args of [['org', 'list'], ['org', 'show'], ['status']]) {
      const r = await runMain(['-d', dir, ...args])
      expect(r.code, r.stderr).toBe(0)
      if (args[0] === 'org') expect(r.stdout).toContain('Offline Wing')
    }
    expect(unlock).not.toHaveBeenCalled()
    const after = await tables(dir)
    expect(after.tables).toEqual(before.tables)
    expect(after.logBytes).toBe(0)
  }, 60_000)

  it('a change asks for the passphrase: a wrong one is refused (exit 3) and changes nothing', async () => {
    const { dir } = await nodeWithOrg()
    const update = ['-d', dir, 'org', 'update', '--description', 'changed']
    const wrong = await runMain(update, { VERSEGUY_PASSPHRASE: 'not the passphrase' })
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toMatch(/passphrase/i)
    const none = await runMain(update)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/No passphrase given/)
    const shown = await runMain(['-d', dir, 'org', 'show', '--json'])
    expect(JSON.parse(shown.stdout).description).toBe('')
    const right = await runMain(update, { VERSEGUY_PASSPHRASE: PASS })
    expect(right.code, right.stderr).toBe(0)
    const changed = await runMain(['-d', dir, 'org', 'show', '--json'])
    expect(JSON.parse(changed.stdout).description).toBe('changed')
  }, 60_000)

  it('what needs the network exits 4 with the start command as it works; an invite carries the rendezvous', async () => {
    const { dir } = await nodeWithOrg()
    const peers = await runMain(['-d', dir, 'peers'])
    expect(peers.code).toBe(4)
    expect(peers.stderr).toContain(`npx verseguy -d ${dir} start`)
    // An invite made on a stopped node: no address of its own, the org's rendezvous (any
    // member's node online admits the newcomer).
    const made = await runMain(['-d', dir, 'invite', 'create', '--rank', 'Member', '--json'], {
      VERSEGUY_PASSPHRASE: PASS,
    })
    expect(made.code, made.stderr).toBe(0)
    const token = JSON.parse(made.stdout).token as string
    const read = readInvite(token)
    if (!read.ok) throw new Error(read.reason)
    expect(read.invite.rendezvous).toMatch(/^[0-9a-f]{64}$/)
    // Accepting it on another stopped node needs the network.
    const other = join(await dirs.make(), 'other')
    await initDataDir(other, PASS, FAST_KDF)
    const accept = await runMain(['-d', other, 'invite', 'accept', token], { VERSEGUY_PASSPHRASE: PASS })
    expect(accept.code).toBe(4)
    expect(accept.stderr).toContain(`npx verseguy -d ${other} start`)
    const orgs = await runMain(['-d', other, 'org', 'list', '--json'])
    expect(JSON.parse(orgs.stdout)).toEqual([])
  }, 60_000)

  it('a running node serves the same commands with the same answers', async () => {
    const { dir } = await nodeWithOrg()
    const offline = await runMain(['-d', dir, 'org', 'list', '--json'])
    const running = await startNode(['-d', dir, '--api-port', '0', '--log-level', 'silent'], {
      VERSEGUY_PASSPHRASE: PASS,
    })
    try {
      const online = await runMain(['-d', dir, 'org', 'list', '--json'])
      expect(online.code, online.stderr).toBe(0)
      expect(JSON.parse(online.stdout)).toEqual(JSON.parse(offline.stdout))
      const peers = await runMain(['-d', dir, 'peers', '--json'])
      expect(peers.code, peers.stderr).toBe(0)
      const status = await runMain(['-d', dir, 'status', '--json'])
      expect(JSON.parse(status.stdout)).toMatchObject({ running: true })
    } finally {
      await running.stop()
    }
  }, 60_000)
})
