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
}

export type Verdict =
  | { readonly ok: true }
  /** `pending`: cannot be judged yet (e.g. authorization heads still queued in the batch). */
  | { readonly ok: false; readonly reason: string; readonly pending?: boolean }

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
