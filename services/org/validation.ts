/**
 * Field rules shared by the services (checking user input, with errors naming the
 * field) and the change rules (checking what a change writes).
 */
import type { Scalar } from './auth-state.ts'
import { decodeGrants } from './permissions.ts'
import type { Container } from './roster-schema.ts'

/** RSI handles: letters, digits, `-` and `_`, 3 to 60 characters. */
export const HANDLE = /^[A-Za-z0-9_-]{3,60}$/
export const TAG = /^[A-Z0-9]{2,5}$/
export const RANK_ID = /^[a-z0-9][a-z0-9-]{0,31}$/
export const NAME_MIN = 3
export const NAME_MAX = 64
export const DESCRIPTION_MAX = 2000
export const NOTES_MAX = 2000
export const RANK_NAME_MAX = 32
export const MAX_LEVEL = 1_000_000
/** Records a roster may hold, checked on local and remote changes alike. */
export const ROSTER_LIMITS = {
  ranks: 64,
  members: 20_000,
} as const

/** The longest text a roster field takes: a longer string is refused as `oversize`. */
export function rosterTextMax(c: Container, key: string): number | undefined {
  switch (c.kind) {
    case 'org':
      return key === 'name'
        ? NAME_MAX
        : key === 'description'
          ? DESCRIPTION_MAX
          : key === 'tag'
            ? 5
            : undefined
    case 'rank':
      return c.field === 'rankName' ? RANK_NAME_MAX : undefined
    case 'member':
      return c.field === 'mNotes' ? NOTES_MAX : c.field === 'mHandle' ? 60 : undefined
    case 'invite':
      return undefined
  }
}

const isText = (v: Scalar, min: number, max: number) =>
  typeof v === 'string' && v.length >= min && v.length <= max
const isTime = (v: Scalar) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

export const VALID = {
  /** What may be stored under a roster key; null when fine, else why not. */
  rosterValue(c: Container, key: string, v: Scalar): string | null {
    switch (c.kind) {
      case 'org':
        if (key === 'name')
          return isText(v, NAME_MIN, NAME_MAX) && (v as string).trim() === v
            ? null
            : 'org name must be 3 to 64 characters'
        if (key === 'tag')
          return typeof v === 'string' && TAG.test(v)
            ? null
            : 'org tag must be 2 to 5 upper-case letters or digits'
        if (key === 'description') return isText(v, 0, DESCRIPTION_MAX) ? null : 'description is too long'
        if (key === 'deletedAt') return isTime(v) ? null : 'deletedAt must be a time'
        return null
      case 'rank':
        if (!RANK_ID.test(key)) return `rank id ${key.slice(0, 40)} is not lower-case letters, digits and -`
        if (c.field === 'rankName')
          return isText(v, 1, RANK_NAME_MAX) ? null : 'rank name must be 1 to 32 characters'
        if (c.field === 'rankLevel') {
          return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) < MAX_LEVEL
            ? null
            : 'rank level must be a whole number from 1'
        }
        if (typeof v !== 'string' || decodeGrants(v).size !== (v === '' ? 0 : v.split(',').length)) {
          return 'rank permissions must be known permission strings'
        }
        return null
      case 'invite':
        if (!/^[0-9a-f]{32}$/.test(key)) return 'invite id must be 32 hex characters'
        if (c.field === 'invitesUsed')
          return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
            ? null
            : 'invitesUsed must name a member key'
        return isTime(v) ? null : 'invitesRevoked must be a time'
      case 'member':
        switch (c.field) {
          case 'mRank':
            return typeof v === 'string' && RANK_ID.test(v) ? null : 'rank must be a rank id'
          case 'mHandle':
            return typeof v === 'string' && HANDLE.test(v)
              ? null
              : 'handle must be 3 to 60 letters, digits, - or _'
          case 'mJoined':
          case 'kicked':
            return isTime(v) ? null : `${c.field} must be a time`
          case 'mHead':
            return isTime(v) ? null : 'mHead must be a chain seq'
          case 'mNotes':
            return isText(v, 0, NOTES_MAX) ? null : 'notes are too long'
          case 'mInvite':
            return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v)
              ? null
              : 'invite id must be 32 hex characters'
        }
    }
  },
}
