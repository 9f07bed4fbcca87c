/**
 * Fixed license vectors (tests/vectors/license-vectors.json, generated once from fixed
 * seeds and times). They pin the license and revocation-list file format: if the armor,
 * the domain prefixes, the field encoding, the signature scheme or the verdicts ever
 * change, these fail. Signatures are checked twice: by the project (node:crypto) and
 * independently with @noble/ed25519.
 */
import { readFileSync } from 'node:fs'
import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import {
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  fromHex,
  toHex,
} from '../../../crdt/index.ts'
import {
  decodeLicense,
  decodeRevocations,
  evaluateLicense,
  FREE_FEATURES,
  type IssuerPublicKey,
  type IssuerSigner,
  keyIdOf,
  LICENSE_DOMAIN,
  LICENSE_STATES,
  type LicenseFields,
  LicenseInvalidError,
  type LicenseState,
  publicKeyOf,
  REVOCATIONS_DOMAIN,
  type RevocationFields,
  readLicense,
  readRevocations,
  signLicense,
  signRevocations,
  TrustStore,
} from '../../../services/licensing/index.ts'

ed.hashes.sha512 = sha512

interface KeyVector {
  readonly seed: string
  readonly publicKeyFile: IssuerPublicKey
}
interface Context {
  readonly orgId: string
  readonly founder: string
  readonly now: number
  readonly revoked: readonly string[]
}
interface Vectors {
  readonly licenseDomain: string
  readonly revocationsDomain: string
  readonly issuer: KeyVector
  readonly other: KeyVector
  readonly licenses: readonly {
    readonly name: string
    readonly trust: readonly IssuerPublicKey[]
    readonly text: string | null
    readonly fields: LicenseFields | null
    readonly signature: string | null
    readonly bytes: string | null
    readonly context: Context
    readonly expected: {
      readonly state: LicenseState
      readonly effectiveTier: string
      readonly features: readonly string[]
      readonly seats: number | null
      readonly graceEnds: number | null
    }
  }[]
  readonly revocations: readonly {
    readonly name: string
    readonly trust: readonly IssuerPublicKey[]
    readonly text: string
    readonly fields: RevocationFields
    readonly signature: string
    readonly bytes: string
  }[]
  readonly invalid: readonly {
    readonly name: string
    readonly kind: 'license' | 'revocations'
    readonly trust: readonly IssuerPublicKey[]
    readonly text: string
    readonly error: string
    readonly signedBy: 'issuer' | 'other' | null
  }[]
}

const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/license-vectors.json', import.meta.url), 'utf8'),
) as Vectors

const LABELS = { license: 'VERSEGUY LICENSE', revocations: 'VERSEGUY REVOCATIONS' } as const

/** The issuer signers, rebuilt from the pinned seeds. */
function signerFrom(k: KeyVector): IssuerSigner {
  const key = ed25519PrivateKeyObject(fromHex(k.seed))
  const publicKey = ed25519RawPublicKey(key)
  return {
    issuer: k.publicKeyFile.issuer,
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (d) => ed25519Sign(key, d),
  }
}
const keys = [vectors.issuer, vectors.other]
const signers = keys.map(signerFrom)
const signerFor = (keyId: string): IssuerSigner => {
  const s = signers.find((x) => x.keyId === keyId)
  if (s === undefined) throw new Error(`no vector key ${keyId}`)
  return s
}
const seedFor = (keyId: string): Uint8Array => {
  const k = keys.find((x) => x.publicKeyFile.keyId === keyId)
  if (k === undefined) throw new Error(`no vector key ${keyId}`)
  return fromHex(k.seed)
}

/** The bytes between the armor lines, read leniently (the format's own reader is under test). */
function payloadOf(text: string, label: string): Uint8Array | null {
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  const from = lines.indexOf(`-----BEGIN ${label}-----`)
  const to = lines.indexOf(`-----END ${label}-----`)
  if (from < 0 || to < from) return null
  return new Uint8Array(Buffer.from(lines.slice(from + 1, to).join(''), 'base64'))
}

function refusal(read: () => unknown): LicenseInvalidError {
  try {
    read()
  } catch (err) {
    if (err instanceof LicenseInvalidError) return err
    throw err
  }
  throw new Error('accepted')
}

describe('license vectors: keys and format', () => {
  it('the issuer keys derive from the pinned seeds (node:crypto and @noble/ed25519), key id = first 8 bytes of SHA-256', () => {
    keys.forEach((k, i) => {
      const seed = fromHex(k.seed)
      expect(seed).toHaveLength(32)
      expect(toHex(ed.getPublicKey(seed))).toBe(k.publicKeyFile.publicKey)
      expect(toHex(signers[i]?.publicKey ?? new Uint8Array())).toBe(k.publicKeyFile.publicKey)
      expect(toHex(nobleSha256(fromHex(k.publicKeyFile.publicKey)).subarray(0, 8))).toBe(
        k.publicKeyFile.keyId,
      )
      expect(publicKeyOf(signerFrom(k))).toEqual(k.publicKeyFile)
    })
    expect(vectors.issuer.seed).toBe('01'.repeat(32))
    expect(vectors.other.seed).toBe('02'.repeat(32))
  })

  it('the pinned domain prefixes are the ones the format uses', () => {
    expect(new TextEncoder().encode(vectors.licenseDomain)).toEqual(LICENSE_DOMAIN)
    expect(new TextEncoder().encode(vectors.revocationsDomain)).toEqual(REVOCATIONS_DOMAIN)
    expect(vectors.licenseDomain).toBe('verseguy/license/v1\n')
    expect(vectors.revocationsDomain).toBe('verseguy/revocations/v1\n')
  })

  it('covers every verdict, both kinds of file and the refusals that matter', () => {
    const states = new Set<string>(vectors.licenses.map((l) => l.expected.state))
    if (vectors.invalid.some((v) => v.kind === 'license')) states.add('invalid')
    expect([...states].sort()).toEqual([...LICENSE_STATES].sort())
    expect(vectors.revocations.length).toBeGreaterThanOrEqual(2)
    const names = vectors.invalid.map((v) => v.name)
    for (const name of [
      'expiry-extended-under-original-signature',
      'signature-bit-flipped',
      'signed-by-an-unknown-key',
      'signed-by-another-key-claiming-the-trusted-key-id',
      'issuer-name-not-the-trusted-keys',
      'key-id-pointed-at-another-trusted-key',
      'wrong-version-prefix',
      'non-canonical-key-order',
      'non-minimal-integer',
      'extra-field',
      'missing-field',
      'trailing-bytes',
      'non-canonical-base64-padding-bits',
      'text-outside-armor',
      'revocations-seq-changed-under-original-signature',
      'revocations-unsorted',
      'revocations-duplicate-id',
    ])
      expect(names).toContain(name)
  })
})

describe('license vectors: licenses', () => {
  for (const v of vectors.licenses) {
    if (v.text === null || v.fields === null || v.bytes === null || v.signature === null) continue
    const { text, fields, bytes, signature } = v

    it(`${v.name}: the armored payload is the pinned signature || domain || dag-cbor(fields)`, () => {
      const payload = payloadOf(text, LABELS.license)
      expect(payload).not.toBeNull()
      expect(toHex(payload?.subarray(0, 64) ?? new Uint8Array())).toBe(signature)
      expect(toHex(payload?.subarray(64) ?? new Uint8Array())).toBe(bytes)
      const encoded = new Uint8Array([...LICENSE_DOMAIN, ...dagCbor.encode(fields)])
      expect(toHex(encoded)).toBe(bytes)
    })

    it(`${v.name}: the signature verifies with @noble/ed25519 and re-signing reproduces it`, () => {
      const key = v.trust.find((k) => k.keyId === fields.keyId)
      expect(key).toBeDefined()
      const publicKey = fromHex(key?.publicKey ?? '')
      expect(ed.verify(fromHex(signature), fromHex(bytes), publicKey)).toBe(true)
      expect(toHex(ed.sign(fromHex(bytes), seedFor(fields.keyId)))).toBe(signature)
      // the project's signer writes the exact pinned text, comments and all
      expect(signLicense(fields, signerFor(fields.keyId))).toBe(text)
    })

    it(`${v.name}: decodes and verifies to exactly the pinned fields`, () => {
      expect(decodeLicense(text).fields).toStrictEqual(fields)
      const read = readLicense(text, new TrustStore(v.trust))
      expect(read.fields).toStrictEqual(fields)
      expect(toHex(read.bytes)).toBe(bytes)
      expect(toHex(read.signature)).toBe(signature)
    })
  }

  for (const v of vectors.licenses) {
    it(`${v.name}: the verdict is ${v.expected.state}`, () => {
      const verdict = evaluateLicense(v.text, {
        orgId: v.context.orgId,
        founder: v.context.founder,
        now: v.context.now,
        revoked: new Set(v.context.revoked),
        trust: new TrustStore(v.trust),
      })
      expect({
        state: verdict.state,
        effectiveTier: verdict.effectiveTier,
        features: [...verdict.features].sort(),
        seats: verdict.seats,
        graceEnds: verdict.graceEnds,
      }).toEqual(v.expected)
      expect(verdict.license).toStrictEqual(v.text === null ? null : v.fields)
      if (v.expected.state !== 'valid' && v.expected.state !== 'grace') {
        expect(verdict.features).toEqual(FREE_FEATURES)
        expect(verdict.effectiveTier).toBe('free')
        expect(verdict.seats).toBeNull()
      }
    })
  }
})

describe('license vectors: revocation lists', () => {
  for (const v of vectors.revocations) {
    it(`${v.name}: pinned bytes, signature (node:crypto and @noble), text and fields agree`, () => {
      const payload = payloadOf(v.text, LABELS.revocations)
      expect(toHex(payload?.subarray(0, 64) ?? new Uint8Array())).toBe(v.signature)
      expect(toHex(payload?.subarray(64) ?? new Uint8Array())).toBe(v.bytes)
      expect(toHex(new Uint8Array([...REVOCATIONS_DOMAIN, ...dagCbor.encode(v.fields)]))).toBe(v.bytes)
      const key = v.trust.find((k) => k.keyId === v.fields.keyId)
      expect(ed.verify(fromHex(v.signature), fromHex(v.bytes), fromHex(key?.publicKey ?? ''))).toBe(true)
      expect(toHex(ed.sign(fromHex(v.bytes), seedFor(v.fields.keyId)))).toBe(v.signature)
      expect(signRevocations(v.fields, signerFor(v.fields.keyId))).toBe(v.text)
      expect(decodeRevocations(v.text).fields).toStrictEqual(v.fields)
      expect(readRevocations(v.text, new TrustStore(v.trust)).fields).toStrictEqual(v.fields)
    })
  }
})

describe('license vectors: refused files', () => {
  for (const v of vectors.invalid) {
    it(`${v.name}: refused (${v.error})`, () => {
      const trust = new TrustStore(v.trust)
      const err = refusal(() =>
        v.kind === 'license' ? readLicense(v.text, trust) : readRevocations(v.text, trust),
      )
      expect(err.message).toContain(v.error)
      if (v.kind === 'license') {
        const verdict = evaluateLicense(v.text, {
          orgId: '00'.repeat(16),
          founder: '00'.repeat(32),
          now: 0,
          revoked: new Set(),
          trust,
        })
        expect(verdict).toMatchObject({ state: 'invalid', license: null, effectiveTier: 'free', seats: null })
        expect(verdict.reason).toBe(err.message)
        expect(verdict.features).toEqual(FREE_FEATURES)
      }
    })

    it(`${v.name}: the embedded signature is ${v.signedBy === null ? 'not genuine' : `genuinely by the ${v.signedBy} key`} (@noble/ed25519)`, () => {
      const payload = payloadOf(v.text, LABELS[v.kind])
      if (payload === null || payload.length <= 64) {
        expect(v.signedBy).toBeNull()
        return
      }
      const sig = payload.subarray(0, 64)
      const bytes = payload.subarray(64)
      for (const k of keys) {
        const genuine = ed.verify(sig, bytes, fromHex(k.publicKeyFile.publicKey))
        expect(genuine).toBe(v.signedBy !== null && k === vectors[v.signedBy])
      }
    })
  }
})
