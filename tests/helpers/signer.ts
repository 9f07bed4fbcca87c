/** Test signers and chains: Ed25519 keys on node:crypto, entries built with `signEntry`. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import {
  type ChangeHash,
  type DocId,
  type Entry,
  type EntryBody,
  type EntryHash,
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  type MemberKey,
  type SignedEntry,
  type Signer,
  sha256,
  signEntry,
  toHex,
} from '../../crdt/index.ts'

export interface TestSigner extends Signer {
  readonly privateKey: KeyObject
  readonly publicKey: Uint8Array
}

/** A signer with a fresh key, or with the key of a fixed 32-byte seed. */
export function makeSigner(seed?: Uint8Array): TestSigner {
  const privateKey =
    seed === undefined ? generateKeyPairSync('ed25519').privateKey : ed25519PrivateKeyObject(seed)
  const publicKey = ed25519RawPublicKey(privateKey)
  return {
    privateKey,
    publicKey,
    memberKey: toHex(publicKey) as MemberKey,
    sign: (data) => ed25519Sign(privateKey, data),
  }
}

/** A deterministic 32-byte hash (hex) for a label: stands in for change and entry hashes. */
export function fakeHash<T extends ChangeHash | EntryHash>(label: string): T {
  return toHex(sha256(new TextEncoder().encode(label))) as T
}

export const TEST_DOC = 'test:doc-1' as DocId
/** The scope of test chains (an org id's shape; crdt treats it as opaque). */
export const TEST_SCOPE = '5c09e'.padEnd(32, '0')
/** Test stores put every document in `TEST_SCOPE`. */
export const testScopeOfDoc = (): string => TEST_SCOPE
export const BASE_TIME = 1_700_000_000_000

/**
 * The body of entry `seq` of a test chain. Even entries cover changes of a document,
 * odd ones are plain records, so both shapes appear in every chain.
 */
export function entryBody(
  author: MemberKey,
  seq: number,
  prev: EntryHash | null,
  overrides: Partial<EntryBody> = {},
): EntryBody {
  const withDoc = seq % 2 === 0
  return {
    scope: TEST_SCOPE,
    author,
    seq,
    prev,
    time: BASE_TIME + seq * 1000,
    action: withDoc ? 'test.change' : 'test.note',
    resource: `test:resource-${seq}`,
    details: { i: seq, tags: ['a', 'b'], nested: { ok: true, n: null } },
    doc: withDoc ? TEST_DOC : null,
    changes: withDoc
      ? [fakeHash<ChangeHash>(`change-${seq}-a`), fakeHash<ChangeHash>(`change-${seq}-b`)]
      : [],
    authHeads: [fakeHash<ChangeHash>(`auth-${seq}`)],
    ...overrides,
  }
}

/** A valid chain of `n` entries by `signer`, seq 1..n (or continuing after `after`). */
export function buildChain(
  signer: Signer,
  n: number,
  options: {
    after?: { seq: number; hash: EntryHash }
    body?: (seq: number) => Partial<EntryBody>
  } = {},
): Entry[] {
  const chain: Entry[] = []
  let prev = options.after?.hash ?? null
  const first = (options.after?.seq ?? 0) + 1
  for (let seq = first; seq < first + n; seq++) {
    const entry = signEntry(entryBody(signer.memberKey, seq, prev, options.body?.(seq)), signer)
    chain.push(entry)
    prev = entry.hash
  }
  return chain
}

/** Just the signed form of an entry (what travels): fresh copies of its bytes and signature. */
export function signedForm(entry: SignedEntry): SignedEntry {
  return { bytes: Uint8Array.from(entry.bytes), signature: Uint8Array.from(entry.signature) }
}

/** The body fields of a decoded or signed entry. */
export function bodyOf(entry: Entry): EntryBody {
  const { scope, author, seq, prev, time, action, resource, details, doc, changes, authHeads } = entry
  return { scope, author, seq, prev, time, action, resource, details, doc, changes, authHeads }
}
