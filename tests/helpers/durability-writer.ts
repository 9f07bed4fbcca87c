/**
 * Child process for the kill -9 durability test: opens a node's data directory the way
 * the node does and, forever, makes a change and records an entry, printing
 * `ack <n> <seq>` only after each write is acknowledged. The parent kills it at random.
 * The document is indexed, with a total over its rows (length-indexer.ts).
 *
 * It is started ahead of its turn: it loads its modules, then waits for a `go` line on
 * stdin before it touches the data directory (it exits if stdin closes first).
 */
import { flushCompileCache } from 'node:module'
import * as A from '@automerge/automerge'
import { Database, DocumentStore, parseDocId } from '../../crdt/index.ts'
// The two files it needs, not node/'s face (which loads the whole node): a start per round.
import { loadConfig } from '../../node/config.ts'
import { layout } from '../../node/data-dir.ts'
import { MemberIdentity } from '../../services/identity/index.ts'
import { acceptAll } from './accept-all.ts'
import { lengthIndexer } from './length-indexer.ts'
import { TEST_SCOPE, testScopeOfDoc } from './signer.ts'

// Every run ends in SIGKILL, which never writes Node's compile cache (NODE_COMPILE_CACHE):
// written now, the next writer compiles nothing again.
flushCompileCache()
let input = ''
for await (const chunk of process.stdin) {
  input += chunk
  if (input.includes('\n')) break
}
if (!input.startsWith('go\n')) process.exit(0)

const [dataDir = '', passphrase = ''] = process.argv.slice(2)
const paths = layout(dataDir)
const config = await loadConfig(paths.config)
const identity = await MemberIdentity.unlock(paths.identity, passphrase)
const db = await Database.open(paths.db)
const store = new DocumentStore(
  { db, signer: identity, validator: acceptAll, scopeOfDoc: testScopeOfDoc, indexers: [lengthIndexer] },
  { sync: config.storage.sync, compactAfter: config.storage.compactAfter },
)
await store.start()
const docId = parseDocId('test:durability')
type Log = { acked: number[] }
if (!(await store.has(docId))) {
  await store.create<Log>(docId, { action: 'test.create', resource: docId }, (d) => {
    d.acked = []
  })
}
await store.indexTotal('test', 'test:') // stored from here on, in every change's batch
let n = (A.toJS(await store.get<Log>(docId)).acked.at(-1) ?? 0) + 1
process.stdout.write('ready\n')
for (;;) {
  const i = n++
  const { entry } = await store.change<Log>(
    docId,
    { action: 'test.append', resource: docId, details: { i } },
    (d) => {
      d.acked.push(i)
    },
  )
  process.stdout.write(`ack ${i} ${entry?.seq}\n`)
  if (i % 7 === 0) {
    const e = await store.record(TEST_SCOPE, { action: 'test.note', resource: docId, details: { i } })
    process.stdout.write(`ack-entry ${e.seq}\n`)
  }
}
