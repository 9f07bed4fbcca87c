/**
 * Issue 3 scale figures: a node holding an org of 10,000 members and 50,000 ships
 * (5 per member hangar) starts to ready in ≤ 3 s with ≤ 300 MB RSS; a local change
 * (add a ship, sign up) is persisted in ≤ 20 ms at p95; the roster query and fleet
 * stats take ≤ 200 ms. Measured in a child process started like `verseguy start`;
 * a bare `node -e 0` start is the baseline.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import {
  type ChangeHash,
  Database,
  DocumentStore,
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  type MemberKey,
  parseDocId,
  toHex,
} from '../crdt/index.ts'
import { initDataDir, layout } from '../node/index.ts'
import { DOMAIN_INDEXERS, domainServices, domainValidator, scopeOfDoc } from '../services/domain.ts'
import { HANGAR_SCHEMA, type HangarDoc, hangarId } from '../services/fleet/index.ts'
import { MemberIdentity } from '../services/identity/index.ts'
import { newInviteId, signInvite } from '../services/org/invite.ts'
import { signJoinRequest } from '../services/org/join-request.ts'
import { printTable, quick, type Row, time, writeResults } from './lib.ts'

// Benchmark nodes stay on loopback: no mDNS multicast on the machine's network.
process.env.VERSEGUY_NET_LISTEN ??= '/ip4/127.0.0.1/tcp/0'
process.env.VERSEGUY_NET_MDNS ??= '0'

const MEMBERS = quick ? 1_000 : 10_000
const SHIPS_PER_MEMBER = 5
const PASS = 'scale bench passphrase'
const S = (v: string) => new A.ImmutableString(v)
const MAKERS = ['Anvil', 'Aegis', 'Drake', 'MISC', 'RSI', 'Origin', 'Crusader', 'Argo']
const STATUS = ['available', 'in-use', 'maintenance', 'destroyed', 'unknown']

async function generate(dir: string): Promise<string> {
  await initDataDir(dir, PASS)
  const identity = await MemberIdentity.unlock(layout(dir).identity, PASS)
  const db = await Database.open(layout(dir).db)
  const validator = domainValidator(() => store)
  const store: DocumentStore = new DocumentStore(
    { db, signer: identity, validator, indexers: DOMAIN_INDEXERS, scopeOfDoc },
    { sync: false },
  )
  await store.start()
  const { org, invites } = domainServices({ store, signer: identity, validator })
  const created = await org.createOrg({ name: 'Scale Org', tag: 'SCALE', handle: 'Scale_Lead' })
  const rosterDoc = parseDocId(`org:${created.id}`)
  const keys: string[] = []
  // Every member joins as members do: an invite of its own, a signed join request, and the
  // leader's node admitting it (one roster change each).
  for (let i = 0; i < MEMBERS; i++) {
    const newcomer = ed25519PrivateKeyObject(new Uint8Array(randomBytes(32)))
    const key = toHex(ed25519RawPublicKey(newcomer)) as MemberKey
    const now = Date.now()
    const token = signInvite(
      {
        id: newInviteId(),
        orgId: created.id,
        inviter: identity.memberKey,
        rank: i % 10 === 0 ? 'officer' : 'member',
        issuedAt: now,
        expiresAt: now + 3_600_000,
        bootstrap: [],
      },
      identity,
    )
    const request = signJoinRequest(
      { orgId: created.id, token, handle: `Pilot_${i}` },
      { memberKey: key, sign: (data) => ed25519Sign(newcomer, data) },
    )
    const answer = await invites.admit(request)
    if (!answer.ok) throw new Error(`member ${i} was not admitted: ${answer.reason}`)
    keys.push(key)
    if (i % 1_000 === 999) process.stderr.write(`admitted ${i + 1} of ${MEMBERS} members\n`)
  }
  // Each member's hangar, created by the leader (fleet:manage) with five ships.
  const now = Date.now()
  const authHeads = A.getHeads(await store.get(rosterDoc)) as ChangeHash[]
  for (const [n, owner] of keys.entries()) {
    await store.create<HangarDoc>(
      hangarId(created.id, owner),
      { action: 'hangar.import', resource: `hangar:${owner}`, authHeads },
      (d) => {
        d.schema = HANGAR_SCHEMA
        d.org = S(created.id)
        d.owner = S(owner)
        d.ships = {}
        for (let s = 0; s < SHIPS_PER_MEMBER; s++) {
          const id = randomBytes(8).toString('hex')
          d.ships[id] = {
            id: S(id),
            model: S(`Model ${(n + s) % 40}`),
            manufacturer: S(MAKERS[(n + s) % MAKERS.length] as string),
            name: S(''),
            role: S(s % 2 ? 'fighter' : 'cargo'),
            pledgeDate: null,
            cost: 50 + ((n * 7 + s) % 400),
            insurance: S(s === 0 ? 'lti' : 'standard'),
            status: S(STATUS[(n + s) % STATUS.length] as string),
            location: S('Area18'),
            visibility: S('org'),
            addedAt: now,
            loadouts: {},
            activeLoadout: null,
          }
        }
      },
    )
  }
  await store.stop()
  await db.close()
  return created.id
}

function runChild(
  dir: string,
  orgId: string,
): Promise<{ spawnToExitMs: number; result: Record<string, number> }> {
  const child = new URL('./scale-child.ts', import.meta.url).pathname
  const t = performance.now()
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, PASS, orgId], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.on('exit', (code) => {
      if (code !== 0) reject(new Error(`scale child exited ${code}`))
      else
        resolve({
          spawnToExitMs: performance.now() - t,
          result: JSON.parse(out.trim().split('\n').pop() as string),
        })
    })
  })
}

/**
 * `VERSEGUY_SCALE_DIR=DIR`: generate once into DIR and reuse it on later runs (the data
 * takes minutes to build); without it a temp folder is used and removed.
 */
export async function run(): Promise<Row[]> {
  const keep = process.env.VERSEGUY_SCALE_DIR
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'vg-scale-')))
  try {
    let orgId = ''
    const marker = join(dir, 'org-id')
    if (keep !== undefined && existsSync(marker)) orgId = readFileSync(marker, 'utf8').trim()
    else {
      const genMs = await time(async () => {
        orgId = await generate(join(dir, 'node'))
      })
      writeFileSync(marker, orgId)
      console.log(
        `generated ${MEMBERS} members and ${MEMBERS * SHIPS_PER_MEMBER} ships in ${(genMs / 1000).toFixed(1)} s`,
      )
    }
    const bare = await time(
      () => new Promise((r) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('exit', r)),
    )
    const { result: r } = await runChild(join(dir, 'node'), orgId)
    if (r.members !== MEMBERS + 1 || (r.ships as number) < MEMBERS * SHIPS_PER_MEMBER)
      throw new Error(`wrong data: ${JSON.stringify(r)}`)
    const MB = 2 ** 20
    const rows: Row[] = [
      { figure: 'bare `node -e 0` (baseline)', value: bare, unit: 'ms' },
      {
        figure: 'start to ready',
        value: r.readyMs as number,
        unit: 'ms',
        target: '≤ 3000',
        note: 'process start → node ready, incl. scrypt unlock',
      },
      { figure: 'RSS after start', value: (r.rssAfterStart as number) / MB, unit: 'MiB', target: '≤ 300' },
      {
        figure: 'roster query (first)',
        value: r.rosterMs as number,
        unit: 'ms',
        target: '≤ 200',
        note: `${r.members} members`,
      },
      { figure: 'roster query (again)', value: r.rosterAgainMs as number, unit: 'ms' },
      {
        figure: 'fleet stats (first)',
        value: r.statsMs as number,
        unit: 'ms',
        target: '≤ 200',
        note: `${r.ships} ships`,
      },
      { figure: 'fleet stats (again)', value: r.statsAgainMs as number, unit: 'ms' },
      {
        figure: 'add ship persisted, p95',
        value: r.addShipP95 as number,
        unit: 'ms',
        target: '≤ 20',
        note: 'fsync on',
      },
      {
        figure: 'sign up / withdraw persisted, p95',
        value: r.signUpP95 as number,
        unit: 'ms',
        target: '≤ 20',
      },
      { figure: 'RSS after the work', value: (r.rssAfterWork as number) / MB, unit: 'MiB' },
    ]
    printTable(
      `Scale (${MEMBERS} members, ${MEMBERS * SHIPS_PER_MEMBER} ships${quick ? ', quick' : ''})`,
      rows,
    )
    const file = writeResults('scale', {
      figures: Object.fromEntries(
        rows.map((x) => [x.figure, { value: x.value, unit: x.unit, target: x.target }]),
      ),
    })
    console.log(`results: ${file}`)
    return rows
  } finally {
    if (keep === undefined) await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) await run()
