/**
 * What a document type brings to the node: the prefix of its ids, how to find the org a
 * document belongs to, the rules every change to it must pass, and the rows it keeps.
 * Each type's module lives in its folder (`org/roster-type.ts`, `fleet/hangar-type.ts`,
 * `operations/op-type.ts`, `licensing/license-type.ts`); `document-types.ts` lists them,
 * and the validator, the chain scopes and the store's indexers all read that one list.
 * HTTP routes are not here: they live in `node/routes/`, one file per type.
 */
import type { ChangeContext, DocumentIndexer, Verdict } from '../crdt/index.ts'
import type { AuthIndex } from './org/index.ts'

/** What a type's rules may read besides the change itself. */
export interface DocumentTypeDeps {
  /** Authorization state (members, ranks, permissions) at any roster heads. */
  readonly auth: AuthIndex
}

export interface DocumentType {
  /** The id prefix before `:` (`hangar` for `hangar:<org>.<member>`). */
  readonly name: string
  /**
   * The org a document of this type belongs to, from the part of its id after `name:`;
   * null when the id names none. This is also the scope of the document's chain entries.
   */
  orgOf(name: string): string | null
  /**
   * Judges the changes of one entry to a document of this type. Deterministic: every node
   * reaches the same verdict. Synchronous where it can be (a catch-up judges thousands).
   */
  validate(ctx: ChangeContext, deps: DocumentTypeDeps): Verdict | Promise<Verdict>
  /** Rows the store keeps for this type's documents, in the documents' batches. */
  readonly indexers?: readonly DocumentIndexer[]
}

const HEX32 = /^[0-9a-f]{32}(?:\.|$)/

/**
 * The org id that leads a name (`<org>` or `<org>.<rest>`), or null. The rules check the
 * rest of the name; the scope is decided by the leading org alone.
 */
export function leadingOrgId(name: string): string | null {
  return HEX32.test(name) ? name.slice(0, 32) : null
}
