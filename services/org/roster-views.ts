/**
 * What the roster reads as for people and the API: its ranks and its current members,
 * from a roster document (the masked view, see roster-access.ts).
 */
import type { MemberKey } from '../../crdt/index.ts'
import { decodeGrants } from './permissions.ts'
import { isMemberIn } from './roster-access.ts'
import { type RosterDoc, text } from './roster-schema.ts'

export interface RankView {
  readonly id: string
  readonly name: string
  readonly level: number
  readonly permissions: string[]
}

export interface MemberView {
  readonly memberKey: MemberKey
  readonly handle: string
  readonly rank: string
  readonly rankName: string
  readonly level: number
  readonly joinedAt: number
  readonly notes: string
}

/** The roster's ranks, highest first. */
export function rankViews(doc: RosterDoc): RankView[] {
  return Object.keys(doc.rankLevel)
    .map((id) => ({
      id,
      name: text(doc.rankName[id]) ?? id,
      level: doc.rankLevel[id] as number,
      permissions: [...decodeGrants(text(doc.rankPerms[id]))],
    }))
    .sort((a, b) => b.level - a.level)
}

/** Current members (kicked ones excluded), highest rank first, then by handle. */
export function memberViews(doc: RosterDoc): MemberView[] {
  const out: MemberView[] = []
  for (const [b, bucket] of Object.entries(doc.mRank)) {
    for (const [key, rankValue] of Object.entries(bucket)) {
      if (!isMemberIn(doc, key)) continue
      const rank = text(rankValue) ?? ''
      out.push({
        memberKey: key as MemberKey,
        handle: text(doc.mHandle[b]?.[key]) ?? '',
        rank,
        rankName: text(doc.rankName[rank]) ?? rank,
        level: doc.rankLevel[rank] ?? 0,
        joinedAt: doc.mJoined[b]?.[key] ?? 0,
        notes: text(doc.mNotes[b]?.[key]) ?? '',
      })
    }
  }
  return out.sort((a, b) => b.level - a.level || a.handle.localeCompare(b.handle))
}
