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
  /** This member's own chain. */
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
