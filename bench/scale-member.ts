/**
 * A member's device for the scale bench: its own Ed25519 key and chain, and changes made
 * as `DocumentStore.commit` makes them (a fresh actor named by the member key, one signed
 * entry per change, chained on the member's previous entry, recording the roster heads
 * the member has seen). What it makes reaches the org's other nodes only through their
 * sync path (`DocumentStore.receive`), where every entry is verified and every change is
 * judged by the org's rules, as any member's would be.
 *
 * A full store per member (10,000 LevelDB folders, each loading the 10,000-member roster
 * to judge its own changes first) would cost hours; the receiving node judges the same
 * changes with the same rules.
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import {
  type ChangeHash,
  type DocId,
  type Entry,
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  type JsonValue,
  type MemberKey,
  type SignedEntry,
  type Signer,
  signEntry,
  toHex,
} from '../crdt/index.ts'
import { scopeOfDoc } from '../services/domain.ts'

export interface MemberAction {
  readonly action: string
  readonly resource: string
  readonly details?: JsonValue
  readonly authHeads: readonly ChangeHash[]
}

/** One local change of a member's node, as it travels: the entry and the change it covers. */
export interface Made {
  readonly entry: SignedEntry
  readonly change: Uint8Array
}

export class MemberDevice implements Signer {
  readonly memberKey: MemberKey
  private readonly key: ReturnType<typeof ed25519PrivateKeyObject>
  private head: Entry | null = null

  constructor() {
    this.key = ed25519PrivateKeyObject(new Uint8Array(randomBytes(32)))
    this.memberKey = toHex(ed25519RawPublicKey(this.key)) as MemberKey
  }

  sign(data: Uint8Array): Uint8Array {
    return ed25519Sign(this.key, data)
  }

  /**
   * Changes `base` (the document as this member's node holds it; null: a new document)
   * and signs the entry covering the change. `keep`: return the document after the change
   * (else its memory is freed at once: a member's copy of a large operation is not kept).
   */
  change<T>(
    docId: DocId,
    base: A.Doc<T> | null,
    action: MemberAction,
    fn: A.ChangeFn<T>,
    keep = false,
  ): Made & { doc: A.Doc<T> | null } {
    const actor = `${this.memberKey}${randomBytes(8).toString('hex')}`
    const doc = base === null ? A.init<T>({ actor }) : A.clone(base, { actor })
    const after = A.change(doc, { time: Math.floor(Date.now() / 1000) }, fn)
    const change = A.getLastLocalChange(after)
    if (change === undefined) throw new Error(`${action.action} changed nothing`)
    const entry = signEntry(
      {
        author: this.memberKey,
        scope: scopeOfDoc(docId),
        seq: (this.head?.seq ?? 0) + 1,
        prev: this.head?.hash ?? null,
        time: Date.now(),
        action: action.action,
        resource: action.resource,
        details: action.details ?? null,
        doc: docId,
        changes: A.getHeads(after) as ChangeHash[],
        authHeads: action.authHeads,
      },
      this,
    )
    this.head = entry
    if (!keep) A.free(after)
    return { entry: { bytes: entry.bytes, signature: entry.signature }, change, doc: keep ? after : null }
  }
}
