/**
 * The license and revocation-list file format (services/licensing/license-format.ts) and
 * what a license means (license-status.ts). A file is base64(signature || bytes) between
 * armor lines, bytes = domain prefix || deterministic DAG-CBOR of the fields, and Ed25519
 * signs exactly those bytes. These tests tamper with every part of that and check that
 * nothing altered, forged, re-encoded or wrapped differently is ever accepted: every
 * refusal is a `LicenseInvalidError`, and `evaluateLicense` turns it into `invalid` with
 * only the Free features. Signatures are cross-checked with @noble/ed25519.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ed25519PrivateKeyObject, ed25519RawPublicKey, ed25519Sign, toHex } from '../../../crdt/index.ts'
import {
  evaluateLicense,
  FEATURES,
  type Feature,
  FREE_FEATURES,
  generateIssuerKey,
  type IssuerSigner,
  keyIdOf,
  LicenseInvalidError,
  type LicenseState,
  type LicenseVerdict,
  publicKeyOf,
  TIER_FEATURES,
  TIERS,
  TrustStore,
} from '../../../services/licensing/index.ts'
import {
  decodeLicense,
  decodeRevocations,
  LICENSE_DOMAIN,
  type LicenseFields,
  licenseFields as licenseSchema,
  MAX_LICENSE_CHARS,
  MAX_REVOCATIONS_CHARS,
  MAX_REVOKED,
  REVOCATIONS_DOMAIN,
  type RevocationFields,
  readLicense,
  readRevocations,
  revocationFields as revocationSchema,
  signLicense,
  signRevocations,
  verifyLicenseSignature,
  verifyRevocationsSignature,
} from '../../../services/licensing/license-format.ts'
import type { LicenseContext } from '../../../services/licensing/license-status.ts'

/** The latest time a license may name: a year before the largest Date. */
const MAX_TIME = 8.64e15 - 366 * 86_400_000

ed.hashes.sha512 = sha512

// --- fixtures ----------------------------------------------------------------------

const DAY = 86_400_000
const T0 = Date.UTC(2026, 0, 1)
const NOW = T0 + 100 * DAY
const utf8 = new TextEncoder()
/** dag-cbor's encoding, as a plain Uint8Array (the encoder sometimes hands back a Buffer). */
const cbor = (value: unknown): Uint8Array => new Uint8Array(dagCbor.encode(value))

type SeededSigner = IssuerSigner & { readonly seed: Uint8Array }

/** An issuer key from a fixed seed, built the way the issuer tool builds one. */
function seededSigner(seedByte: number, issuer: string): SeededSigner {
  const seed = new Uint8Array(32).fill(seedByte)
  const key = ed25519PrivateKeyObject(seed)
  const publicKey = ed25519RawPublicKey(key)
  return { seed, issuer, keyId: keyIdOf(publicKey), publicKey, sign: (d) => ed25519Sign(key, d) }
}

const VENDOR = 'Verse Guy Test Vendor'
/** The trusted vendor key. */
const vendor = seededSigner(0x11, VENDOR)
/** The vendor's second (rotated) key: also trusted. */
const rotated = seededSigner(0x12, VENDOR)
/** A key nobody trusts. */
const stranger = seededSigner(0x13, 'Someone Else')
const TRUST = new TrustStore([publicKeyOf(vendor), publicKeyOf(rotated)])

const ORG = '0a'.repeat(16)
const FOUNDER = 'f0'.repeat(32)
const OTHER_ORG = '0b'.repeat(16)
const OTHER_FOUNDER = 'f1'.repeat(32)
const LICENSE_ID = '1c'.repeat(16)

function fieldsFor(overrides: Partial<LicenseFields> = {}, signer: IssuerSigner = vendor): LicenseFields {
  return {
    v: 1,
    id: LICENSE_ID,
    keyId: signer.keyId,
    issuer: signer.issuer,
    org: ORG,
    founder: FOUNDER,
    tier: 'pro',
    features: [...TIER_FEATURES.pro].sort(),
    seats: 25,
    issuedAt: T0,
    notBefore: T0,
    expires: T0 + 365 * DAY,
    grace: 14 * DAY,
    ...overrides,
  }
}
const FIELDS = fieldsFor()
const TEXT = signLicense(FIELDS, vendor)

const REVOKED_IDS = ['1c'.repeat(16), '2d'.repeat(16), 'a0'.repeat(16)]
function revocationsFor(
  overrides: Partial<RevocationFields> = {},
  signer: IssuerSigner = vendor,
): RevocationFields {
  return {
    v: 1,
    keyId: signer.keyId,
    issuer: signer.issuer,
    seq: 3,
    issuedAt: T0,
    revoked: REVOKED_IDS,
    ...overrides,
  }
}
const REV_FIELDS = revocationsFor()
const REV_TEXT = signRevocations(REV_FIELDS, vendor)

function ctx(overrides: Partial<LicenseContext> = {}): LicenseContext {
  return { orgId: ORG, founder: FOUNDER, trust: TRUST, revoked: new Set(), now: NOW, ...overrides }
}

// --- the file format, rebuilt by hand ------------------------------------------------

interface FileKind {
  readonly domain: Uint8Array
  readonly label: string
  readonly what: string
}
const LICENSE: FileKind = { domain: LICENSE_DOMAIN, label: 'VERSEGUY LICENSE', what: 'license' }
const REVOCATIONS: FileKind = {
  domain: REVOCATIONS_DOMAIN,
  label: 'VERSEGUY REVOCATIONS',
  what: 'revocation list',
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** The armor the format writes: 64-character base64 lines between BEGIN/END, `# ` comments first. */
function armor(payload: Uint8Array, kind: FileKind = LICENSE, notes: readonly string[] = []): string {
  const lines =
    Buffer.from(payload)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  return [
    ...notes.map((n) => `# ${n}`),
    `-----BEGIN ${kind.label}-----`,
    ...lines,
    `-----END ${kind.label}-----`,
    '',
  ].join('\n')
}

/** The decoded payload (signature || bytes) of a well-formed file. */
function payloadOf(text: string, kind: FileKind = LICENSE): Uint8Array {
  const lines = text.split('\n')
  const from = lines.indexOf(`-----BEGIN ${kind.label}-----`)
  const to = lines.indexOf(`-----END ${kind.label}-----`)
  if (from < 0 || to < from) throw new Error('no armor block')
  return new Uint8Array(Buffer.from(lines.slice(from + 1, to).join(''), 'base64'))
}

function split(text: string, kind: FileKind = LICENSE) {
  const payload = payloadOf(text, kind)
  return { signature: payload.subarray(0, 64), bytes: payload.subarray(64) }
}

/** `value` (any shape) encoded as the body, under the ORIGINAL signature of `text`. */
function underOldSignature(text: string, value: unknown, kind: FileKind = LICENSE): string {
  return armor(concat(split(text, kind).signature, kind.domain, cbor(value)), kind)
}

/** Any `body` after `domain`, with a GENUINE signature by `signer` over exactly those bytes. */
function genuinelySigned(
  body: Uint8Array,
  signer: IssuerSigner = vendor,
  kind: FileKind = LICENSE,
  domain: Uint8Array = kind.domain,
): string {
  const bytes = concat(domain, body)
  return armor(concat(signer.sign(bytes), bytes), kind)
}

/** Minimal hand-written CBOR, to write the forms dag-cbor's encoder refuses to. */
function head(major: number, n: number, width?: 0 | 1 | 2 | 4 | 8): Uint8Array {
  const w = width ?? (n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x100000000 ? 4 : 8)
  if (w === 0) return Uint8Array.of((major << 5) | n)
  const out = new Uint8Array(1 + w)
  out[0] = (major << 5) | { 1: 24, 2: 25, 4: 26, 8: 27 }[w]
  let v = BigInt(n)
  for (let i = w; i >= 1; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}
const cborText = (s: string, width?: 0 | 1 | 2 | 4 | 8) =>
  concat(head(3, utf8.encode(s).length, width), utf8.encode(s))
const float64 = (x: number) => {
  const out = new Uint8Array(9)
  out[0] = 0xfb
  new DataView(out.buffer).setFloat64(1, x)
  return out
}
type Entry = readonly [key: Uint8Array, value: Uint8Array]
const mapOf = (entries: readonly Entry[]) => concat(head(5, entries.length), ...entries.flat())
/** DAG-CBOR's map key order: shorter keys first, then bytewise. */
const canonicalOrder = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
/** The fields as [key, dag-cbor value] pairs, in the canonical order. */
function entriesOf(fields: object, order = canonicalOrder): [string, Uint8Array][] {
  return Object.entries(fields)
    .sort(([a], [b]) => order(a, b))
    .map(([k, v]) => [k, cbor(v)])
}
const mapFrom = (entries: readonly (readonly [string, Uint8Array])[]) =>
  mapOf(entries.map(([k, v]) => [cborText(k), v] as const))
const replaceValue = (entries: [string, Uint8Array][], key: string, value: Uint8Array) =>
  entries.map(([k, v]): [string, Uint8Array] => [k, k === key ? value : v])

// --- what a refusal looks like ------------------------------------------------------

/** The `LicenseInvalidError` `read` throws; fails the test if it accepts or throws anything else. */
function refusal(read: () => unknown): LicenseInvalidError {
  let result: unknown
  try {
    result = read()
  } catch (err) {
    if (err instanceof LicenseInvalidError) return err
    throw err
  }
  throw new Error(`accepted: ${JSON.stringify((result as { fields?: unknown } | undefined)?.fields)}`)
}

/** Checks the verdict of a state without a license's features: Free only, no seat bound. */
function expectFreeOnly(v: LicenseVerdict, state: LicenseState, license: LicenseFields | null): void {
  expect(v.state).toBe(state)
  expect(v.effectiveTier).toBe('free')
  expect(v.features).toEqual(FREE_FEATURES)
  expect(v.seats).toBeNull()
  expect(v.license).toStrictEqual(license)
  expect(v.graceEnds).toBe(license === null ? null : license.expires + license.grace)
}

/** `text` is refused as a license (why matching `why`), and a node evaluating it gets `invalid`, Free only. */
function expectLicenseRefused(text: unknown, why?: RegExp, trust: TrustStore = TRUST): LicenseInvalidError {
  const err = refusal(() => readLicense(text, trust))
  if (why !== undefined) expect(err.message).toMatch(why)
  if (typeof text === 'string') {
    const v = evaluateLicense(text, ctx({ trust }))
    expectFreeOnly(v, 'invalid', null)
    expect(v.reason).toBe(err.message)
  }
  return err
}

function expectRevocationsRefused(
  text: unknown,
  why?: RegExp,
  trust: TrustStore = TRUST,
): LicenseInvalidError {
  const err = refusal(() => readRevocations(text, trust))
  if (why !== undefined) expect(err.message).toMatch(why)
  return err
}

const SIGNATURE_FAILS = /license signature does not verify: the file was altered or forged/
const NOT_CANONICAL = /license is not in its one canonical encoding|license fields do not decode/
const INVALID_FIELDS = /^invalid license: /

// --- tests -------------------------------------------------------------------------

describe('license format: round trip', () => {
  it('signLicense → readLicense with the issuer trusted gives back exactly the signed fields', () => {
    const read = readLicense(TEXT, TRUST)
    expect(read.fields).toStrictEqual(FIELDS)
    expect(read.bytes).toEqual(concat(LICENSE_DOMAIN, cbor(FIELDS)))
    expect(read.signature).toHaveLength(64)
    expect(decodeLicense(TEXT).fields).toStrictEqual(FIELDS)
  })

  it('round-trips any well-formed license (property: 200 random field sets, every tier and feature subset)', () => {
    const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(toHex)
    // Times stop a year before the largest Date (8.64e15), so expiry plus grace still shows as a date.
    const time = fc.integer({ min: 0, max: MAX_TIME })
    const arb = fc.record({
      id: hex(16),
      org: hex(16),
      founder: hex(32),
      tier: fc.constantFrom(...TIERS),
      features: fc.subarray([...FEATURES]).map((f) => [...f].sort()),
      seats: fc.integer({ min: 1, max: 1_000_000 }),
      issuedAt: time,
      window: fc.tuple(time, time).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
      grace: fc.integer({ min: 0, max: 365 * DAY }),
      signer: fc.constantFrom(vendor, rotated),
    })
    fc.assert(
      fc.property(arb, ({ window: [notBefore, expires], signer, ...rest }) => {
        const fields = fieldsFor({ ...rest, notBefore, expires }, signer)
        const text = signLicense(fields, signer)
        const read = readLicense(text, TRUST)
        expect(read.fields).toStrictEqual(fields)
        expect(ed.verify(read.signature, read.bytes, signer.publicKey)).toBe(true)
      }),
      { numRuns: 200, seed: 20260101 },
    )
  })

  it('signing is deterministic: the same fields give byte-identical text', () => {
    expect(signLicense(fieldsFor(), vendor)).toBe(TEXT)
    expect(signLicense({ ...FIELDS, features: [...FIELDS.features] }, vendor)).toBe(TEXT)
  })

  it('writes human comments, then 64-character base64 lines of signature || domain || dag-cbor(fields)', () => {
    const lines = TEXT.split('\n')
    expect(TEXT.endsWith('-----END VERSEGUY LICENSE-----\n')).toBe(true)
    const begin = lines.indexOf('-----BEGIN VERSEGUY LICENSE-----')
    const end = lines.indexOf('-----END VERSEGUY LICENSE-----')
    expect(lines.slice(0, begin).every((l) => l.startsWith('# '))).toBe(true)
    expect(lines[0]).toBe(`# Verse Guy pro license ${LICENSE_ID} for org ${ORG}`)
    const body = lines.slice(begin + 1, end)
    expect(body.slice(0, -1).every((l) => l.length === 64)).toBe(true)
    expect(body.at(-1)?.length).toBeLessThanOrEqual(64)
    expect(TEXT).toBe(
      armor(
        payloadOf(TEXT),
        LICENSE,
        lines.slice(0, begin).map((l) => l.slice(2)),
      ),
    )
    const { signature, bytes } = split(TEXT)
    expect(bytes).toEqual(concat(utf8.encode('verseguy/license/v1\n'), cbor(FIELDS)))
    expect(signature).toEqual(vendor.sign(bytes))
  })

  it('the hand-written CBOR used below matches dag-cbor on the canonical form (the harness is faithful)', () => {
    expect(mapFrom(entriesOf(FIELDS))).toEqual(cbor(FIELDS))
    expect(mapFrom(entriesOf(REV_FIELDS))).toEqual(cbor(REV_FIELDS))
    expect(genuinelySigned(cbor(FIELDS))).toBe(armor(payloadOf(TEXT)))
  })

  it('re-armoring the unchanged fields under the original signature still verifies (the tamper harness is faithful)', () => {
    const same = underOldSignature(TEXT, FIELDS)
    expect(readLicense(same, TRUST).fields).toStrictEqual(FIELDS)
    expect(evaluateLicense(same, ctx()).state).toBe('valid')
  })

  it('a license signed by the rotated key of the same issuer verifies while both keys are trusted', () => {
    const f = fieldsFor({}, rotated)
    expect(readLicense(signLicense(f, rotated), TRUST).fields).toStrictEqual(f)
    expectLicenseRefused(signLicense(f, rotated), /unknown issuer key/, new TrustStore([publicKeyOf(vendor)]))
  })
})

describe('license format: every signed field is covered by the signature', () => {
  const alterations: readonly {
    readonly field: keyof LicenseFields
    readonly name: string
    readonly change: Partial<LicenseFields>
    readonly why?: RegExp
  }[] = [
    { field: 'id', name: 'another id', change: { id: '1d'.repeat(16) } },
    { field: 'id', name: 'one hex digit of the id', change: { id: `${LICENSE_ID.slice(0, -1)}d` } },
    { field: 'keyId', name: 'the key id of another trusted key', change: { keyId: rotated.keyId } },
    {
      field: 'keyId',
      name: 'the key id of an unknown key',
      change: { keyId: stranger.keyId },
      why: /unknown issuer key/,
    },
    {
      field: 'issuer',
      name: 'the issuer name',
      change: { issuer: `${VENDOR} Ltd` },
      why: /names issuer Verse Guy Test Vendor Ltd, but key .* is Verse Guy Test Vendor's/,
    },
    { field: 'org', name: 'the org', change: { org: OTHER_ORG } },
    { field: 'founder', name: 'the founder', change: { founder: OTHER_FOUNDER } },
    { field: 'tier', name: 'the tier (pro → enterprise)', change: { tier: 'enterprise' } },
    { field: 'tier', name: 'the tier (pro → free)', change: { tier: 'free' } },
    {
      field: 'features',
      name: 'the features (one added)',
      change: { features: [...FIELDS.features, 'rbac' as const].sort() },
    },
    { field: 'features', name: 'the features (all of them)', change: { features: [...FEATURES].sort() } },
    { field: 'features', name: 'the features (one dropped)', change: { features: FIELDS.features.slice(1) } },
    { field: 'features', name: 'the features (none)', change: { features: [] } },
    { field: 'seats', name: 'the seats (+1)', change: { seats: FIELDS.seats + 1 } },
    { field: 'seats', name: 'the seats (-1)', change: { seats: FIELDS.seats - 1 } },
    { field: 'seats', name: 'the seats (maximum)', change: { seats: 1_000_000 } },
    { field: 'issuedAt', name: 'issuedAt (+1 ms)', change: { issuedAt: FIELDS.issuedAt + 1 } },
    { field: 'notBefore', name: 'notBefore (a day earlier)', change: { notBefore: FIELDS.notBefore - DAY } },
    { field: 'notBefore', name: 'notBefore (+1 ms)', change: { notBefore: FIELDS.notBefore + 1 } },
    { field: 'expires', name: 'expires (+1 ms)', change: { expires: FIELDS.expires + 1 } },
    { field: 'expires', name: 'expires (-1 ms)', change: { expires: FIELDS.expires - 1 } },
    { field: 'expires', name: 'expires (+1 day)', change: { expires: FIELDS.expires + DAY } },
    { field: 'expires', name: 'expires (+10 years)', change: { expires: FIELDS.expires + 3650 * DAY } },
    { field: 'expires', name: 'expires (the latest time allowed)', change: { expires: MAX_TIME } },
    { field: 'grace', name: 'grace (+1 day)', change: { grace: FIELDS.grace + DAY } },
    { field: 'grace', name: 'grace (the maximum, a year)', change: { grace: 365 * DAY } },
    { field: 'grace', name: 'grace (none)', change: { grace: 0 } },
  ]

  it('the alterations cover every field but the version', () => {
    const covered = new Set(alterations.map((a) => a.field))
    expect([...covered].sort()).toEqual(
      Object.keys(FIELDS)
        .filter((k) => k !== 'v')
        .sort(),
    )
  })

  for (const { name, change, why } of alterations) {
    it(`changing ${name} under the original signature is refused`, () => {
      const altered = { ...FIELDS, ...change }
      // Still a well-formed license that decodes: only the signature stands in the way.
      expect(licenseSchema.safeParse(altered).success).toBe(true)
      const text = underOldSignature(TEXT, altered)
      expect(decodeLicense(text).fields).toStrictEqual(altered)
      expectLicenseRefused(text, why ?? SIGNATURE_FAILS)
      const { signature, bytes } = split(text)
      expect(ed.verify(signature, bytes, vendor.publicKey)).toBe(false)
      expect(ed.verify(signature, bytes, rotated.publicKey)).toBe(false)
    })
  }

  it('changing the version is refused (v: 2 is not a v1 license)', () => {
    expectLicenseRefused(underOldSignature(TEXT, { ...FIELDS, v: 2 }), /invalid license: v:/)
    expectLicenseRefused(genuinelySigned(cbor({ ...FIELDS, v: 2 })), /invalid license: v:/)
  })

  it('no extension of the expiry verifies, and an expired license with a forged expiry stays Free', () => {
    const expired = ctx({ now: FIELDS.expires + FIELDS.grace + 1 })
    expectFreeOnly(evaluateLicense(TEXT, expired), 'expired', FIELDS)
    for (let k = 0; k < 46; k++) {
      const expires = FIELDS.expires + 2 ** k
      const text = underOldSignature(TEXT, { ...FIELDS, expires })
      expect(decodeLicense(text).fields.expires).toBe(expires)
      expectFreeOnly(evaluateLicense(text, expired), 'invalid', null)
      expect(() => readLicense(text, TRUST)).toThrow(SIGNATURE_FAILS)
    }
  })

  it('decodeLicense alone does not vouch for anything: it reads tampered fields that readLicense refuses', () => {
    const text = underOldSignature(TEXT, { ...FIELDS, tier: 'enterprise', seats: 1_000_000 })
    const decoded = decodeLicense(text)
    expect(decoded.fields.tier).toBe('enterprise')
    expect(() => verifyLicenseSignature(decoded, TRUST)).toThrow(LicenseInvalidError)
  })
})

describe('license format: bit flips anywhere in the payload', () => {
  const payload = payloadOf(TEXT)
  const flipped = (i: number, bit: number) => {
    const p = Uint8Array.from(payload)
    p[i] = (p[i] ?? 0) ^ (1 << bit)
    return p
  }
  const SIG_END = 64
  const DOMAIN_END = 64 + LICENSE_DOMAIN.length

  it('flipping any bit of the signature is refused (every bit of all 64 bytes), also by @noble', () => {
    const { bytes } = split(TEXT)
    for (let i = 0; i < SIG_END; i++)
      for (let bit = 0; bit < 8; bit++) {
        const p = flipped(i, bit)
        expectLicenseRefused(armor(p), SIGNATURE_FAILS)
        if (bit === i % 8) expect(ed.verify(p.subarray(0, 64), bytes, vendor.publicKey)).toBe(false)
      }
  })

  it('flipping any bit of the domain prefix is refused (every bit of every byte)', () => {
    for (let i = SIG_END; i < DOMAIN_END; i++)
      for (let bit = 0; bit < 8; bit++)
        expectLicenseRefused(armor(flipped(i, bit)), /not a Verse Guy license \(wrong prefix or version\)/)
  })

  it('flipping any bit of the encoded fields is refused (every bit of every byte)', () => {
    let decodedButUnsigned = 0
    for (let i = DOMAIN_END; i < payload.length; i++)
      for (let bit = 0; bit < 8; bit++) {
        const err = expectLicenseRefused(armor(flipped(i, bit)))
        if (SIGNATURE_FAILS.test(err.message)) decodedButUnsigned++
      }
    // Many flips still decode to well-formed fields (a hex digit, a number): the signature catches them.
    expect(decodedButUnsigned).toBeGreaterThan(100)
  })

  it('replacing any byte of the payload with 0x00, 0xff or its successor is refused', () => {
    for (let i = 0; i < payload.length; i++)
      for (const b of [0x00, 0xff, ((payload[i] ?? 0) + 1) & 0xff]) {
        if (b === payload[i]) continue
        const p = Uint8Array.from(payload)
        p[i] = b
        expectLicenseRefused(armor(p))
      }
  })

  it('changing any single base64 character of the armored block is refused', () => {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const lines = TEXT.split('\n')
    const begin = lines.indexOf('-----BEGIN VERSEGUY LICENSE-----')
    const end = lines.indexOf('-----END VERSEGUY LICENSE-----')
    let changed = 0
    for (let l = begin + 1; l < end; l++) {
      const line = lines[l] ?? ''
      for (let c = 0; c < line.length; c++) {
        const ch = line[c] ?? ''
        const other = ch === '=' ? 'A' : A[(A.indexOf(ch) + 1) % 64]
        const copy = [...lines]
        copy[l] = `${line.slice(0, c)}${other}${line.slice(c + 1)}`
        expectLicenseRefused(copy.join('\n'))
        changed++
      }
    }
    expect(changed).toBe(Buffer.from(payload).toString('base64').length)
  })
})

describe('license format: keys, key ids and issuers', () => {
  it('a license naming another trusted key id (of the same issuer) does not verify', () => {
    expectLicenseRefused(underOldSignature(TEXT, { ...FIELDS, keyId: rotated.keyId }), SIGNATURE_FAILS)
  })

  it('a license naming another trusted key id of another issuer is refused for the issuer name', () => {
    const other = seededSigner(0x14, 'Another Vendor')
    const trust = new TrustStore([publicKeyOf(vendor), publicKeyOf(other)])
    expectLicenseRefused(
      underOldSignature(TEXT, { ...FIELDS, keyId: other.keyId }),
      /names issuer Verse Guy Test Vendor, but key .* is Another Vendor's/,
      trust,
    )
  })

  it('a license signed by a key that is not trusted is refused, naming the unknown key id', () => {
    const text = signLicense(fieldsFor({}, stranger), stranger)
    expect(readLicense(text, new TrustStore([publicKeyOf(stranger)])).fields.keyId).toBe(stranger.keyId)
    expectLicenseRefused(text, new RegExp(`signed by unknown issuer key ${stranger.keyId}`))
    expectLicenseRefused(TEXT, /unknown issuer key/, new TrustStore())
  })

  it('a license signed by another key that claims the trusted key id and issuer does not verify', () => {
    const forger: IssuerSigner = { ...stranger, keyId: vendor.keyId, issuer: vendor.issuer }
    const text = signLicense(fieldsFor({ tier: 'enterprise', seats: 1_000_000 }), forger)
    const { signature, bytes } = split(text)
    expect(ed.verify(signature, bytes, stranger.publicKey)).toBe(true)
    expectLicenseRefused(text, SIGNATURE_FAILS)
  })

  it('a license signed by the trusted key under another issuer name is refused', () => {
    const renamed: IssuerSigner = { ...vendor, issuer: 'Someone Else' }
    const text = signLicense(fieldsFor({}, renamed), renamed)
    expectLicenseRefused(
      text,
      new RegExp(`names issuer Someone Else, but key ${vendor.keyId} is ${VENDOR}'s`),
    )
  })

  it('a trust store entry with the right key id but another public key verifies nothing', () => {
    const wrong = new TrustStore([{ ...publicKeyOf(stranger), keyId: vendor.keyId, issuer: VENDOR }])
    expectLicenseRefused(TEXT, SIGNATURE_FAILS, wrong)
  })

  it('signLicense refuses fields naming another key id or issuer than the signing key', () => {
    for (const f of [fieldsFor({ keyId: rotated.keyId }), fieldsFor({ issuer: 'Someone Else' })])
      expect(refusal(() => signLicense(f, vendor)).message).toBe(
        'license names another issuer key than the one signing it',
      )
  })
})

describe('license format: only the one canonical encoding is read', () => {
  const entries = entriesOf(FIELDS)
  const nonCanonical: readonly [string, Uint8Array][] = [
    ['keys in declaration order', mapFrom(entriesOf(FIELDS, () => 0))],
    ['keys in plain alphabetical order', mapFrom(entriesOf(FIELDS, (a, b) => (a < b ? -1 : 1)))],
    ['keys in reverse canonical order', mapFrom([...entries].reverse())],
    [
      'the first two keys swapped',
      mapFrom([entries[1], entries[0], ...entries.slice(2)] as [string, Uint8Array][]),
    ],
    ['a non-minimal integer (seats in 2 bytes)', mapFrom(replaceValue(entries, 'seats', head(0, 25, 2)))],
    ['a non-minimal integer (seats in 8 bytes)', mapFrom(replaceValue(entries, 'seats', head(0, 25, 8)))],
    ['a non-minimal integer (v in 1 byte)', mapFrom(replaceValue(entries, 'v', head(0, 1, 1)))],
    [
      'a non-minimal integer (grace in 8 bytes)',
      mapFrom(replaceValue(entries, 'grace', head(0, FIELDS.grace, 8))),
    ],
    ['an integer written as a float (v = 1.0)', mapFrom(replaceValue(entries, 'v', float64(1)))],
    ['an integer written as a float (seats = 25.0)', mapFrom(replaceValue(entries, 'seats', float64(25)))],
    [
      'an integer written as a half float (v = 1.0)',
      mapFrom(replaceValue(entries, 'v', Uint8Array.of(0xf9, 0x3c, 0))),
    ],
    ['a non-minimal string length', mapFrom(replaceValue(entries, 'issuer', cborText(VENDOR, 1)))],
    [
      'a non-minimal map length',
      concat(head(5, entries.length, 1), ...entries.flatMap(([k, v]) => [cborText(k), v])),
    ],
    [
      'a non-minimal key length',
      mapOf(entries.map(([k, v]) => [k === 'v' ? cborText(k, 1) : cborText(k), v] as const)),
    ],
    [
      'an indefinite-length map',
      concat(Uint8Array.of(0xbf), ...entries.flatMap(([k, v]) => [cborText(k), v]), Uint8Array.of(0xff)),
    ],
    [
      'an indefinite-length features array',
      mapFrom(
        replaceValue(
          entries,
          'features',
          concat(Uint8Array.of(0x9f), ...FIELDS.features.map((f) => cborText(f)), Uint8Array.of(0xff)),
        ),
      ),
    ],
    [
      'an indefinite-length string',
      mapFrom(
        replaceValue(entries, 'tier', concat(Uint8Array.of(0x7f), cborText('pro'), Uint8Array.of(0xff))),
      ),
    ],
    ['a duplicate key (seats twice, same value)', mapFrom([...entries, ['seats', cbor(25)]])],
    ['a tag on a time', mapFrom(replaceValue(entries, 'issuedAt', concat(Uint8Array.of(0xc1), cbor(T0))))],
  ]

  for (const [name, body] of nonCanonical) {
    it(`refuses the same fields with ${name}, though genuinely signed`, () => {
      expect(body).not.toEqual(cbor(FIELDS))
      const text = genuinelySigned(body)
      const { signature, bytes } = split(text)
      expect(ed.verify(signature, bytes, vendor.publicKey)).toBe(true)
      expectLicenseRefused(text, NOT_CANONICAL)
      expect(() => decodeLicense(text)).toThrow(LicenseInvalidError)
    })
  }

  it('refuses the fields wrapped in another structure (an array, a __proto__ key, a nested map), though genuinely signed', () => {
    for (const body of [
      concat(head(4, 1), cbor(FIELDS)),
      mapFrom([['__proto__', cbor(FIELDS)]]),
      mapFrom([['license', cbor(FIELDS)]]),
      cbor([Object.values(FIELDS)]),
    ])
      expectLicenseRefused(genuinelySigned(body), INVALID_FIELDS)
  })

  it('refuses re-ordered keys and floats as non-canonical, and malformed CBOR as undecodable', () => {
    const body = (name: string) => {
      const found = nonCanonical.find(([n]) => n === name)
      if (found === undefined) throw new Error(`no case ${name}`)
      return genuinelySigned(found[1])
    }
    // well-formed CBOR in another form: decoded, re-encoded, found different
    expectLicenseRefused(
      body('keys in reverse canonical order'),
      /license is not in its one canonical encoding/,
    )
    expectLicenseRefused(
      body('an integer written as a float (v = 1.0)'),
      /license is not in its one canonical/,
    )
    expectLicenseRefused(
      body('an integer written as a half float (v = 1.0)'),
      /license is not in its one canonical/,
    )
    // forms DAG-CBOR's strict decoder does not read at all
    expectLicenseRefused(body('a non-minimal integer (seats in 8 bytes)'), /license fields do not decode/)
    expectLicenseRefused(body('an indefinite-length map'), /license fields do not decode/)
    expectLicenseRefused(body('a duplicate key (seats twice, same value)'), /license fields do not decode/)
  })

  it('refuses an extra field, though genuinely signed', () => {
    for (const extra of [{ note: 'unlimited' }, { seats2: 5 }, { expiresOverride: 8.64e15 }, { z: null }])
      expectLicenseRefused(genuinelySigned(cbor({ ...FIELDS, ...extra })), /Unrecognized key/)
    expect(refusal(() => signLicense({ ...FIELDS, note: 'x' } as LicenseFields, vendor)).message).toMatch(
      /Unrecognized key/,
    )
  })

  for (const key of Object.keys(FIELDS) as (keyof LicenseFields)[]) {
    it(`refuses a license without ${key}, though genuinely signed`, () => {
      const { [key]: _gone, ...rest } = FIELDS
      expectLicenseRefused(genuinelySigned(cbor(rest)), new RegExp(`^invalid license: ${key}: `))
      expect(() => signLicense(rest as LicenseFields, vendor)).toThrow(LicenseInvalidError)
    })
  }

  it('refuses trailing bytes after the fields, though genuinely signed', () => {
    const body = cbor(FIELDS)
    for (const tail of [Uint8Array.of(0), Uint8Array.of(0xff), Uint8Array.of(0xa0), body])
      expectLicenseRefused(genuinelySigned(concat(body, tail)), /license fields do not decode/)
  })

  it('refuses a wrong domain prefix or version, though genuinely signed', () => {
    const body = cbor(FIELDS)
    for (const domain of [
      'verseguy/license/v2\n',
      'verseguy/license/v0\n',
      'verseguy/license/v1',
      'verseguy/license/v1\r\n',
      'Verseguy/license/v1\n',
      'verseguy/revocations/v1\n',
      'verseguy/chain-entry/v1\n',
      '',
    ])
      expectLicenseRefused(
        genuinelySigned(body, vendor, LICENSE, utf8.encode(domain)),
        /wrong prefix or version/,
      )
  })

  it('refuses every truncation of the payload', () => {
    const payload = payloadOf(TEXT)
    for (let n = 0; n < payload.length; n++) {
      const err = expectLicenseRefused(armor(payload.subarray(0, n)))
      if (n <= 64 + LICENSE_DOMAIN.length) expect(err.message).toBe('license is truncated')
    }
  })

  it('refuses an empty armor block and a bare signature', () => {
    expectLicenseRefused(armor(new Uint8Array()), /license is truncated/)
    expectLicenseRefused(armor(split(TEXT).signature), /license is truncated/)
    expectLicenseRefused(
      armor(payloadOf(TEXT).subarray(0, 64 + LICENSE_DOMAIN.length)),
      /license is truncated/,
    )
  })

  it('refuses, when genuinely signed, field values the schema forbids', () => {
    const bad: readonly [string, Record<string, unknown>][] = [
      ['v: 2', { v: 2 }],
      ['v as text', { v: '1' }],
      ['an upper-case id', { id: LICENSE_ID.toUpperCase() }],
      ['a short id', { id: '1c'.repeat(15) }],
      ['a short key id', { keyId: vendor.keyId.slice(2) }],
      ['a long org', { org: '0a'.repeat(17) }],
      ['a short founder', { founder: 'f0'.repeat(31) }],
      ['an empty issuer', { issuer: '' }],
      ['a 65-character issuer', { issuer: 'x'.repeat(65) }],
      ['an unknown tier', { tier: 'platinum' }],
      ['unsorted features', { features: [...FIELDS.features].reverse() }],
      ['duplicated features', { features: ['org', 'org'] }],
      ['an unknown feature', { features: ['org', 'teleport'] }],
      ['zero seats', { seats: 0 }],
      ['too many seats', { seats: 1_000_001 }],
      ['fractional seats', { seats: 2.5 }],
      ['a negative time', { issuedAt: -1 }],
      ['a fractional time', { expires: FIELDS.expires + 0.5 }],
      ['a negative grace', { grace: -1 }],
      ['a grace over a year', { grace: 365 * DAY + 1 }],
      ['notBefore after expires', { notBefore: FIELDS.expires + 1 }],
      ['features as text', { features: 'org' }],
      ['a null field', { seats: null }],
    ]
    for (const [name, change] of bad) {
      const f = { ...FIELDS, ...change }
      expect(licenseSchema.safeParse(f).success, name).toBe(false)
      expectLicenseRefused(genuinelySigned(cbor(f)), INVALID_FIELDS)
      expect(() => signLicense(f as LicenseFields, vendor), name).toThrow(INVALID_FIELDS)
    }
    expect(refusal(() => signLicense({ ...FIELDS, notBefore: FIELDS.expires + 1 }, vendor)).message).toMatch(
      /notBefore after expires/,
    )
  })

  it('refuses a time beyond the largest safe integer, though genuinely signed', () => {
    const body = mapFrom(replaceValue(entriesOf(FIELDS), 'issuedAt', head(0, 2 ** 53, 8)))
    expectLicenseRefused(genuinelySigned(body))
  })
})

describe('license format: armor and text', () => {
  it('ignores comment lines: removed, rewritten or added, the fields are the same', () => {
    const block = TEXT.slice(TEXT.indexOf('-----BEGIN'))
    const variants = [
      block,
      `# Verse Guy enterprise license, 1000000 seats, valid forever\n${block}`,
      `#\n#no space\n   # indented comment\n\n${block}\n# trailing comment\n\n`,
      TEXT.replace('25 seats', '99999 seats').replace('pro license', 'enterprise license'),
      `${TEXT}# tier: enterprise\n`,
    ]
    for (const text of variants) {
      expect(readLicense(text, TRUST).fields).toStrictEqual(FIELDS)
      expect(readLicense(text, TRUST).bytes).toEqual(split(TEXT).bytes)
      expect(evaluateLicense(text, ctx())).toEqual(evaluateLicense(TEXT, ctx()))
    }
  })

  it('accepts the same bytes wrapped differently (CRLF, other line widths, indentation, blank lines)', () => {
    const b64 = Buffer.from(payloadOf(TEXT)).toString('base64')
    const wrap = (w: number) => b64.match(new RegExp(`.{1,${w}}`, 'g')) ?? []
    const block = (lines: readonly string[], nl = '\n') =>
      ['-----BEGIN VERSEGUY LICENSE-----', ...lines, '-----END VERSEGUY LICENSE-----', ''].join(nl)
    for (const text of [
      TEXT.replace(/\n/g, '\r\n'),
      block([b64]),
      block(wrap(76)),
      block(wrap(4)),
      block(wrap(64).map((l) => `  ${l}  `)),
      block(wrap(64), '\r\n'),
      block([...wrap(64), '']),
      TEXT.trimEnd(),
    ])
      expect(readLicense(text, TRUST).fields).toStrictEqual(FIELDS)
  })

  it('refuses any text outside the armor block that is not a comment', () => {
    const block = TEXT.slice(TEXT.indexOf('-----BEGIN'))
    for (const text of [
      `Tier: enterprise\n${TEXT}`,
      `${TEXT}Tier: enterprise\n`,
      `${TEXT}seats=1000000`,
      TEXT.replace('# Only the block', 'Only the block'),
      `${TEXT}${block}`,
      `${TEXT}-----END VERSEGUY LICENSE-----\n`,
      `${TEXT}${Buffer.from('extra').toString('base64')}\n`,
      `x\n${block}`,
      `${block}-\n`,
    ])
      expectLicenseRefused(text, /license has text outside its armor block/)
  })

  it('refuses text without a complete armor block', () => {
    const block = TEXT.slice(TEXT.indexOf('-----BEGIN'))
    const b64 = Buffer.from(payloadOf(TEXT)).toString('base64')
    for (const text of [
      '',
      b64,
      TEXT.replace('-----END VERSEGUY LICENSE-----', ''),
      TEXT.replace('-----BEGIN VERSEGUY LICENSE-----', ''),
      TEXT.replace(/VERSEGUY LICENSE/g, 'VERSEGUY LICENCE'),
      TEXT.replace(/VERSEGUY LICENSE/g, 'verseguy license'),
      TEXT.replace(/-----BEGIN VERSEGUY LICENSE-----/, '----BEGIN VERSEGUY LICENSE-----'),
      TEXT.replace(/-----BEGIN VERSEGUY LICENSE-----/, '-----BEGIN VERSEGUY LICENSE----- x'),
      `-----END VERSEGUY LICENSE-----\n${block.replace('-----END VERSEGUY LICENSE-----\n', '')}`,
      REV_TEXT,
      armor(payloadOf(TEXT), REVOCATIONS),
    ])
      expectLicenseRefused(
        text,
        /no -----BEGIN VERSEGUY LICENSE----- … -----END VERSEGUY LICENSE----- block found/,
      )
  })

  it('refuses every cut of the text that loses part of the END line', () => {
    const end = TEXT.lastIndexOf('-----END')
    for (let n = 0; n < end + '-----END VERSEGUY LICENSE-----'.length; n++)
      expectLicenseRefused(TEXT.slice(0, n))
  })

  it('refuses a comment or anything else but base64 inside the block', () => {
    const lines = TEXT.split('\n')
    const begin = lines.indexOf('-----BEGIN VERSEGUY LICENSE-----')
    const insert = (at: number, line: string) => [...lines.slice(0, at), line, ...lines.slice(at)].join('\n')
    for (const line of ['# a comment', 'Tier: enterprise', '*', '====', 'AAAA====', '-'])
      expectLicenseRefused(insert(begin + 2, line), /license body is not base64/)
  })

  it('refuses base64 that is not the canonical encoding of the payload', () => {
    const padded = [5, 25, 1000]
      .map((seats) => Buffer.from(payloadOf(signLicense(fieldsFor({ seats }), vendor))).toString('base64'))
      .find((b) => b.endsWith('='))
    const b64 = padded ?? ''
    expect(b64).toMatch(/=$/)
    const block = (s: string) => `-----BEGIN VERSEGUY LICENSE-----\n${s}\n-----END VERSEGUY LICENSE-----\n`
    // the alphabet of base64url, missing padding, inner spaces, padding in the middle
    const urlSafe = b64.replace(/\+/g, '-').replace(/\//g, '_')
    expect(urlSafe).not.toBe(b64)
    expectLicenseRefused(block(urlSafe), /license body is not base64/)
    expectLicenseRefused(block(b64.replace(/=+$/, '')), /license body is not base64/)
    expectLicenseRefused(block(`${b64.slice(0, 40)} ${b64.slice(40)}`), /license body is not base64/)
    expectLicenseRefused(block(`${b64.slice(0, 40)}\t${b64.slice(40)}`), /license body is not base64/)
    expectLicenseRefused(block(`AA==${b64}`), /license body is not base64/)
    expectLicenseRefused(block(`${b64}AAAA`), /license body is not base64/)
    // whole extra base64 groups after an unpadded payload: extra bytes after the fields
    const unpadded = Buffer.from(payloadOf(TEXT)).toString('base64')
    expect(unpadded).not.toMatch(/=$/)
    expectLicenseRefused(block(`${unpadded}AAAA`), /license fields do not decode/)
  })

  it('refuses base64 with non-zero padding bits, though it decodes to the genuine payload', () => {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const block = (s: string) => `-----BEGIN VERSEGUY LICENSE-----\n${s}\n-----END VERSEGUY LICENSE-----\n`
    let tested = 0
    for (const seats of [5, 25, 1000]) {
      const f = fieldsFor({ seats })
      const payload = payloadOf(signLicense(f, vendor))
      const b64 = Buffer.from(payload).toString('base64')
      const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0
      if (pad === 0) continue
      expect(readLicense(block(b64), TRUST).fields).toStrictEqual(f)
      const i = b64.length - pad - 1
      const bits = pad === 2 ? 4 : 2
      for (let set = 1; set < 1 << bits; set++) {
        const dirty = `${b64.slice(0, i)}${A[A.indexOf(b64[i] ?? '') | set]}${b64.slice(i + 1)}`
        expect(new Uint8Array(Buffer.from(dirty, 'base64'))).toEqual(payload)
        expectLicenseRefused(block(dirty), /license body is not canonical base64/)
        tested++
      }
    }
    expect(tested).toBe(15 + 3) // one length with '==' (4 padding bits), one with '=' (2)
  })

  it(`refuses text over ${MAX_LICENSE_CHARS} characters, and accepts a padded license of exactly that size`, () => {
    const pad = (n: number) => `${`# ${'x'.repeat(n - 3)}\n`}${TEXT}`
    const exact = pad(MAX_LICENSE_CHARS - TEXT.length)
    expect(exact).toHaveLength(MAX_LICENSE_CHARS)
    expect(readLicense(exact, TRUST).fields).toStrictEqual(FIELDS)
    const over = pad(MAX_LICENSE_CHARS - TEXT.length + 1)
    expect(over).toHaveLength(MAX_LICENSE_CHARS + 1)
    expectLicenseRefused(over, /license file is too large/)
    expectLicenseRefused(TEXT.repeat(1000), /license file is too large/)
    expectLicenseRefused(`${TEXT}${'\n'.repeat(MAX_LICENSE_CHARS)}`, /license file is too large/)
  })

  it('refuses input that is not a string', () => {
    for (const input of [
      undefined,
      null,
      0,
      true,
      {},
      [],
      [TEXT],
      { text: TEXT },
      Buffer.from(TEXT),
      utf8.encode(TEXT),
      new String(TEXT),
      Symbol('license'),
    ]) {
      expectLicenseRefused(input, /^license must be text$/)
      expect(() => decodeLicense(input)).toThrow(/^license must be text$/)
    }
  })
})

describe('revocation lists', () => {
  const SIG_FAILS_REV = /revocation list signature does not verify/

  it('signRevocations → readRevocations gives back exactly the signed fields', () => {
    const read = readRevocations(REV_TEXT, TRUST)
    expect(read.fields).toStrictEqual(REV_FIELDS)
    expect(read.bytes).toEqual(concat(REVOCATIONS_DOMAIN, cbor(REV_FIELDS)))
    expect(decodeRevocations(REV_TEXT).fields).toStrictEqual(REV_FIELDS)
    expect(signRevocations(REV_FIELDS, vendor)).toBe(REV_TEXT)
    expect(REV_TEXT.split('\n')[0]).toBe(`# Verse Guy revocation list 3 from ${VENDOR}: 3 licenses revoked`)
  })

  it('round-trips an empty list and a list of the maximum length', () => {
    const empty = revocationsFor({ revoked: [] })
    expect(readRevocations(signRevocations(empty, vendor), TRUST).fields).toStrictEqual(empty)
    const ids = Array.from({ length: MAX_REVOKED }, (_, i) =>
      toHex(nobleSha256(utf8.encode(`id-${i}`)).subarray(0, 16)),
    ).sort()
    const full = revocationsFor({ revoked: ids })
    const text = signRevocations(full, vendor)
    expect(text.length).toBeLessThanOrEqual(MAX_REVOCATIONS_CHARS)
    expect(readRevocations(text, TRUST).fields.revoked).toHaveLength(MAX_REVOKED)
    const tooMany = [...ids, 'ff'.repeat(16)]
    expect(() => signRevocations(revocationsFor({ revoked: tooMany }), vendor)).toThrow(
      /invalid revocation list/,
    )
    expectRevocationsRefused(
      genuinelySigned(cbor(revocationsFor({ revoked: tooMany })), vendor, REVOCATIONS),
      /invalid revocation list: revoked/,
    )
  })

  it('tampering with seq under the original signature is refused', () => {
    for (const seq of [REV_FIELDS.seq + 1, REV_FIELDS.seq - 1, Number.MAX_SAFE_INTEGER]) {
      const text = underOldSignature(REV_TEXT, { ...REV_FIELDS, seq }, REVOCATIONS)
      expect(decodeRevocations(text).fields.seq).toBe(seq)
      expectRevocationsRefused(text, SIG_FAILS_REV)
    }
  })

  it('tampering with the revoked ids under the original signature is refused', () => {
    const [a, b, c] = REVOKED_IDS as [string, string, string]
    for (const revoked of [
      [],
      [a, b],
      [b, c],
      [a, c],
      [a, b, c, 'ff'.repeat(16)],
      [a, b, `${c.slice(0, -1)}1`],
    ]) {
      const text = underOldSignature(REV_TEXT, { ...REV_FIELDS, revoked }, REVOCATIONS)
      expect(decodeRevocations(text).fields.revoked).toEqual(revoked)
      expectRevocationsRefused(text, SIG_FAILS_REV)
    }
    for (const change of [{ issuedAt: T0 + 1 }, { keyId: rotated.keyId }])
      expectRevocationsRefused(
        underOldSignature(REV_TEXT, { ...REV_FIELDS, ...change }, REVOCATIONS),
        SIG_FAILS_REV,
      )
  })

  it('unsorted or duplicate ids are refused by the signer, and by the decoder even when genuinely signed', () => {
    const [a, b, c] = REVOKED_IDS as [string, string, string]
    for (const revoked of [
      [b, a],
      [a, c, b],
      [a, a],
      [a, b, b, c],
      [c, b, a],
    ]) {
      const f = { ...REV_FIELDS, revoked }
      expect(refusal(() => signRevocations(f, vendor)).message).toBe(
        'invalid revocation list: revoked: sorted, no repeats',
      )
      const text = genuinelySigned(cbor(f), vendor, REVOCATIONS)
      expect(refusal(() => decodeRevocations(text)).message).toBe(
        'invalid revocation list: revoked: sorted, no repeats',
      )
      expectRevocationsRefused(text, /sorted, no repeats/)
    }
  })

  it('refuses ids and fields the schema forbids, with the signer and the decoder', () => {
    for (const change of [
      { revoked: ['1C'.repeat(16)] },
      { revoked: ['1c'.repeat(15)] },
      { seq: 0 },
      { seq: 1.5 },
      { v: 2 },
      { issuedAt: -1 },
      { extra: true },
    ]) {
      const f = { ...REV_FIELDS, ...change }
      expect(revocationSchema.safeParse(f).success).toBe(false)
      expect(() => signRevocations(f as RevocationFields, vendor)).toThrow(/^invalid revocation list: /)
      expectRevocationsRefused(genuinelySigned(cbor(f), vendor, REVOCATIONS), /^invalid revocation list: /)
    }
  })

  it('flipping any bit of the payload is refused', () => {
    const payload = payloadOf(REV_TEXT, REVOCATIONS)
    for (let i = 0; i < payload.length; i++)
      for (let bit = 0; bit < 8; bit++) {
        const p = Uint8Array.from(payload)
        p[i] = (p[i] ?? 0) ^ (1 << bit)
        expectRevocationsRefused(armor(p, REVOCATIONS))
      }
  })

  it('refuses a non-canonical encoding, trailing bytes and a wrong prefix, though genuinely signed', () => {
    const rev = (body: Uint8Array, domain = REVOCATIONS_DOMAIN) =>
      genuinelySigned(body, vendor, REVOCATIONS, domain)
    const entries = entriesOf(REV_FIELDS)
    expectRevocationsRefused(rev(mapFrom([...entries].reverse())), /one canonical encoding/)
    expectRevocationsRefused(rev(mapFrom(replaceValue(entries, 'seq', head(0, 3, 4)))), /do not decode/)
    expectRevocationsRefused(rev(concat(cbor(REV_FIELDS), Uint8Array.of(0))), /do not decode/)
    expectRevocationsRefused(rev(cbor(REV_FIELDS), LICENSE_DOMAIN), /wrong prefix or version/)
    expectRevocationsRefused(rev(cbor(REV_FIELDS), utf8.encode('verseguy/revocations/v2\n')), /wrong prefix/)
  })

  it('a license and a revocation list cannot stand in for each other', () => {
    expectRevocationsRefused(TEXT, /no -----BEGIN VERSEGUY REVOCATIONS-----/)
    expectLicenseRefused(REV_TEXT, /no -----BEGIN VERSEGUY LICENSE-----/)
    // the signed payload moved into the other armor: the domain prefix separates them
    expectRevocationsRefused(armor(payloadOf(TEXT), REVOCATIONS), /not a Verse Guy revocation list/)
    expectLicenseRefused(armor(payloadOf(REV_TEXT, REVOCATIONS)), /not a Verse Guy license/)
  })

  it('refuses lists signed by an unknown key, a forged key id or under another issuer name', () => {
    expectRevocationsRefused(
      signRevocations(revocationsFor({}, stranger), stranger),
      /revocation list is signed by unknown issuer key/,
    )
    const forger: IssuerSigner = { ...stranger, keyId: vendor.keyId, issuer: vendor.issuer }
    expectRevocationsRefused(signRevocations(REV_FIELDS, forger), SIG_FAILS_REV)
    const renamed: IssuerSigner = { ...vendor, issuer: 'Someone Else' }
    expectRevocationsRefused(
      signRevocations(revocationsFor({}, renamed), renamed),
      /names issuer Someone Else/,
    )
    expect(() => signRevocations(revocationsFor({}, rotated), vendor)).toThrow(/names another issuer key/)
  })

  it('ignores comments, refuses text outside the block, oversized and non-string input', () => {
    expect(readRevocations(`# hello\n${REV_TEXT}# 0 revoked\n`, TRUST).fields).toStrictEqual(REV_FIELDS)
    expectRevocationsRefused(`${REV_TEXT}revoked: none\n`, /revocation list has text outside its armor block/)
    expectRevocationsRefused(
      `${'#'.repeat(MAX_REVOCATIONS_CHARS)}\n${REV_TEXT}`,
      /revocation list file is too large/,
    )
    for (const input of [undefined, null, 3, utf8.encode(REV_TEXT)])
      expectRevocationsRefused(input, /^revocation list must be text$/)
  })

  it('verifyRevocationsSignature checks against the trust store', () => {
    const decoded = decodeRevocations(REV_TEXT)
    expect(() => verifyRevocationsSignature(decoded, TRUST)).not.toThrow()
    expect(() => verifyRevocationsSignature(decoded, new TrustStore())).toThrow(LicenseInvalidError)
  })
})

describe('evaluateLicense', () => {
  const validFeatures = new Set<Feature>([...FREE_FEATURES, ...FIELDS.features])

  it('valid: between notBefore and expires, with the license tier, features and seats', () => {
    for (const now of [FIELDS.notBefore, NOW, FIELDS.expires]) {
      const v = evaluateLicense(TEXT, ctx({ now }))
      expect(v).toStrictEqual({
        state: 'valid',
        reason: null,
        license: FIELDS,
        effectiveTier: 'pro',
        features: validFeatures,
        seats: 25,
        graceEnds: FIELDS.expires + FIELDS.grace,
      })
    }
  })

  it('grace: after expires up to and including the end of grace, features stay on', () => {
    for (const now of [FIELDS.expires + 1, FIELDS.expires + DAY, FIELDS.expires + FIELDS.grace]) {
      const v = evaluateLicense(TEXT, ctx({ now }))
      expect(v).toMatchObject({ state: 'grace', effectiveTier: 'pro', seats: 25, license: FIELDS })
      expect(v.features).toEqual(validFeatures)
      expect(v.reason).toBe(
        'the license expired on 2027-01-01T00:00:00.000Z; features stay on until 2027-01-15T00:00:00.000Z',
      )
    }
  })

  it('expired: after the grace period, Free only', () => {
    for (const now of [FIELDS.expires + FIELDS.grace + 1, FIELDS.expires + 1000 * DAY]) {
      const v = evaluateLicense(TEXT, ctx({ now }))
      expectFreeOnly(v, 'expired', FIELDS)
      expect(v.reason).toMatch(/expired on 2027-01-01T00:00:00.000Z and its grace period ended 2027-01-15/)
    }
    const noGrace = signLicense(fieldsFor({ grace: 0 }), vendor)
    expect(evaluateLicense(noGrace, ctx({ now: FIELDS.expires })).state).toBe('valid')
    expectFreeOnly(
      evaluateLicense(noGrace, ctx({ now: FIELDS.expires + 1 })),
      'expired',
      fieldsFor({ grace: 0 }),
    )
  })

  it('not-yet-valid: before notBefore, Free only', () => {
    for (const now of [FIELDS.notBefore - 1, 0]) {
      const v = evaluateLicense(TEXT, ctx({ now }))
      expectFreeOnly(v, 'not-yet-valid', FIELDS)
      expect(v.reason).toBe('the license is valid from 2026-01-01T00:00:00.000Z')
    }
  })

  it('revoked: its id in the revoked set, Free only; other revoked ids change nothing', () => {
    const v = evaluateLicense(TEXT, ctx({ revoked: new Set([LICENSE_ID]) }))
    expectFreeOnly(v, 'revoked', FIELDS)
    expect(v.reason).toBe(`license ${LICENSE_ID} was revoked by its issuer`)
    expect(evaluateLicense(TEXT, ctx({ revoked: new Set(['2d'.repeat(16)]) })).state).toBe('valid')
    // revoked wins over any time-based state
    for (const now of [0, FIELDS.expires + 1, FIELDS.expires + FIELDS.grace + 1])
      expect(evaluateLicense(TEXT, ctx({ now, revoked: new Set([LICENSE_ID]) })).state).toBe('revoked')
  })

  it('wrong-org: a license issued for one org pasted into another (org id and founder differ), Free only', () => {
    const v = evaluateLicense(TEXT, ctx({ orgId: OTHER_ORG, founder: OTHER_FOUNDER }))
    expectFreeOnly(v, 'wrong-org', FIELDS)
    expect(v.reason).toBe(`this license was issued for org ${ORG}, not this org (${OTHER_ORG})`)
  })

  it('wrong-org: the org id alone or the founder alone differing is enough', () => {
    expectFreeOnly(evaluateLicense(TEXT, ctx({ orgId: OTHER_ORG })), 'wrong-org', FIELDS)
    expectFreeOnly(evaluateLicense(TEXT, ctx({ founder: OTHER_FOUNDER })), 'wrong-org', FIELDS)
    // and it wins over revoked and time-based states
    expect(
      evaluateLicense(TEXT, ctx({ orgId: OTHER_ORG, revoked: new Set([LICENSE_ID]), now: 0 })).state,
    ).toBe('wrong-org')
  })

  it('invalid: a tampered, forged or malformed license, Free only, with the reason', () => {
    for (const text of [
      underOldSignature(TEXT, { ...FIELDS, expires: FIELDS.expires + 365 * DAY }),
      underOldSignature(TEXT, { ...FIELDS, org: OTHER_ORG }),
      signLicense(fieldsFor({ tier: 'enterprise' }), { ...stranger, keyId: vendor.keyId, issuer: VENDOR }),
      'not a license',
      '',
    ]) {
      const v = evaluateLicense(text, ctx())
      expectFreeOnly(v, 'invalid', null)
      expect(v.reason).toBe(refusal(() => readLicense(text, TRUST)).message)
    }
    expectFreeOnly(evaluateLicense(TEXT, ctx({ trust: new TrustStore() })), 'invalid', null)
  })

  it('none: no license, Free only and no reason', () => {
    const v = evaluateLicense(null, ctx())
    expectFreeOnly(v, 'none', null)
    expect(v.reason).toBeNull()
  })

  it('features are the Free set in every state but valid and grace', () => {
    const cases: readonly [LicenseState, string | null, Partial<LicenseContext>][] = [
      ['none', null, {}],
      ['valid', TEXT, {}],
      ['grace', TEXT, { now: FIELDS.expires + 1 }],
      ['expired', TEXT, { now: FIELDS.expires + FIELDS.grace + 1 }],
      ['not-yet-valid', TEXT, { now: FIELDS.notBefore - 1 }],
      ['revoked', TEXT, { revoked: new Set([LICENSE_ID]) }],
      ['wrong-org', TEXT, { orgId: OTHER_ORG, founder: OTHER_FOUNDER }],
      ['invalid', underOldSignature(TEXT, { ...FIELDS, seats: 26 }), {}],
    ]
    expect(cases.map(([s]) => s).sort()).toEqual(
      ['none', 'valid', 'grace', 'expired', 'not-yet-valid', 'revoked', 'wrong-org', 'invalid'].sort(),
    )
    for (const [state, text, c] of cases) {
      const v = evaluateLicense(text, ctx(c))
      expect(v.state).toBe(state)
      if (state === 'valid' || state === 'grace') expect(v.features).toEqual(validFeatures)
      else expect(v.features).toEqual(FREE_FEATURES)
    }
  })

  it('a license grants exactly the features it lists (plus Free), whatever its tier says', () => {
    const f = fieldsFor({ tier: 'enterprise', features: ['api', 'treasury'] })
    const v = evaluateLicense(signLicense(f, vendor), ctx())
    expect(v.state).toBe('valid')
    expect(v.effectiveTier).toBe('enterprise')
    expect([...v.features].sort()).toEqual([...FREE_FEATURES, 'api', 'treasury'].sort())
    expect(v.features.has('rbac')).toBe(false)
  })
})

describe('cross-check with @noble/ed25519 and @noble/hashes', () => {
  it('the issuer public keys and key ids derive from the seeds as @noble computes them', () => {
    for (const s of [vendor, rotated, stranger]) {
      expect(ed.getPublicKey(s.seed)).toEqual(s.publicKey)
      expect(s.keyId).toBe(toHex(nobleSha256(s.publicKey).subarray(0, 8)))
      expect(publicKeyOf(s).publicKey).toBe(toHex(ed.getPublicKey(s.seed)))
    }
  })

  it('license signatures verify with @noble over domain || dag-cbor(fields), and @noble reproduces them', () => {
    for (const f of [FIELDS, fieldsFor({ tier: 'enterprise', seats: 1000 }), fieldsFor({ grace: 0 })]) {
      const text = signLicense(f, vendor)
      const bytes = concat(utf8.encode('verseguy/license/v1\n'), cbor(f))
      const { signature, bytes: inFile } = split(text)
      expect(inFile).toEqual(bytes)
      expect(ed.verify(signature, bytes, vendor.publicKey)).toBe(true)
      expect(ed.sign(bytes, vendor.seed)).toEqual(signature)
      expect(ed.verify(signature, bytes, rotated.publicKey)).toBe(false)
      // a license @noble signs is one the project reads
      expect(readLicense(armor(concat(ed.sign(bytes, vendor.seed), bytes)), TRUST).fields).toStrictEqual(f)
    }
  })

  it('revocation-list signatures verify with @noble, and @noble reproduces them', () => {
    const bytes = concat(utf8.encode('verseguy/revocations/v1\n'), cbor(REV_FIELDS))
    const { signature, bytes: inFile } = split(REV_TEXT, REVOCATIONS)
    expect(inFile).toEqual(bytes)
    expect(ed.verify(signature, bytes, vendor.publicKey)).toBe(true)
    expect(ed.sign(bytes, vendor.seed)).toEqual(signature)
  })

  it('@noble also rejects the license signature over the license bytes under another domain', () => {
    const { signature, bytes } = split(TEXT)
    const body = bytes.subarray(LICENSE_DOMAIN.length)
    expect(ed.verify(signature, concat(REVOCATIONS_DOMAIN, body), vendor.publicKey)).toBe(false)
    expect(ed.verify(signature, body, vendor.publicKey)).toBe(false)
  })
})

describe('license format: fields are read exactly as signed', () => {
  const signer = generateIssuerKey('Edge Issuer').signer
  const trust = new TrustStore([publicKeyOf(signer)])
  const base = {
    v: 1 as const,
    id: '11'.repeat(16),
    keyId: signer.keyId,
    issuer: signer.issuer,
    org: '22'.repeat(16),
    founder: '33'.repeat(32),
    tier: 'pro' as const,
    features: ['custom-ranks', 'fleet'] as ('custom-ranks' | 'fleet')[],
    seats: 5,
    issuedAt: NOW,
    notBefore: NOW,
    expires: NOW + DAY,
    grace: DAY,
  }

  it('refuses times no Date can show, instead of crashing later', () => {
    expect(() => signLicense({ ...base, expires: 8.64e15 + 1 }, signer)).toThrow(LicenseInvalidError)
    expect(() => signLicense({ ...base, expires: MAX_TIME + 1 }, signer)).toThrow(LicenseInvalidError)
    const text = signLicense({ ...base, expires: MAX_TIME, grace: 365 * DAY }, signer)
    const ctx = {
      orgId: base.org,
      founder: base.founder,
      trust,
      revoked: new Set<string>(),
      now: MAX_TIME + 300 * DAY,
    }
    expect(evaluateLicense(text, ctx).state).toBe('grace')
  })

  it('refuses an issuer name with surrounding spaces rather than trimming it', () => {
    const spaced = { ...signer, issuer: ' Edge Issuer ' }
    expect(() => signLicense({ ...base, issuer: ' Edge Issuer ' }, spaced)).toThrow(LicenseInvalidError)
  })

  it('verifying a decoded license checks that its fields are the signed ones', () => {
    const decoded = decodeLicense(signLicense(base, signer))
    expect(() => verifyLicenseSignature(decoded, trust)).not.toThrow()
    const edited = { ...decoded, fields: { ...decoded.fields, seats: 5000 } }
    expect(() => verifyLicenseSignature(edited, trust)).toThrow(/do not match its signed bytes/)
  })
})
