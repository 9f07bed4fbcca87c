/**
 * The automerge-repo side of the mesh bench (mesh.bench.ts): repo A serving the hangar
 * over a WebSocket on 127.0.0.1 (with storage, so it can restart), and repo B catching up
 * with it (or cloning it), timed as ours is.
 */
import type { AddressInfo } from 'node:net'
import * as A from '@automerge/automerge'
import {
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type PeerId,
  Repo,
  type StorageAdapterInterface,
  type StorageKey,
} from '@automerge/automerge-repo'
import { MessageChannelNetworkAdapter } from '@automerge/automerge-repo-network-messagechannel'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { type Measured, measure } from './lib.ts'

/** What the automerge-repo side needs of the bench's org. */
export interface TheirSide {
  /** The hangar's changes, in the leader's order. */
  readonly hangarChanges: Uint8Array[]
  /** The hangar as the member held it when it went offline. */
  readonly hangarBefore: Uint8Array
  /** The leader's heads now. */
  readonly heads: string
}

/** Resolves once the handle's document has `heads`. */
function converged(handle: DocHandle<unknown>, heads: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (A.getHeads(handle.doc()).join() !== heads) return false
      handle.off('change', check)
      resolve()
      return true
    }
    if (!check()) handle.on('change', check)
  })
}

export interface TheirServer {
  readonly url: AutomergeUrl
  /** Repo A's handle of the document (found again after a restart, once served). */
  handle: DocHandle<unknown>
  port: number
  /** Stops repo A and starts it again over the same storage, holding nothing in memory. */
  readonly restart: () => Promise<void>
  /** After a restart: repo A's handle of the document it has served since (untimed). */
  readonly refind: () => Promise<void>
  readonly close: () => Promise<void>
}

/** Repo A's storage, kept in memory (a restarted repo loads from it; no disk, unlike ours). */
class MemoryStorage implements StorageAdapterInterface {
  private readonly data = new Map<string, { key: StorageKey; data: Uint8Array }>()
  private static id = (key: StorageKey) => key.join('\u0000')
  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.data.get(MemoryStorage.id(key))?.data
  }
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    this.data.set(MemoryStorage.id(key), { key, data })
  }
  async remove(key: StorageKey): Promise<void> {
    this.data.delete(MemoryStorage.id(key))
  }
  async loadRange(prefix: StorageKey): Promise<{ key: StorageKey; data: Uint8Array }[]> {
    return [...this.data.values()].filter((c) => prefix.every((k, i) => c.key[i] === k))
  }
  async removeRange(prefix: StorageKey): Promise<void> {
    for (const c of await this.loadRange(prefix)) this.data.delete(MemoryStorage.id(c.key))
  }
}

/** Theirs over a WebSocket on 127.0.0.1: repo A, with storage, serves the document. */
export async function theirsServer(o: TheirSide): Promise<TheirServer> {
  const storage = new MemoryStorage()
  const start = async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
    // The adapter names `ws`'s server through isomorphic-ws's CommonJS typings: the same class.
    const adapter = new WebSocketServerAdapter(
      wss as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0],
    )
    return { wss, repo: new Repo({ network: [adapter], storage, peerId: 'repo-a' as PeerId }) }
  }
  let { wss, repo } = await start()
  const [doc] = A.applyChanges(A.init(), o.hangarChanges)
  const handle = repo.import(A.save(doc))
  if (A.getHeads(handle.doc()).join() !== o.heads) throw new Error('repo A holds another history')
  const stop = async () => {
    await repo.shutdown()
    await new Promise((resolve) => wss.close(resolve))
  }
  const server: TheirServer = {
    url: handle.url,
    handle,
    port: (wss.address() as AddressInfo).port,
    restart: async () => {
      await repo.flush()
      await stop()
      ;({ wss, repo } = await start())
      server.port = (wss.address() as AddressInfo).port
    },
    refind: async () => {
      server.handle = await repo.find(server.url)
      if (A.getHeads(server.handle.doc()).join() !== o.heads) throw new Error('repo A lost changes')
    },
    close: stop,
  }
  return server
}

let peers = 0

/**
 * One catch-up of theirs over a WebSocket. `clone`: an empty repo B finds the document
 * (Automerge sends it whole, as one snapshot). `offline`: repo B holds the document as
 * the member held it when it went offline and syncs what it missed (Automerge sends
 * changes: B has heads A knows).
 */
export async function theirsWs(
  o: TheirSide,
  server: TheirServer,
  mode: 'clone' | 'offline',
): Promise<Measured> {
  // Repo B and its document in memory before the clock starts, as our member's node.
  const repo = new Repo({ network: [], peerId: `repo-b-${++peers}` as PeerId })
  const docId = server.url.slice('automerge:'.length) as DocumentId
  let handle = mode === 'offline' ? repo.import(o.hangarBefore, { docId }) : undefined
  const m = await measure(async () => {
    repo.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(`ws://127.0.0.1:${server.port}`))
    handle ??= await repo.find(server.url)
    await converged(handle, o.heads)
  })
  if (handle === undefined || A.getHeads(handle.doc()).join() !== o.heads) throw new Error('theirs diverged')
  await repo.shutdown()
  return m
}

/** Theirs in process: two repos joined by a MessageChannel (repo A built untimed). */
export async function theirsMc(o: TheirSide, server: TheirServer): Promise<Measured> {
  const { port1, port2 } = new MessageChannel()
  const a = new Repo({ network: [new MessageChannelNetworkAdapter(port1)], peerId: 'mc-a' as PeerId })
  const url = a.import(A.save(server.handle.doc())).url
  // Let repo A settle (its import schedules a throttled sync), as the WebSocket server has.
  await new Promise((resolve) => setTimeout(resolve, 200))
  let b: Repo | undefined
  let handle: DocHandle<unknown> | undefined
  const ms = await measure(async () => {
    b = new Repo({ network: [new MessageChannelNetworkAdapter(port2)], peerId: 'mc-b' as PeerId })
    handle = await b.find(url)
    await converged(handle, o.heads)
  })
  if (handle === undefined || A.getHeads(handle.doc()).join() !== o.heads) throw new Error('theirs diverged')
  await b?.shutdown()
  await a.shutdown()
  port1.close()
  port2.close()
  return ms
}
