/**
 * `license:<orgId>`: how a license and the issuer's revocation lists travel to every
 * member. The document only carries the signed files; every node verifies them itself
 * (license-status.ts), so what the rules check here is who may write what:
 *
 * - First change: `schema`, `org` (as the id says) and the `revocations` map.
 * - `license` (set or delete): members with `org:manage` only.
 * - `revocations[<seq>]`: any member may add a list under a new key; nobody overwrites or
 *   deletes one (a node keeps the highest valid sequence it has seen, whatever is here).
 */
import * as A from '@automerge/automerge'
import { type ChangeContext, type DocId, parseDocId, type Verdict } from '../../crdt/index.ts'
import type { AuthIndex } from '../org/index.ts'
import { authForEntry, ORG_ID, structuralProblem } from '../org/index.ts'
import { MAX_LICENSE_CHARS, MAX_REVOCATIONS_CHARS } from './license-format.ts'

export interface LicenseDoc {
  schema: number
  org: A.ImmutableString
  license: A.ImmutableString | null
  revocations: Record<string, A.ImmutableString>
}

export const LICENSE_DOC_SCHEMA = 1
const SEQ_KEY = /^[1-9][0-9]{0,15}$/

export function licenseDocId(orgId: string): DocId {
  return parseDocId(`license:${orgId}`)
}

type RawOp = { action: string; obj: string; key?: unknown; value?: unknown; pred?: string[] }

const refuse = (reason: string): Verdict => ({ ok: false, reason })

export async function validateLicenseDoc(ctx: ChangeContext, auth: AuthIndex): Promise<Verdict> {
  const orgId = ctx.docId.slice('license:'.length)
  if (!ORG_ID.test(orgId)) return refuse(`${ctx.docId} is not a license document id`)
  const judged = await authForEntry(ctx, auth, orgId)
  if (!judged.ok) return judged
  const { state } = judged
  const author = ctx.entry.author
  // The document as it stands before this entry, with earlier changes of this batch.
  const before =
    ctx.prior.length === 0 ? ctx.doc : A.applyChanges(A.clone(ctx.doc), [...ctx.prior] as A.Change[])[0]
  const creating = (before as Partial<LicenseDoc>).schema === undefined
  // The revocation maps (one, or several if two members created the document at once).
  const maps = new Set<string>()
  const conflicts = A.getConflicts(before, 'revocations')
  if (conflicts !== undefined) for (const id of Object.keys(conflicts)) maps.add(id)
  const current = (before as Partial<LicenseDoc>).revocations
  if (typeof current === 'object' && current !== null) {
    const id = A.getObjectId(current)
    if (id !== null) maps.add(id)
  }
  for (const change of ctx.changes) {
    const ops = change.ops as RawOp[]
    const problem = structuralProblem(ops)
    if (problem !== null) return refuse(problem)
    const first = creating && change.deps.length === 0
    for (const [i, op] of ops.entries()) {
      if (op.obj === '_root') {
        if (op.key === 'license') {
          if (!state.can(author, 'org:manage')) return refuse('installing a license needs org:manage')
          if (op.action === 'set' && !(typeof op.value === 'string' && op.value.length <= MAX_LICENSE_CHARS))
            return refuse('license must be the text of a license file')
          if (op.action === 'makeMap') return refuse('license must be text')
          continue
        }
        if (!first) return refuse(`${String(op.key)} of a license document never changes`)
        if (op.key === 'schema' && op.action === 'set' && op.value === LICENSE_DOC_SCHEMA) continue
        if (op.key === 'org' && op.action === 'set' && op.value === orgId) continue
        if (op.key === 'revocations' && op.action === 'makeMap') {
          maps.add(`${change.startOp + i}@${change.actor}`)
          continue
        }
        return refuse(
          'a new license document must name its schema, its org as its id does, and a revocations map',
        )
      }
      if (!maps.has(op.obj)) return refuse('op on an object outside the license document layout')
      if (op.action !== 'set' || typeof op.key !== 'string' || !SEQ_KEY.test(op.key))
        return refuse('revocation lists are added under their sequence number, never removed')
      if ((op.pred ?? []).length > 0) return refuse('a revocation list is never overwritten')
      if (!(typeof op.value === 'string' && op.value.length <= MAX_REVOCATIONS_CHARS))
        return refuse('a revocation list must be the text of a revocation file')
    }
  }
  return { ok: true }
}
