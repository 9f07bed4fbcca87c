import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Database, DocumentStore, parseDocId, type SignedEntry, verifyChain } from '../../../crdt/index.ts'
import { initDataDir, layout } from '../../../node/index.ts'
import { MemberIdentity } from '../../../services/identity/index.ts'
import { acceptAll } from '../../helpers/accept-all.ts'
import { type LengthTotal, lengthIndexer } from '../../helpers/length-indexer.ts'
import { TEST_SCOPE, testScopeOfDoc } from '../../helpers/signer.ts'
import { FAST_KDF } from '../../helpers/start-nodes.ts'

const PASS = 'durability-pass'
const ROUNDS = 24
const writer = new URL('../../helpers/durability-writer.ts', import.meta.url).pathname

let dir: string
/** Node's compile cache for the writer: each round's start compiles nothing again. */
let compileCache: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vg-durability-'))
  compileCache = await mkdtemp(join(tmpdir(), 'vg-durability-cache-'))
  await initDataDir(dir, PASS, FAST_KDF)
  // Compact often, so kills also land during compactions.
  const config = JSON.parse(await readFile(layout(dir).config, 'utf8'))
  config.storage.compactAfter = 25
  await writeFile(layout(dir).config, JSON.stringify(config))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await rm(compileCache, { recursive: true, force: true })
})

/** A writer process, started ahead of its turn: it loads its modules and waits for `go`. */
interface Writer {
  readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<NodeJS.Signals | null>
  stderr: string
}

function startWriter(): Writer {
  const child = spawn(process.execPath, [writer, dir, PASS], {
    env: { ...process.env, NODE_COMPILE_CACHE: compileCache },
  })
  const w: Writer = {
    child,
    exited: new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal))),
    stderr: '',
  }
  child.stderr.on('data', (d) => {
    w.stderr += d
  })
  // A writer that died before its `go` is reported by its exit, not by the write to its stdin.
  child.stdin.on('error', () => {})
  return w
}

/**
 * Lets the writer go (its modules are loaded, or loading) until it has acknowledged a
 * few writes, then SIGKILLs it after a random delay. `onOpen` runs once the writer holds
 * the data directory (to start the next writer while this one works).
 */
async function runAndKill(w: Writer, onOpen: () => void): Promise<{ acked: number[]; entrySeqs: number[] }> {
  const { child } = w
  const acked: number[] = []
  const entrySeqs: number[] = []
  let buffer = ''
  let killScheduled = false
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      const [kind, a, b] = line.split(' ')
      if (kind === 'ready') onOpen()
      else if (kind === 'ack') {
        acked.push(Number(a))
        entrySeqs.push(Number(b))
      } else if (kind === 'ack-entry') entrySeqs.push(Number(a))
      if (acked.length >= 3 && !killScheduled) {
        killScheduled = true
        // Let it run on for a random while, then kill it mid-flight.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 300)
      }
    }
  })
  child.stdin.write('go\n')
  const signal = await w.exited
  if (signal !== 'SIGKILL') throw new Error(`writer exited on its own: ${w.stderr}`)
  // Every line printed before the kill was acknowledged before it.
  return { acked, entrySeqs }
}

describe('kill -9 durability', () => {
  it(`keeps every acknowledged change and chain entry across ${ROUNDS} SIGKILLs, the chain verifies, and the index total agrees with the row`, async () => {
    const allAcked: number[] = []
    let maxSeq = 0
    let next: Writer | null = startWriter()
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const current = next as Writer | null
        if (current === null) throw new Error('the next writer was not started')
        next = null
        // The next writer loads its modules while this one writes and is checked.
        const { acked, entrySeqs } = await runAndKill(current, () => {
          if (round + 1 < ROUNDS) next = startWriter()
        })
        allAcked.push(...acked)
        maxSeq = Math.max(maxSeq, ...entrySeqs)

        const identity = await MemberIdentity.unlock(layout(dir).identity, PASS)
        const db = await Database.open(layout(dir).db)
        const store = new DocumentStore({
          db,
          signer: identity,
          validator: acceptAll,
          scopeOfDoc: testScopeOfDoc,
          indexers: [lengthIndexer],
        })
        await store.start()
        const doc = A.toJS(await store.get<{ acked: number[] }>(parseDocId('test:durability')))
        const held = new Set(doc.acked)
        const lost = allAcked.filter((i) => !held.has(i))
        expect(lost, `round ${round}: acknowledged changes lost`).toEqual([])
        // No change recorded twice, none out of order.
        expect(doc.acked).toEqual([...doc.acked].sort((a, b) => a - b))
        expect(new Set(doc.acked).size).toBe(doc.acked.length)

        const entries: SignedEntry[] = []
        for await (const e of store.chains.entries(TEST_SCOPE, identity.memberKey)) entries.push(e)
        // The index total stored beside the row agrees with it, whenever the kill came.
        expect(await db.meta.get('index-total:test:')).toBeDefined()
        const { total } = await store.indexTotal<LengthTotal>('test', 'test:')
        expect(total, `round ${round}: index total`).toEqual({ rows: 1, sum: doc.acked.length })
        const report = verifyChain(identity.memberKey, entries)
        expect(report.status, JSON.stringify(report.issues.slice(0, 3))).toBe('ok')
        expect(report.head?.seq ?? 0).toBeGreaterThanOrEqual(maxSeq)
        await store.stop()
        await db.close()
      }
    } finally {
      next?.child.kill('SIGKILL')
    }
    expect(allAcked.length).toBeGreaterThan(ROUNDS * 3)
  }, 180_000)
})
