import type { DocumentStore, Entry, MemberKey } from '../crdt/index.ts'
import { MemberIdentity, peerIdOf } from '../services/identity/index.ts'
import { isInitialized, layout } from './data-dir.ts'
import { VERSION } from './version.ts'

/** What `verseguy status` reports about a node. */
export interface NodeStatus {
  readonly version: string
  readonly running: boolean
  readonly dataDir: string
  readonly initialized: boolean
  readonly memberKey: string | null
  readonly peerId: string | null
  readonly pid: number | null
  readonly startedAt: string | null
  readonly uptimeSeconds: number | null
  readonly apiUrl: string | null
  readonly documents: number | null
  /** This member's own chains (one per org, and the node-local one): entries in all, and the newest. */
  readonly chain: { readonly seq: number; readonly head: string | null } | null
  readonly rssBytes: number | null
}

/** Status of a data directory whose node is not running (no passphrase needed). */
export async function offlineStatus(dataDir: string): Promise<NodeStatus> {
  const initialized = isInitialized(dataDir)
  const memberKey = initialized ? await MemberIdentity.publicKeyOf(layout(dataDir).identity) : null
  return {
    version: VERSION,
    running: false,
    dataDir,
    initialized,
    memberKey,
    peerId: memberKey === null ? null : peerIdOf(memberKey),
    pid: null,
    startedAt: null,
    uptimeSeconds: null,
    apiUrl: null,
    documents: null,
    chain: null,
    rssBytes: null,
  }
}

/** This member's chains in `store` taken together: entries in all, and the hash of the newest. */
export async function ownChains(
  store: DocumentStore,
  me: MemberKey,
): Promise<{ seq: number; head: string | null }> {
  let seq = 0
  let newest: Entry | null = null
  for (const scope of await store.chains.scopes()) {
    const head = await store.chains.head(scope, me)
    if (head === null) continue
    seq += head.seq
    if (newest === null || head.time > newest.time) newest = head
  }
  return { seq, head: newest?.hash ?? null }
}
