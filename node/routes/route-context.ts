/**
 * What every resource's routes reach: the running node's services, its mesh, its status.
 * Routes stay thin: parse (zod, from the schemas the OpenAPI document is built from),
 * call one service method or use case, answer. Errors are thrown, never built here: the
 * API's one error model (../error-response.ts) answers them.
 */
import type { Mesh, MeshTransport } from '../../net/index.ts'
import type { DomainServices } from '../../services/domain.ts'
import type { JoinTransport } from '../../services/org/index.ts'
import type { BackupControl } from '../backups.ts'
import type { CalendarTokens } from '../calendar-tokens.ts'
import type { TrustedKey } from '../license-trust.ts'
import type { NodeStatus } from '../status.ts'

/** The running mesh and this node's addresses (invites carry them). */
export interface MeshView {
  readonly mesh: Mesh
  /** How this node reaches the org's member nodes to be admitted (invite accept). */
  readonly join: JoinTransport
  readonly addresses: string[]
  /**
   * How an invite to `org` reaches it: addresses (this node's, connected members', the
   * configured bootstrap peers') and the org's rendezvous key (hex).
   */
  readonly inviteReach: (org: string) => Promise<{ bootstrap: string[]; rendezvous?: string }>
  /**
   * The libp2p host's dial and ban list (`POST /peers/dial`, `/peers/{peer}/ban`); absent,
   * those routes answer 503.
   */
  readonly host?: PeerControl
}

/** What the peers routes do with the host: dial an address, ban and unban a peer. */
export type PeerControl = Pick<
  MeshTransport,
  'peerId' | 'dialAddress' | 'ban' | 'unban' | 'isBanned' | 'connectedPeers'
>

/** The calendar feed (`/cal/<token>.ics`): its tokens and where this node serves it. */
export interface CalendarView {
  readonly tokens: CalendarTokens
  /**
   * `http://host:port` calendar apps reach the feed at: where the node listens now, or,
   * when it is not running, where it will (config.json's `api`); `running` says which.
   */
  readonly base: () => { readonly url: string; readonly running: boolean }
}

export interface RouteContext {
  readonly services: () => DomainServices
  /**
   * The network. Where it is not started (a command on a stopped node) its `mesh`, `join`
   * and `addresses` throw `NodeNotRunningError` (503); `inviteReach` answers from the store
   * and the configured bootstrap peers.
   */
  readonly mesh: () => MeshView
  readonly status: () => Promise<NodeStatus>
  /** Re-reads config.json's `license.trust` (see `VerseGuyNode.reloadTrust`). */
  readonly reloadTrust: () => Promise<readonly TrustedKey[]>
  /**
   * Hears of every document change in the store (local, or a peer's accepted change) until
   * the returned function is called: `GET /events`. Absent, that route answers 503.
   */
  readonly changes?: (listener: (change: DocumentChange) => void) => () => void
  readonly calendar: () => CalendarView
  /** Backup and restore jobs (see ../backups.ts); absent, `/backups` answers 503. */
  readonly backups?: () => BackupControl
}

/** A document changed: what kind, in which org, made here or received from a peer. */
export interface DocumentChange {
  readonly type: string
  readonly org: string | null
  readonly origin: 'local' | 'remote'
}
