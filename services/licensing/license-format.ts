/**
 * License and revocation-list files. Each is one canonical byte string (a domain prefix,
 * then deterministic DAG-CBOR of a fixed set of fields), signed with Ed25519 over exactly
 * those bytes, shipped as `signature || bytes` in base64 between armor lines. Decoding
 * re-encodes the fields and refuses any other byte form, unknown or missing fields, and
 * trailing data: what is verified is what is read. Comment lines above the armor are for
 * people and are ignored.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { z } from 'zod'
import { bytesEqual, ED25519_SIGNATURE_BYTES, ed25519Verify, fromHex } from '../../crdt/index.ts'
import { LicenseInvalidError } from './errors.ts'
import { FEATURES, TIERS } from './features.ts'
import { type IssuerSigner, issuerName, type TrustStore } from './issuer-keys.ts'

export const LICENSE_DOMAIN = new TextEncoder().encode('verseguy/license/v1\n')
export const REVOCATIONS_DOMAIN = new TextEncoder().encode('verseguy/revocations/v1\n')
const LICENSE_ARMOR = 'VERSEGUY LICENSE'
const REVOCATIONS_ARMOR = 'VERSEGUY REVOCATIONS'
/** A license file is a few hundred bytes; anything near this is not one. */
export const MAX_LICENSE_CHARS = 16 * 1024
export const MAX_REVOKED = 10_000
/** 10,000 revoked ids in base64, with room for armor. */
export const MAX_REVOCATIONS_CHARS = 1024 * 1024

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`))
/** Milliseconds since the epoch, within what a Date can show (with a year to spare for grace). */
const MAX_TIME = 8.64e15 - 366 * 86_400_000
const time = z.number().int().min(0).max(MAX_TIME)
const sortedUnique = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .refine(
      (xs) => xs.every((x, i) => i === 0 || (xs[i - 1] as string) < (x as string)),
      'sorted, no repeats',
    )

export const licenseFields = z
  .object({
    v: z.literal(1),
    id: hex(16),
    keyId: hex(8),
    issuer: issuerName,
    org: hex(16),
    founder: hex(32),
    tier: z.enum(TIERS),
    features: sortedUnique(z.enum(FEATURES)).refine((f) => f.length <= FEATURES.length),
    seats: z.number().int().min(1).max(1_000_000),
    issuedAt: time,
    notBefore: time,
    expires: time,
    grace: z
      .number()
      .int()
      .min(0)
      .max(365 * 86_400_000),
  })
  .strict()
  .refine((l) => l.notBefore <= l.expires, 'notBefore after expires')
export type LicenseFields = z.infer<typeof licenseFields>

export const revocationFields = z
  .object({
    v: z.literal(1),
    keyId: hex(8),
    issuer: issuerName,
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    issuedAt: time,
    revoked: sortedUnique(hex(16)).refine((r) => r.length <= MAX_REVOKED),
  })
  .strict()
export type RevocationFields = z.infer<typeof revocationFields>

/** A decoded, not yet verified, signed file. */
export interface Signed<T> {
  readonly fields: T
  /** The exact signed bytes (domain prefix included). */
  readonly bytes: Uint8Array
  readonly signature: Uint8Array
}
export type SignedLicense = Signed<LicenseFields>
export type SignedRevocations = Signed<RevocationFields>

interface Kind<T> {
  readonly domain: Uint8Array
  readonly armor: string
  readonly schema: z.ZodType<T>
  readonly what: string
  readonly maxChars: number
}
const LICENSE: Kind<LicenseFields> = {
  domain: LICENSE_DOMAIN,
  armor: LICENSE_ARMOR,
  schema: licenseFields,
  what: 'license',
  maxChars: MAX_LICENSE_CHARS,
}
const REVOCATIONS: Kind<RevocationFields> = {
  domain: REVOCATIONS_DOMAIN,
  armor: REVOCATIONS_ARMOR,
  schema: revocationFields,
  what: 'revocation list',
  maxChars: MAX_REVOCATIONS_CHARS,
}

function sign<T>(kind: Kind<T>, input: unknown, signer: IssuerSigner): string {
  const parsed = kind.schema.safeParse(input)
  if (!parsed.success) throw new LicenseInvalidError(`invalid ${kind.what}: ${summarize(parsed.error)}`)
  const f = parsed.data as { keyId: string; issuer: string }
  if (f.keyId !== signer.keyId || f.issuer !== signer.issuer)
    throw new LicenseInvalidError(`${kind.what} names another issuer key than the one signing it`)
  const bytes = concat(kind.domain, dagCbor.encode(parsed.data))
  return armor(kind.armor, concat(signer.sign(bytes), bytes), comments(kind, parsed.data))
}

function decode<T>(kind: Kind<T>, text: unknown): Signed<T> {
  const raw = unarmor(kind, text)
  if (raw.length <= ED25519_SIGNATURE_BYTES + kind.domain.length)
    throw new LicenseInvalidError(`${kind.what} is truncated`)
  const signature = raw.subarray(0, ED25519_SIGNATURE_BYTES)
  const bytes = raw.subarray(ED25519_SIGNATURE_BYTES)
  if (!bytesEqual(bytes.subarray(0, kind.domain.length), kind.domain))
    throw new LicenseInvalidError(`not a Verse Guy ${kind.what} (wrong prefix or version)`)
  const body = bytes.subarray(kind.domain.length)
  let value: unknown
  try {
    value = dagCbor.decode(body)
  } catch {
    throw new LicenseInvalidError(`${kind.what} fields do not decode`)
  }
  if (!bytesEqual(dagCbor.encode(value), body))
    throw new LicenseInvalidError(`${kind.what} is not in its one canonical encoding`)
  const parsed = kind.schema.safeParse(value)
  if (!parsed.success) throw new LicenseInvalidError(`invalid ${kind.what}: ${summarize(parsed.error)}`)
  return { fields: parsed.data, bytes, signature }
}

/** Checks the signature against the trust store; throws `LicenseInvalidError` saying why not. */
function verify<T extends { keyId: string; issuer: string }>(
  kind: Kind<T>,
  signed: Signed<T>,
  trust: TrustStore,
): void {
  // The fields must be the ones the signature covers (a caller may hand in edited ones).
  if (!bytesEqual(concat(kind.domain, dagCbor.encode(signed.fields)), signed.bytes))
    throw new LicenseInvalidError(`${kind.what} fields do not match its signed bytes`)
  const key = trust.get(signed.fields.keyId)
  if (key === undefined)
    throw new LicenseInvalidError(`${kind.what} is signed by unknown issuer key ${signed.fields.keyId}`)
  if (key.issuer !== signed.fields.issuer)
    throw new LicenseInvalidError(
      `${kind.what} names issuer ${signed.fields.issuer}, but key ${key.keyId} is ${key.issuer}'s`,
    )
  if (!ed25519Verify(fromHex(key.publicKey), signed.bytes, signed.signature))
    throw new LicenseInvalidError(`${kind.what} signature does not verify: the file was altered or forged`)
}

export const signLicense = (fields: LicenseFields, signer: IssuerSigner): string =>
  sign(LICENSE, fields, signer)
export const decodeLicense = (text: unknown): SignedLicense => decode(LICENSE, text)
export const verifyLicenseSignature = (l: SignedLicense, trust: TrustStore): void => verify(LICENSE, l, trust)

export const signRevocations = (fields: RevocationFields, signer: IssuerSigner): string =>
  sign(REVOCATIONS, fields, signer)
export const decodeRevocations = (text: unknown): SignedRevocations => decode(REVOCATIONS, text)
export const verifyRevocationsSignature = (r: SignedRevocations, trust: TrustStore): void =>
  verify(REVOCATIONS, r, trust)

/** Decodes and verifies in one step. */
export function readLicense(text: unknown, trust: TrustStore): SignedLicense {
  const l = decodeLicense(text)
  verifyLicenseSignature(l, trust)
  return l
}

export function readRevocations(text: unknown, trust: TrustStore): SignedRevocations {
  const r = decodeRevocations(text)
  verifyRevocationsSignature(r, trust)
  return r
}

function armor(label: string, data: Uint8Array, notes: string[]): string {
  const b64 = Buffer.from(data).toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return [
    ...notes.map((n) => `# ${n}`),
    `-----BEGIN ${label}-----`,
    ...lines,
    `-----END ${label}-----`,
    '',
  ].join('\n')
}

function unarmor<T>(kind: Kind<T>, text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new LicenseInvalidError(`${kind.what} must be text`)
  if (text.length > kind.maxChars) throw new LicenseInvalidError(`${kind.what} file is too large`)
  const begin = `-----BEGIN ${kind.armor}-----`
  const end = `-----END ${kind.armor}-----`
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  const from = lines.indexOf(begin)
  const to = lines.indexOf(end)
  if (from < 0 || to < from) throw new LicenseInvalidError(`no ${begin} … ${end} block found`)
  // Outside the block only comments and blank lines: nothing unsigned may carry meaning.
  const outside = [...lines.slice(0, from), ...lines.slice(to + 1)]
  if (outside.some((l) => l !== '' && !l.startsWith('#')))
    throw new LicenseInvalidError(`${kind.what} has text outside its armor block`)
  const b64 = lines.slice(from + 1, to).join('')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
    throw new LicenseInvalidError(`${kind.what} body is not base64`)
  const data = new Uint8Array(Buffer.from(b64, 'base64'))
  // One text form per byte string too (no non-zero padding bits).
  if (Buffer.from(data).toString('base64') !== b64)
    throw new LicenseInvalidError(`${kind.what} body is not canonical base64`)
  return data
}

function comments<T>(kind: Kind<T>, f: T): string[] {
  if (kind === (LICENSE as unknown)) {
    const l = f as LicenseFields
    return [
      `Verse Guy ${l.tier} license ${l.id} for org ${l.org}`,
      `${l.seats} seats; valid ${new Date(l.notBefore).toISOString()} to ${new Date(l.expires).toISOString()}`,
      'Only the block below counts; these lines are not signed.',
    ]
  }
  const r = f as RevocationFields
  return [`Verse Guy revocation list ${r.seq} from ${r.issuer}: ${r.revoked.length} licenses revoked`]
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function summarize(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'fields'}: ${i.message}`).join('; ')
}
