/**
 * Issue 2 figures, each a ratio against a baseline measured in the same run:
 * - chainVerifyRatio: chain verification (links + every signature) on one thread vs raw
 *   single-thread node:crypto Ed25519 verify of the same entries (target ≥ 0.7); the
 *   worker-pool verification (2 threads) against the same baseline is shown beside it.
 * - appendRatio: chain append (sign + persist, the node's durability) vs raw sign + level
 *   put of the same bytes with the same durability (raw time / ours, target ≥ 0.6).
 * - docChangeRatio: a document change + its entry persisted, vs raw level batch puts of
 *   the same bytes (the real change bytes and packed entries the store wrote).
 * - cold start to ready and RSS after start, vs a bare `node -e 0` start.
 */
import { spawn } from 'node:child_process'
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import {
  Database,
  DocumentStore,
  type Entry,
  ed25519PublicKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  fromHex,
  type MemberKey,
  packEntry,
  parseDocId,
  SignaturePool,
  type Signer,
  signEntry,
  toHex,
  verifyChain,
  verifyChainParallel,
} from '../crdt/index.ts'
import { initDataDir } from '../node/index.ts'
import { median, printTable, quick, type Row, time, writeResults } from './lib.ts'

const CHAIN = quick ? 2_000 : 20_000
const APPENDS = quick ? 300 : 2_000
const REPEATS = quick ? 1 : 3
const STARTS = quick ? 1 : 3

function makeSigner(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519')
  return {
    memberKey: toHex(ed25519RawPublicKey(privateKey)) as MemberKey,
    sign: (d) => ed25519Sign(privateKey, d),
  }
}

/** The scope of the bench's chains (an org id's shape). */
const BENCH_SCOPE = 'be'.repeat(16)

function buildChain(signer: Signer, n: number): Entry[] {
  const out: Entry[] = []
  let prev: Entry | null = null
  for (let seq = 1; seq <= n; seq++) {
    prev = signEntry(
      {
        scope: BENCH_SCOPE,
        author: signer.memberKey,
        seq,
        prev: prev?.hash ?? null,
        time: 1_790_000_000_000 + seq,
        action: 'ship.add',
        resource: `ship:${seq}`,
        details: { model: 'Cutlass Black', manufacturer: 'Drake', cost: 110 },
        doc: parseDocId('hangar:bench'),
        changes: [toHex(new Uint8Array(32).fill(seq % 251))] as never,
        authHeads: [],
      },
      signer,
    )
    out.push(prev)
  }
  return out
}

async function chainVerify(): Promise<Row[]> {
  const signer = makeSigner()
  const chain = buildChain(signer, CHAIN)
  const key = ed25519PublicKeyObject(fromHex(signer.memberKey))
  const pool = new SignaturePool({ size: 2 })
  pool.start()
  await verifyChainParallel(signer.memberKey, chain.slice(0, 200), pool) // warm the workers
  const raw: number[] = []
  const parallel: number[] = []
  const single: number[] = []
  const head: number[] = []
  for (let r = 0; r < REPEATS; r++) {
    raw.push(
      await time(() => {
        for (const e of chain) if (!verify(null, e.bytes, key, e.signature)) throw new Error('bad')
      }),
    )
    parallel.push(
      await time(async () => {
        if ((await verifyChainParallel(signer.memberKey, chain, pool)).status !== 'ok') throw new Error('bad')
      }),
    )
    single.push(
      await time(() => {
        if (verifyChain(signer.memberKey, chain).status !== 'ok') throw new Error('bad')
      }),
    )
    head.push(
      await time(() => {
        if (verifyChain(signer.memberKey, chain, { signatures: 'head' }).status !== 'ok')
          throw new Error('bad')
      }),
    )
  }
  await pool.stop()
  const rawMs = median(raw)
  return [
    { figure: 'raw node:crypto verify (baseline)', value: (CHAIN / rawMs) * 1000, unit: 'entries/s' },
    {
      figure: 'chainVerifyRatio',
      value: rawMs / median(single),
      unit: '×',
      target: '≥ 0.7',
      note: 'every signature, one thread vs one thread',
    },
    {
      figure: 'chainVerifyRatio, 2 worker threads',
      value: rawMs / median(parallel),
      unit: '×',
      note: 'every signature, worker pool vs the one-thread baseline',
    },
    {
      figure: 'catch-up verify (head signatures)',
      value: rawMs / median(head),
      unit: '×',
      note: 'links everywhere, one signature per run',
    },
  ]
}

async function append(dir: string): Promise<Row[]> {
  const signer = makeSigner()
  // Baseline: raw sign + level put of the same bytes, same durability (sync).
  const rawDb = new Level<string, Uint8Array>(join(dir, 'raw'), { valueEncoding: 'view' })
  await rawDb.open()
  const entries = buildChain(signer, APPENDS)
  const { privateKey } = generateKeyPairSync('ed25519')
  const db = await Database.open(join(dir, 'ours'), { create: true })
  // Storage cost only: a validator that accepts (the rules are measured with the domain).
  const store = new DocumentStore(
    { db, signer, validator: { validate: () => ({ ok: true }) }, scopeOfDoc: () => BENCH_SCOPE },
    { sync: true },
  )
  await store.start()
  // Alternate blocks of raw and our appends so machine drift hits both alike.
  const ROUNDS = 5
  const block = Math.ceil(APPENDS / ROUNDS)
  let rawAppend = 0
  let ourAppend = 0
  for (let r = 0; r < ROUNDS; r++) {
    const slice = entries.slice(r * block, (r + 1) * block)
    rawAppend += await time(async () => {
      for (const e of slice) {
        const signature = new Uint8Array(sign(null, e.bytes, privateKey))
        await rawDb.put(`e!${e.seq}`, packEntry({ bytes: e.bytes, signature }), { sync: true } as never)
      }
    })
    ourAppend += await time(async () => {
      for (const e of slice) {
        await store.record(BENCH_SCOPE, {
          action: 'ship.add',
          resource: `ship:${e.seq}`,
          details: { model: 'Cutlass Black', cost: 110 },
        })
      }
    })
  }

  // Document change + entry vs raw puts of the same change and entry bytes.
  const docId = parseDocId('hangar:bench')
  await store.create<{ ships: Record<string, unknown> }>(
    docId,
    { action: 'hangar.create', resource: docId },
    (d) => {
      d.ships = {}
    },
  )
  // What the store wrote for each change: the change bytes and the packed entry.
  const made: { change: Uint8Array; entry: Entry }[] = []
  const onChange = (e: { entries: readonly Entry[]; changes: readonly Uint8Array[] }) => {
    const [entry] = e.entries
    const [change] = e.changes
    if (entry !== undefined && change !== undefined) made.push({ change, entry })
  }
  const latencies: number[] = []
  store.on('change', onChange)
  const ourChange = await time(async () => {
    for (let i = 0; i < APPENDS; i++) {
      const t = performance.now()
      await store.change<{ ships: Record<string, unknown> }>(
        docId,
        { action: 'ship.add', resource: `ship:${i}` },
        (d) => {
          d.ships[`s${i}`] = { model: 'Cutlass Black', cost: 110 }
        },
      )
      latencies.push(performance.now() - t)
    }
  })
  store.off('change', onChange)
  if (made.length !== APPENDS) throw new Error(`the store wrote ${made.length} of ${APPENDS} changes`)
  const written = made.map((w) => ({ change: w.change, entry: packEntry(w.entry) }))
  const rawChange = await time(async () => {
    let i = 0
    for (const w of written) {
      await rawDb.batch(
        [
          { type: 'put', key: `c!${i}`, value: w.change },
          { type: 'put', key: `e2!${i++}`, value: w.entry },
        ],
        { sync: true } as never,
      )
    }
  })
  await store.stop()
  await db.close()
  await rawDb.close()
  const sorted = [...latencies].sort((a, b) => a - b)
  return [
    { figure: 'raw sign + put, sync (baseline)', value: (APPENDS / rawAppend) * 1000, unit: 'appends/s' },
    {
      figure: 'appendRatio',
      value: rawAppend / ourAppend,
      unit: '×',
      target: '≥ 0.6',
      note: 'raw time / ours',
    },
    { figure: 'chain append (sign + persist, sync)', value: (APPENDS / ourAppend) * 1000, unit: 'appends/s' },
    {
      figure: 'docChangeRatio',
      value: rawChange / ourChange,
      unit: '×',
      note: 'raw batch puts / Automerge change + entry persisted',
    },
    { figure: 'document change p95', value: sorted[Math.floor(sorted.length * 0.95)] as number, unit: 'ms' },
  ]
}

async function coldStart(dir: string): Promise<Row[]> {
  const home = join(dir, 'node')
  const pass = 'bench passphrase'
  await initDataDir(home, pass)
  const bin = new URL('../cli/bin.mjs', import.meta.url).pathname
  const bare: number[] = []
  const ready: number[] = []
  const rss: number[] = []
  for (let i = 0; i < STARTS; i++) {
    bare.push(await time(() => runToExit(process.execPath, ['-e', '0'])))
    const t = performance.now()
    const child = spawn(
      process.execPath,
      [bin, 'start', '-d', home, '--api-port', '0', '--log-level', 'warn'],
      {
        env: { ...process.env, VERSEGUY_PASSPHRASE: pass },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        out += d
        if (out.includes('Verse Guy node ready')) resolve()
      }),
    )
    ready.push(performance.now() - t)
    const { readRuntimeFile, layout } = await import('../node/index.ts')
    const runtime = await readRuntimeFile(layout(home).runtime)
    const status = (await (
      await fetch(`${runtime?.apiUrl}/api/v1/status`, {
        headers: { authorization: `Bearer ${runtime?.token}` },
      })
    ).json()) as { rssBytes: number }
    rss.push(status.rssBytes / 2 ** 20)
    child.kill('SIGTERM')
    await new Promise((r) => child.on('exit', r))
  }
  return [
    { figure: 'bare `node -e 0` (baseline)', value: median(bare), unit: 'ms' },
    {
      figure: 'cold start to ready',
      value: median(ready),
      unit: 'ms',
      note: `${(median(ready) / median(bare)).toFixed(1)}× bare node; includes scrypt unlock (128 MiB)`,
    },
    { figure: 'RSS after start', value: median(rss), unit: 'MiB' },
  ]
}

function runToExit(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve) => spawn(cmd, args, { stdio: 'ignore' }).on('exit', () => resolve()))
}

export async function run(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vg-bench-'))
  try {
    const rows = [...(await chainVerify()), ...(await append(dir)), ...(await coldStart(dir))]
    printTable(`Foundation (chain of ${CHAIN}, ${APPENDS} appends${quick ? ', quick' : ''})`, rows)
    const file = writeResults('foundation', {
      figures: Object.fromEntries(
        rows.map((r) => [r.figure, { value: r.value, unit: r.unit, target: r.target }]),
      ),
    })
    console.log(`results: ${file}`)
    return rows
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) await run()
