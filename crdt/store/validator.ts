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
  /** The document as this node has it before the changes. */
  readonly doc: Doc<unknown>
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string }

export interface ChangeValidator {
  validate(context: ChangeContext): Verdict
}

/** Refuses every remote change: the safe default until a document type has rules. */
export const denyAllValidator: ChangeValidator = {
  validate: (ctx) => ({ ok: false, reason: `no rules accept changes to ${ctx.docId}` }),
}
