/**
 * The roster document, `org:<orgId>`: the org, its ranks, members and invites. A change
 * is judged on the authorization state at its own dependencies; the first change must
 * create the org its id was derived for (roster-create.ts).
 */
import type * as A from '@automerge/automerge'
import type { ChangeContext, ChangeHash, Verdict } from '../../crdt/index.ts'
import { type DocumentType, leadingOrgId } from '../document-type.ts'
import type { AuthIndex } from './auth-index.ts'
import { ORG_ID } from './org-id.ts'
import { judgeRosterCreate } from './roster-create.ts'
import { judgeRosterChange } from './roster-rules.ts'
import type { RosterDoc } from './roster-schema.ts'

export const rosterType: DocumentType = {
  name: 'org',
  orgOf: leadingOrgId,
  validate(ctx, { auth }) {
    const name = ctx.docId.slice('org:'.length)
    return ORG_ID.test(name)
      ? validateRoster(name, ctx, auth)
      : { ok: false, reason: `${ctx.docId} is not an org id` }
  },
}

async function validateRoster(orgId: string, ctx: ChangeContext, auth: AuthIndex): Promise<Verdict> {
  const doc = ctx.doc as A.Doc<RosterDoc>
  for (const [i, change] of ctx.changes.entries()) {
    const hash = change.hash as ChangeHash
    const isFirst = change.deps.length === 0 && (doc.org === undefined || doc.org === null)
    if (isFirst) {
      const judged = judgeRosterCreate({
        orgId,
        author: ctx.entry.author,
        change,
        bytes: ctx.changeBytes[i] as Uint8Array,
      })
      if (!judged.ok) return judged
      auth.setContainers(orgId, judged.containers)
      auth.remember(orgId, [hash], judged.after)
      continue
    }
    const containers = await auth.containersOf(orgId, doc.org === undefined ? undefined : doc)
    const state = await auth.stateAt(orgId, change.deps as ChangeHash[])
    if (containers === null || state === null) {
      return { ok: false, reason: 'depends on roster changes this node does not hold', pending: true }
    }
    const judged = judgeRosterChange({
      author: ctx.entry.author,
      entry: ctx.entry,
      change,
      state,
      containers,
    })
    if (!judged.ok) return judged
    auth.remember(orgId, [hash], judged.after)
  }
  return { ok: true }
}
