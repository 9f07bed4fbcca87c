/**
 * Who may change a hangar: its owner, or a member with `fleet:manage` whose level is
 * above the owner's. Judged on the roster state at the entry's recorded heads; the
 * hangar's first change must name its org and owner as the document id says. What a
 * change writes must fit the hangar layout and its bounds (hangar-shape.ts).
 */
import type { ChangeContext, DecodedChange, Verdict } from '../../crdt/index.ts'
import type { AuthIndex } from '../org/index.ts'
import { authForEntry, structuralProblem } from '../org/index.ts'
import { workingBackendAt } from '../working-doc.ts'
import { parseHangarName } from './hangar-schema.ts'
import { judgeHangarShape } from './hangar-shape.ts'

const IMMUTABLE_ROOT = new Set(['schema', 'org', 'owner'])

export function validateHangar(ctx: ChangeContext, auth: AuthIndex): Verdict | Promise<Verdict> {
  const parts = parseHangarName(ctx.docId.slice('hangar:'.length))
  if (parts === null) return { ok: false, reason: `${ctx.docId} is not a hangar id` }
  const judged = authForEntry(ctx, auth, parts.orgId)
  return judged instanceof Promise ? judged.then((j) => byRules(ctx, parts, j)) : byRules(ctx, parts, judged)
}

function byRules(
  ctx: ChangeContext,
  parts: { orgId: string; owner: string },
  judged: Awaited<ReturnType<typeof authForEntry>>,
): Verdict {
  if (!judged.ok) return judged
  const { state } = judged
  const author = ctx.entry.author
  if (author !== parts.owner) {
    if (!state.can(author, 'fleet:manage'))
      return { ok: false, reason: "changing another member's hangar needs fleet:manage" }
    if (state.isMember(parts.owner) && state.levelOf(parts.owner) >= state.levelOf(author)) {
      return { ok: false, reason: 'that hangar belongs to a member at or above your own level' }
    }
  }
  const empty = (ctx.doc as { owner?: unknown }).owner === undefined && ctx.prior.length === 0
  for (const change of ctx.changes) {
    const ops = change.ops as { action: string; obj: string; key?: unknown; value?: unknown }[]
    const problem = structuralProblem(ops)
    if (problem !== null) return { ok: false, reason: problem }
    const rootOps = ops.filter((o) => o.obj === '_root')
    if (empty && change.deps.length === 0) {
      const value = (key: string) => rootOps.find((o) => o.key === key && o.action === 'set')?.value
      if (value('org') !== parts.orgId || value('owner') !== parts.owner) {
        return { ok: false, reason: 'a new hangar must name its org and owner as its id does' }
      }
    } else if (rootOps.some((o) => typeof o.key === 'string' && IMMUTABLE_ROOT.has(o.key))) {
      return { ok: false, reason: "a hangar's org and owner never change" }
    }
  }
  for (let i = 0; i < ctx.changes.length; i++) {
    const verdict = judgeHangarShape(ctx.doc, () => workingBackendAt(ctx, i), ctx.changes[i] as DecodedChange)
    if (!verdict.ok) return verdict
  }
  return { ok: true }
}
