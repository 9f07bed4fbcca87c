/** Errors of the org service; match on `.name`. */
import { VerseGuyError } from '../../crdt/index.ts'

/** Bad input: names the field and why. Nothing was changed. */
export class InvalidInputError extends VerseGuyError {
  override name = 'InvalidInputError'
  readonly code = 'invalid-input'
  readonly kind = 'invalid'
  override readonly field: string
  constructor(field: string, message: string) {
    super(`${field}: ${message}. Nothing was changed.`)
    this.field = field
  }
}

/**
 * The caller's rank lacks the permission an action needs (checked before anything is
 * signed; every node checks again on receipt). Nothing was changed.
 */
export class PermissionDeniedError extends VerseGuyError {
  override name = 'PermissionDeniedError'
  readonly code = 'permission-denied'
  readonly kind = 'forbidden'
  /** The permission the action needs. */
  readonly permission: string
  /** The caller's rank (its name), or null for someone who is not a member. */
  readonly rank: string | null
  override readonly details: Readonly<Record<string, string>>
  constructor(what: string, permission: string, rank: string | null) {
    super(
      `${what} needs ${permission}, which ${rank === null ? 'a non-member' : `your rank ${rank}`} does not have. Nothing was changed.`,
    )
    this.permission = permission
    this.rank = rank
    this.details = rank === null ? { permission } : { permission, rank }
  }
}

export class OrgNotFoundError extends VerseGuyError {
  override name = 'OrgNotFoundError'
  readonly code = 'org-not-found'
  readonly kind = 'not-found'
  constructor(org: string) {
    super(`No org ${org} on this node.`)
  }
}

export class NotAMemberError extends VerseGuyError {
  override name = 'NotAMemberError'
  readonly code = 'not-a-member'
  readonly kind = 'not-found'
  constructor(what: string) {
    super(`${what} is not a member of this org.`)
  }
}

/**
 * An invite that cannot admit anyone (used, revoked, expired, …) or no member's node that
 * would admit: the message is the plain sentence for the person who tried it.
 */
export class InviteRefusedError extends VerseGuyError {
  override name = 'InviteRefusedError'
  readonly code = 'invite-refused'
  /** `unavailable` when no member's node could be reached to admit; `conflict` otherwise. */
  readonly kind: 'conflict' | 'unavailable'
  /** Why (`used`, `revoked`, `expired`, `not-yet-valid`, `invalid`, `removed`, `unreachable`, …). */
  readonly refusal: string
  constructor(refusal: string, message: string) {
    super(message)
    this.refusal = refusal
    this.kind = refusal === 'unreachable' ? 'unavailable' : 'conflict'
  }
}

/** A gated feature without a license that allows it now. Nothing was changed. */
export class FeatureLockedError extends VerseGuyError {
  override name = 'FeatureLockedError'
  readonly code = 'feature-locked'
  readonly kind = 'forbidden'
  readonly feature: string
  override readonly details: Readonly<Record<string, string>>
  constructor(feature: string, why: string) {
    super(`${feature} is not available: ${why}. Existing data stays readable; nothing was changed.`)
    this.feature = feature
    this.details = { feature }
  }
}

/** A rank that members still hold cannot be deleted. Nothing was changed. */
export class RankInUseError extends VerseGuyError {
  override name = 'RankInUseError'
  readonly code = 'rank-in-use'
  readonly kind = 'conflict'
  readonly rank: string
  override readonly details: Readonly<Record<string, string | number>>
  constructor(rank: string, holders: number) {
    super(
      `${holders} member(s) still hold rank ${rank}: assign them another rank first. Nothing was changed.`,
    )
    this.rank = rank
    this.details = { rank, holders }
  }
}

/** A rank id the org does not have. */
export class RankNotFoundError extends VerseGuyError {
  override name = 'RankNotFoundError'
  readonly code = 'rank-not-found'
  readonly kind = 'not-found'
  override readonly details: Readonly<Record<string, string>>
  constructor(rank: string) {
    super(`The org has no rank ${rank}.`)
    this.details = { rank }
  }
}

/** A rank id the org already has (create). Nothing was changed. */
export class RankExistsError extends VerseGuyError {
  override name = 'RankExistsError'
  readonly code = 'rank-exists'
  readonly kind = 'conflict'
  override readonly details: Readonly<Record<string, string>>
  constructor(rank: string) {
    super(`The org already has a rank ${rank}: change it with an update. Nothing was changed.`)
    this.details = { rank }
  }
}

/** An invite id no chain of the org has issued. */
export class InviteNotFoundError extends VerseGuyError {
  override name = 'InviteNotFoundError'
  readonly code = 'invite-not-found'
  readonly kind = 'not-found'
  constructor(id: string) {
    super(`No invite ${id} in this org.`)
  }
}
