/**
 * The node side of licensing: installs a license into its org's license document (so it
 * reaches every member), adopts the issuer's revocation lists (keeping the highest
 * sequence seen per issuer, refusing older ones), reports each org's license status,
 * and is the feature gate the org and invite services ask before gated writes.
 * Verification is offline: the trust store and the files are all it needs.
 */
import * as A from '@automerge/automerge'
import type { DocumentStore, JsonValue, MemberKey, Signer } from '../../crdt/index.ts'
import {
  type AuthIndex,
  type FeatureGate,
  FeatureLockedError,
  RosterAccess,
  type RosterDoc,
  str,
  summarizeRoster,
  text,
} from '../org/index.ts'
import { LicenseInvalidError, SeatsExhaustedError } from './errors.ts'
import { type Feature, TIER_FEATURES, TIERS, type Tier } from './features.ts'
import type { TrustStore } from './issuer-keys.ts'
import { type ClockReading, type ClockReset, LicenseClock } from './license-clock.ts'
import { LICENSE_DOC_SCHEMA, type LicenseDoc, licenseDocId } from './license-doc.ts'
import { readLicense, readRevocations, type SignedRevocations } from './license-format.ts'
import { evaluateLicense, type LicenseState, type LicenseVerdict } from './license-status.ts'

const REVOCATIONS_SETTING = 'license.revocations'

export interface LicenseStatus {
  readonly org: string
  /** The org founder's member key, signed into licenses. */
  readonly founder: string
  /** What an issuer needs to sign a license for this org: `<org>.<founder>`. */
  readonly orgRef: string
  readonly state: LicenseState
  readonly reason: string | null
  readonly licenseId: string | null
  /** The tier the license names (null without one). */
  readonly tier: Tier | null
  /** The tier in force now: the license's while valid or in grace, else free. */
  readonly effectiveTier: Tier
  readonly features: Feature[]
  readonly issuer: string | null
  readonly keyId: string | null
  readonly notBefore: number | null
  readonly expires: number | null
  readonly graceEnds: number | null
  readonly seats: number | null
  readonly members: number
  readonly warnings: string[]
  readonly clock: ClockReading
}

export interface RevocationsStatus {
  readonly issuer: string
  readonly seq: number
  readonly revoked: number
}

export interface LicenseServiceComponents {
  readonly store: DocumentStore
  readonly signer: Signer
  readonly auth: AuthIndex
  readonly trust: TrustStore
  /** The wall clock (tests move it). */
  readonly wall?: () => number
}

interface HeldList {
  seq: number
  text: string
}

export class LicenseService implements FeatureGate {
  private readonly store: DocumentStore
  private readonly rosters: RosterAccess
  private readonly trust: TrustStore
  private readonly clock: LicenseClock
  private readonly auth: AuthIndex
  /** Highest revocation list held per issuer (lists are cumulative). */
  private held: Map<string, HeldList> | null = null
  private revoked = new Set<string>()
  /** Revocation list texts already read from license documents. */
  private readonly considered = new Set<string>()

  constructor(c: LicenseServiceComponents) {
    this.store = c.store
    this.auth = c.auth
    this.rosters = new RosterAccess({ store: c.store, auth: c.auth })
    this.trust = c.trust
    this.clock = new LicenseClock({
      store: c.store,
      me: c.signer.memberKey,
      ...(c.wall === undefined ? {} : { wall: c.wall }),
    })
  }

  /**
   * The trust store changed (an issuer key trusted or no longer trusted): revocation
   * lists are judged again under it, those once ignored as untrusted included. Licenses
   * are judged on every status and gate check, so they follow at once.
   */
  trustChanged(): void {
    this.considered.clear()
    if (this.held !== null) this.recomputeRevoked(this.held)
  }

  /**
   * Verifies a license file offline and installs it in its org's license document, from
   * where it reaches every member. Throws `LicenseInvalidError` (nothing changed) for a
   * file that does not verify, was issued for another org, is revoked or has expired.
   */
  async install(orgId: string, licenseText: string): Promise<LicenseStatus> {
    const l = readLicense(licenseText, this.trust).fields
    const roster = await this.rosters.roster(orgId)
    const verdict = evaluateLicense(licenseText, await this.context(orgId, roster))
    if (verdict.state === 'wrong-org' || verdict.state === 'revoked' || verdict.state === 'expired')
      throw new LicenseInvalidError(`${verdict.reason}. Nothing was changed.`)
    await this.writeDoc(
      orgId,
      roster,
      { action: 'license.install', resource: `license:${orgId}/${l.id}` },
      (d) => {
        d.license = str(licenseText)
      },
    )
    return this.status(orgId)
  }

  /**
   * Adopts an issuer's revocation list if it verifies and is newer than the one held,
   * then adds it to every org's license document this node holds, so it spreads.
   * Throws `LicenseInvalidError` for an invalid or older list (nothing changed).
   */
  async installRevocations(listText: string): Promise<RevocationsStatus> {
    const list = readRevocations(listText, this.trust)
    const held = (await this.heldLists()).get(list.fields.issuer)
    if (held !== undefined && held.seq >= list.fields.seq)
      throw new LicenseInvalidError(
        `revocation list ${list.fields.seq} is not newer than list ${held.seq} already held; nothing was changed`,
      )
    await this.adopt(list, listText)
    for (const id of await this.store.list('org')) {
      const orgId = id.slice('org:'.length)
      const roster = await this.rosters.roster(orgId)
      if (summarizeRoster(roster).deleted) continue
      const key = String(list.fields.seq)
      const doc = await this.licenseDoc(orgId)
      if (doc !== null && doc.revocations[key] !== undefined) continue
      await this.writeDoc(
        orgId,
        roster,
        { action: 'license.revocations', resource: `license:${orgId}/revocations/${key}` },
        (d) => {
          d.revocations[key] = str(listText)
        },
      )
    }
    return { issuer: list.fields.issuer, seq: list.fields.seq, revoked: list.fields.revoked.length }
  }

  /** The revocation lists this node holds, one per issuer. */
  async revocations(): Promise<RevocationsStatus[]> {
    const out: RevocationsStatus[] = []
    for (const [issuer, l] of await this.heldLists()) {
      out.push({ issuer, seq: l.seq, revoked: readRevocations(l.text, this.trust).fields.revoked.length })
    }
    return out
  }

  /** An org's license status as this node judges it now. */
  async status(orgId: string): Promise<LicenseStatus> {
    const roster = await this.rosters.roster(orgId)
    const { verdict, clock } = await this.judge(orgId, roster)
    const summary = summarizeRoster(roster)
    const members = summary.memberCount
    const l = verdict.license
    const warnings: string[] = []
    if (verdict.reason !== null) warnings.push(verdict.reason)
    if (verdict.seats !== null && members > verdict.seats)
      warnings.push(
        `${members} members but ${verdict.seats} seats: no new invites until the license has more`,
      )
    if (clock.rolledBack)
      warnings.push(
        `this computer's clock (${new Date(clock.wall).toISOString()}) is behind time already seen (${new Date(clock.watermark).toISOString()}); the license is judged at the later time. ` +
          'If this clock is right now, reset the license clock (license clock-reset; the reset is recorded in your chain)',
      )
    return {
      org: orgId,
      founder: summary.owner,
      orgRef: `${orgId}.${summary.owner}`,
      state: verdict.state,
      reason: verdict.reason,
      licenseId: l?.id ?? null,
      tier: l?.tier ?? null,
      effectiveTier: verdict.effectiveTier,
      features: [...verdict.features],
      issuer: l?.issuer ?? null,
      keyId: l?.keyId ?? null,
      notBefore: l?.notBefore ?? null,
      expires: l?.expires ?? null,
      graceEnds: verdict.graceEnds,
      seats: verdict.seats,
      members,
      warnings,
      clock,
    }
  }

  /**
   * Resets the license clock's watermark to this computer's clock, recorded in this
   * member's chain, once the member confirms that their clock is right (see
   * `LicenseClock.reset`). Without `confirm` it changes nothing and says what it would do.
   */
  async resetClock(confirm: boolean): Promise<ClockReset> {
    return this.clock.reset(confirm)
  }

  /** Every org's status (deleted orgs included: their data stays readable). */
  async statusAll(): Promise<LicenseStatus[]> {
    const out: LicenseStatus[] = []
    for (const id of await this.store.list('org')) out.push(await this.status(id.slice('org:'.length)))
    return out
  }

  async require(orgId: string, feature: Feature): Promise<void> {
    const roster = await this.rosters.roster(orgId)
    const { verdict } = await this.judge(orgId, roster)
    if (verdict.features.has(feature)) return
    throw new FeatureLockedError(feature, lockedReason(verdict, feature))
  }

  async anyOrgHas(feature: Feature): Promise<boolean> {
    for (const id of await this.store.list('org')) {
      const orgId = id.slice('org:'.length)
      const { verdict } = await this.judge(orgId, await this.rosters.roster(orgId))
      if (verdict.features.has(feature)) return true
    }
    return false
  }

  async requireSeat(orgId: string): Promise<void> {
    const roster = await this.rosters.roster(orgId)
    const { verdict } = await this.judge(orgId, roster)
    if (verdict.seats === null) return
    // Counted only under a seat limit: a count reads the whole roster (each invite asks).
    const members = summarizeRoster(roster).memberCount
    if (members >= verdict.seats) throw new SeatsExhaustedError(members, verdict.seats)
  }

  private async judge(
    orgId: string,
    roster: A.Doc<RosterDoc>,
  ): Promise<{ verdict: LicenseVerdict; clock: ClockReading }> {
    const doc = await this.licenseDoc(orgId)
    if (doc !== null) await this.adoptFromDoc(doc)
    const ctx = await this.context(orgId, roster)
    // The license as the org's view shows it: a removed member's later install has no effect (rule 5).
    const shown =
      doc === null ? null : ((await this.auth.membership?.view(orgId, licenseDocId(orgId), doc)) ?? doc)
    return {
      verdict: evaluateLicense(shown === null ? null : (text(shown.license) ?? null), ctx),
      clock: ctx.clock,
    }
  }

  private async context(orgId: string, roster: A.Doc<RosterDoc>) {
    const clock = await this.clock.read()
    await this.heldLists()
    return {
      orgId,
      founder: (text(roster.org.owner) ?? '') as MemberKey,
      trust: this.trust,
      revoked: this.revoked,
      now: clock.now,
      clock,
    }
  }

  private async licenseDoc(orgId: string): Promise<A.Doc<LicenseDoc> | null> {
    const id = licenseDocId(orgId)
    return (await this.store.has(id)) ? this.store.get<LicenseDoc>(id) : null
  }

  /** Revocation lists members added to the document: adopted when valid and newer. */
  private async adoptFromDoc(doc: A.Doc<LicenseDoc>): Promise<void> {
    const held = await this.heldLists()
    for (const key of Object.keys(doc.revocations ?? {})) {
      // Every concurrent value under the key (getConflicts is undefined when there is one).
      const candidates = Object.values(A.getConflicts(doc.revocations, key) ?? { one: doc.revocations[key] })
      for (const value of candidates) {
        const listText = text(value as A.ImmutableString)
        // Each list text is verified once: gate checks run before every gated write.
        if (listText === undefined || this.considered.has(listText)) continue
        this.considered.add(listText)
        let list: SignedRevocations
        try {
          list = readRevocations(listText, this.trust)
        } catch {
          continue // Not from a trusted issuer: ignored, as a forged list must be.
        }
        if (String(list.fields.seq) !== key) continue
        if ((held.get(list.fields.issuer)?.seq ?? 0) < list.fields.seq) await this.adopt(list, listText)
      }
    }
  }

  private async adopt(list: SignedRevocations, listText: string): Promise<void> {
    const held = await this.heldLists()
    held.set(list.fields.issuer, { seq: list.fields.seq, text: listText })
    const json: Record<string, JsonValue> = {}
    for (const [issuer, l] of held) json[issuer] = { seq: l.seq, text: l.text }
    await this.store.putSetting(REVOCATIONS_SETTING, json)
    this.recomputeRevoked(held)
  }

  private async heldLists(): Promise<Map<string, HeldList>> {
    if (this.held !== null) return this.held
    const held = new Map<string, HeldList>()
    const stored = await this.store.getSetting(REVOCATIONS_SETTING)
    if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
      for (const [issuer, v] of Object.entries(stored)) {
        const l = v as { seq?: unknown; text?: unknown }
        if (typeof l.seq === 'number' && typeof l.text === 'string')
          held.set(issuer, { seq: l.seq, text: l.text })
      }
    }
    this.held = held
    this.recomputeRevoked(held)
    return held
  }

  private recomputeRevoked(held: Map<string, HeldList>): void {
    const revoked = new Set<string>()
    for (const l of held.values()) {
      try {
        for (const id of readRevocations(l.text, this.trust).fields.revoked) revoked.add(id)
      } catch {
        // A list from an issuer no longer trusted revokes nothing.
      }
    }
    this.revoked = revoked
  }

  private async writeDoc(
    orgId: string,
    roster: A.Doc<RosterDoc>,
    action: { action: string; resource: string },
    fn: (d: LicenseDoc) => void,
  ): Promise<void> {
    const id = licenseDocId(orgId)
    const withHeads = { ...action, authHeads: A.getHeads(roster) as never }
    if (await this.store.has(id)) {
      await this.store.change<LicenseDoc>(id, withHeads, fn)
      return
    }
    await this.store.create<LicenseDoc>(id, withHeads, (d) => {
      d.schema = LICENSE_DOC_SCHEMA
      d.org = str(orgId)
      d.revocations = {}
      fn(d)
    })
  }
}

/** The lowest tier that includes a feature. */
export function tierFor(feature: Feature): Tier {
  return TIERS.find((t) => TIER_FEATURES[t].includes(feature)) ?? 'enterprise'
}

function lockedReason(v: LicenseVerdict, feature: Feature): string {
  const tier = tierFor(feature)
  const needs = `it needs a ${tier[0]?.toUpperCase()}${tier.slice(1)} license`
  switch (v.state) {
    case 'none':
      return `${needs} and this org has none`
    case 'valid':
    case 'grace':
      return `this org's ${v.license?.tier} license does not include it (${needs})`
    default:
      return `${needs}, and ${v.reason}`
  }
}
