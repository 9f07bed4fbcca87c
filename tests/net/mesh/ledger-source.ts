/**
 * A small `MeshSource` for the mesh's acceptance suite: one org whose roster every node
 * shares, and per author a chain of signed entries (signature || author || seq ||
 * payload, Ed25519 with the author's member key). `receive` verifies as a real node
 * would in kind (malformed, bad signature, not a member: offences; a gap: innocent), so
 * the mesh's discipline, scheduling and gossip are tested without documents.
 */
import { randomBytes } from 'node:crypto'
import {
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  ed25519Verify,
  INNOCENT_KINDS,
  type RefusalKind,
} from '../../../crdt/index.ts'
import type { MeshSource, SyncReceipt } from '../../../net/index.ts'

/** The org every ledger of a test shares: its roster is the same object on every node. */
export interface LedgerOrg {
  readonly id: string
  readonly secret: Uint8Array
  /** Member keys (hex). */
  readonly members: Set<string>
  /** Member keys removed from the org. */
  readonly removed: Set<string>
}

export function ledgerOrg(): LedgerOrg {
  return {
    id: randomBytes(16).toString('hex'),
    secret: new Uint8Array(randomBytes(32)),
    members: new Set(),
    removed: new Set(),
  }
}

const HEADER = 64 + 32 + 4

/** Packs one entry of `author` (signed with `seed`'s key, or forged: signed by another key). */
export function packLedgerEntry(
  seed: Uint8Array,
  author: Uint8Array,
  seq: number,
  payload: string,
): Uint8Array {
  const body = Buffer.alloc(32 + 4 + Buffer.byteLength(payload))
  body.set(author, 0)
  body.writeUInt32BE(seq, 32)
  body.write(payload, 36)
  const sig = ed25519Sign(ed25519PrivateKeyObject(seed), body)
  return new Uint8Array(Buffer.concat([sig, body]))
}

type Listener = Parameters<MeshSource['onLocal']>[0]

export class LedgerSource implements MeshSource {
  readonly org: LedgerOrg
  readonly memberKey: string
  readonly #seed: Uint8Array
  readonly #author: Uint8Array
  readonly #chains = new Map<string, Uint8Array[]>()
  readonly #listeners = new Set<Listener>()
  /** Calls of `receive` (gossip and sync alike): what peers' bytes cost this node. */
  receives = 0

  constructor(seed: Uint8Array, org: LedgerOrg) {
    this.#seed = seed
    this.org = org
    this.#author = ed25519RawPublicKey(ed25519PrivateKeyObject(seed))
    this.memberKey = Buffer.from(this.#author).toString('hex')
  }

  /** Appends `count` local entries (one batch) and hands them to the mesh for gossip. */
  write(count = 1, label = 'x'): void {
    const chain = this.#chain(this.memberKey)
    const entries: Uint8Array[] = []
    for (let i = 0; i < count; i++) {
      const e = packLedgerEntry(this.#seed, this.#author, chain.length + 1, `${label}${chain.length + 1}`)
      chain.push(e)
      entries.push(e)
    }
    for (const l of this.#listeners) l(this.org.id, { entries, changes: [] })
  }

  /** Entries held, every author. */
  count(): number {
    let n = 0
    for (const c of this.#chains.values()) n += c.length
    return n
  }

  /** Entries held of one author. */
  countOf(memberKey: string): number {
    return this.#chains.get(memberKey)?.length ?? 0
  }

  async orgs(): Promise<string[]> {
    return [this.org.id]
  }

  async meshSecret(org: string): Promise<Uint8Array | null> {
    return org === this.org.id ? this.org.secret : null
  }

  onLocal(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async mayServe(org: string, member: string): Promise<boolean> {
    return (await this.standing(org, member)) === 'member'
  }

  async standing(org: string, member: string): Promise<'member' | 'removed' | 'stranger'> {
    if (org !== this.org.id) return 'stranger'
    if (this.org.removed.has(member)) return 'removed'
    return this.org.members.has(member) ? 'member' : 'stranger'
  }

  async heads(_org: string): Promise<ReadonlyMap<string, number>> {
    return new Map([...this.#chains].filter(([, c]) => c.length > 0).map(([a, c]) => [a, c.length]))
  }

  async entriesAfter(
    _org: string,
    author: string,
    after: number,
    bounds: { limit: number; maxBytes: number },
  ): Promise<{ entries: Uint8Array[]; changes: Uint8Array[]; docs: ReadonlyMap<string, number> }> {
    const chain = this.#chains.get(author) ?? []
    const entries: Uint8Array[] = []
    let bytes = 0
    for (const e of chain.slice(after, after + bounds.limit)) {
      if (entries.length > 0 && bytes + e.length > bounds.maxBytes) break
      entries.push(e)
      bytes += e.length
    }
    return { entries, changes: [], docs: new Map() }
  }

  async snapshot(): Promise<Uint8Array | null> {
    return null
  }

  async receive(org: string, batch: { entries: readonly Uint8Array[] }): Promise<SyncReceipt> {
    this.receives++
    const byKind = new Map<RefusalKind, number>()
    const reasons: string[] = []
    let accepted = 0
    const refuse = (kind: RefusalKind, why: string) => {
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1)
      if (reasons.length < 10) reasons.push(why)
    }
    for (const e of batch.entries) {
      if (org !== this.org.id || e.length < HEADER) {
        refuse('malformed', 'not an entry of this org')
        continue
      }
      const sig = e.subarray(0, 64)
      const body = e.subarray(64)
      const author = Buffer.from(body.subarray(0, 32)).toString('hex')
      const seq = Buffer.from(body).readUInt32BE(32)
      if (!this.org.members.has(author)) refuse('not-member', 'the author is not a member')
      else if (!ed25519Verify(body.subarray(0, 32), body, sig)) refuse('bad-signature', 'bad signature')
      else {
        const chain = this.#chain(author)
        if (seq <= chain.length) continue // already held
        if (seq > chain.length + 1) refuse('gap', `gap before ${seq}`)
        else {
          chain.push(e)
          accepted++
        }
      }
    }
    let rejected = 0
    let offences = 0
    for (const [kind, n] of byKind) {
      rejected += n
      if (!INNOCENT_KINDS.has(kind)) offences += n
    }
    return { accepted, rejected, offences, byKind, reasons, roster: false }
  }

  #chain(author: string): Uint8Array[] {
    let c = this.#chains.get(author)
    if (c === undefined) {
      c = []
      this.#chains.set(author, c)
    }
    return c
  }
}
