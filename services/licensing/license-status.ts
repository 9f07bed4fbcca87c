/**
 * What a license means for an org at a given time: a pure function of the license text,
 * the org it is installed in, the trust store, the revoked ids and the (rollback-proof)
 * time. Every node computes it for itself.
 */
import { LicenseInvalidError } from './errors.ts'
import { type Feature, FREE_FEATURES, type Tier } from './features.ts'
import type { TrustStore } from './issuer-keys.ts'
import { type LicenseFields, readLicense } from './license-format.ts'

export const LICENSE_STATES = [
  'none',
  'valid',
  'grace',
  'expired',
  'not-yet-valid',
  'revoked',
  'wrong-org',
  'invalid',
] as const
export type LicenseState = (typeof LICENSE_STATES)[number]

export interface LicenseVerdict {
  readonly state: LicenseState
  /** Why, in a sentence, for anything but `valid` and `none`. */
  readonly reason: string | null
  /** The license's signed fields, when it decoded and verified. */
  readonly license: LicenseFields | null
  /** The tier whose features apply now: the license's while valid or in grace, else free. */
  readonly effectiveTier: Tier
  readonly features: ReadonlySet<Feature>
  /** Seats that bound invites now (null: no bound). */
  readonly seats: number | null
  readonly graceEnds: number | null
}

export interface LicenseContext {
  readonly orgId: string
  /** The org founder's member key, from the roster. */
  readonly founder: string
  readonly trust: TrustStore
  readonly revoked: ReadonlySet<string>
  /** Milliseconds; never earlier than the node's watermark (see LicenseClock). */
  readonly now: number
}

const FREE = (state: LicenseState, reason: string | null, license: LicenseFields | null): LicenseVerdict => ({
  state,
  reason,
  license,
  effectiveTier: 'free',
  features: FREE_FEATURES,
  seats: null,
  graceEnds: license === null ? null : license.expires + license.grace,
})

export function evaluateLicense(text: string | null, ctx: LicenseContext): LicenseVerdict {
  if (text === null) return FREE('none', null, null)
  let l: LicenseFields
  try {
    l = readLicense(text, ctx.trust).fields
  } catch (err) {
    if (err instanceof LicenseInvalidError) return FREE('invalid', err.message, null)
    throw err
  }
  if (l.org !== ctx.orgId || l.founder !== ctx.founder)
    return FREE('wrong-org', `this license was issued for org ${l.org}, not this org (${ctx.orgId})`, l)
  if (ctx.revoked.has(l.id)) return FREE('revoked', `license ${l.id} was revoked by its issuer`, l)
  if (ctx.now < l.notBefore) return FREE('not-yet-valid', `the license is valid from ${iso(l.notBefore)}`, l)
  const graceEnds = l.expires + l.grace
  if (ctx.now > graceEnds)
    return FREE(
      'expired',
      `the license expired on ${iso(l.expires)} and its grace period ended ${iso(graceEnds)}`,
      l,
    )
  const inGrace = ctx.now > l.expires
  return {
    state: inGrace ? 'grace' : 'valid',
    reason: inGrace
      ? `the license expired on ${iso(l.expires)}; features stay on until ${iso(graceEnds)}`
      : null,
    license: l,
    effectiveTier: l.tier,
    features: new Set<Feature>([...FREE_FEATURES, ...l.features]),
    seats: l.seats,
    graceEnds,
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
