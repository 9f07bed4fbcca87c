/** Errors of the org service; match on `.name`. */

/** Bad input: names the field and why. Nothing was changed. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError'
  readonly field: string
  constructor(field: string, message: string) {
    super(`${field}: ${message}. Nothing was changed.`)
    this.field = field
  }
}

export class OrgNotFoundError extends Error {
  override name = 'OrgNotFoundError'
  constructor(org: string) {
    super(`No org ${org} on this node.`)
  }
}

export class NotAMemberError extends Error {
  override name = 'NotAMemberError'
  constructor(what: string) {
    super(`${what} is not a member of this org.`)
  }
}

/**
 * An invite that cannot admit anyone (used, revoked, expired, …) or no member's node that
 * would admit: the message is the plain sentence for the person who tried it.
 */
export class InviteRefusedError extends Error {
  override name = 'InviteRefusedError'
  /** Why, as a code (`used`, `revoked`, `expired`, `not-yet-valid`, `invalid`, `removed`, `unreachable`, …). */
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** A gated feature without a license that allows it now. Nothing was changed. */
export class FeatureLockedError extends Error {
  override name = 'FeatureLockedError'
  readonly feature: string
  constructor(feature: string, why: string) {
    super(`${feature} is not available: ${why}. Existing data stays readable; nothing was changed.`)
    this.feature = feature
  }
}
