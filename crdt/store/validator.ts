/**
 * The seam where a node decides whether a remote change is allowed. The crdt layer
 * checks signatures, chain links and change authorship; the domain layer (services/)
 * implements this interface with the authorization rules.
 */
import type { DecodedChange, Doc } from '@automerge/automerge'
import type { Entry } from '../chain/entry.ts'
import type { DocId } from '../ids.ts'

export interface ChangeContext {
  readonly docId: DocId
  /** The verified entry covering the changes. */
  readonly entry: Entry
  /** The covered changes, decoded (ops included), in the order they will be applied. */
  readonly changes: readonly DecodedChange[]
  /** The same changes as bytes. */
  readonly changeBytes: readonly Uint8Array[]
  /** Whether the change was made on this node (then a refusal is an error to the caller). */
  readonly origin: 'local' | 'remote'
  /** The document as this node has it before the batch. */
  readonly doc: Doc<unknown>
  /**
   * Changes to the same document accepted earlier in this batch (not yet in `doc`): a
   * rule that reads the document at the change's dependencies applies these first.
   */
  readonly prior: readonly Uint8Array[]
  /**
   * Up to `limit` changes to the same document that later entries of the batch cover
   * (verified entries; changes within the bounds and of their entry's author; not judged
   * yet, so perhaps never accepted). A rule that reads a working copy only at explicit
   * heads (a change's deps, which never include them) may apply them early, in one call,
   * rather than one change per entry. Absent for local changes.
   */
  readonly following?: (limit: number) => readonly Uint8Array[]
}

/**
 * Why a remote entry or change was refused, as a type: offences and bans are decided on
 * the kind, never on the reason's wording.
 * - `malformed`: does not decode, or breaks the wire format.
 * - `oversize`: past a declared bound (bytes, ops, items, decompressed size).
 * - `bad-signature`: the signature or hash chain does not verify (tampered).
 * - `fork`: a second signed entry with a seq this node already holds.
 * - `conflict`: contradicts a stored entry and does not verify.
 * - `gap`: starts past this node's head of that chain (the sender is ahead: innocent).
 * - `missing-dependency`: needs changes this node does not hold yet (innocent).
 * - `not-member`: the author is not (or no longer) a member of the org.
 * - `unknown-author`: the org's roster here does not know the author (yet): its entries
 *   are dropped unread. Innocent: a newcomer's first entries can reach a node before the
 *   admission that made it a member (the sender is then ahead of us).
 * - `wrong-scope`: an entry of another org than the one it came for or its document
 *   belongs to, or of a node-local chain (which never travels).
 * - `rule`: verified, but the document rules do not allow it.
 * - `budget`: the author wrote more than this node takes for now (back-pressure: innocent).
 * - `follows-refused`: an earlier entry of the same chain in the batch was refused.
 */
export type RefusalKind =
  | 'malformed'
  | 'oversize'
  | 'bad-signature'
  | 'fork'
  | 'conflict'
  | 'gap'
  | 'missing-dependency'
  | 'not-member'
  | 'unknown-author'
  | 'wrong-scope'
  | 'rule'
  | 'budget'
  | 'follows-refused'

/**
 * Kinds an honest peer can cause (it is ahead of us, or relays what it was sent, such as
 * the second half of an author's fork: the fork is proof against the author, not the
 * relay): never an offence.
 */
export const INNOCENT_KINDS: ReadonlySet<RefusalKind> = new Set([
  'gap',
  'fork',
  'missing-dependency',
  'unknown-author',
  'budget',
  'follows-refused',
])

export type Verdict =
  | { readonly ok: true }
  /**
   * `pending`: cannot be judged yet (e.g. authorization heads still queued in the batch).
   * `kind`: why, as a type (default `rule`, or `missing-dependency` when pending).
   */
  | { readonly ok: false; readonly reason: string; readonly pending?: boolean; readonly kind?: RefusalKind }

/**
 * Judges every change before it is stored: local ones (a refusal throws
 * `ChangeRefusedError` and nothing is written) and remote ones (refused and reported).
 * Must be deterministic: the same change, entry and document give the same verdict on
 * every node.
 */
export interface ChangeValidator {
  validate(context: ChangeContext): Verdict | Promise<Verdict>
}

/** Refuses every change: for nodes that must not take any. */
export const denyAllValidator: ChangeValidator = {
  validate: (ctx) => ({ ok: false, reason: `no rules accept changes to ${ctx.docId}` }),
}
