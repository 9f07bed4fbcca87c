/**
 * Issue 5 figures: what offline license verification costs.
 * - per license: decode (armor, base64, canonical CBOR, schema) + Ed25519 verify, against
 *   a bare node:crypto Ed25519 verify of the same bytes (same run);
 * - at node start: the first license status of an org (watermark, revocation lists,
 *   verification), against reopening the same store and warming its roster (same run).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ed25519RawPublicKey,
  ed25519Sign,
  ed25519Verify,
  fromHex,
  type MemberKey,
  toHex,
} from '../crdt/index.ts'
import {
  decodeLicense,
  evaluateLicense,
  generateIssuerKey,
  type IssuerSigner,
  type LicenseFields,
  publicKeyOf,
  readLicense,
  signLicense,
  TIER_FEATURES,
  TrustStore,
} from '../services/licensing/index.ts'
import { makeReplica, type Replica } from '../tests/helpers/replica.ts'
import { median, printTable, quick, type Row, time, writeResults } from './lib.ts'

const LICENSES = quick ? 200 : 2_000
const DAY = 86_400_000

function memberSigner() {
  const { privateKey } = generateKeyPairSync('ed25519')
  return {
    memberKey: toHex(ed25519RawPublicKey(privateKey)) as MemberKey,
    sign: (d: Uint8Array) => ed25519Sign(privateKey, d),
  }
}

/** A year-long Pro license for an org, signed fields only. */
function proLicense(issuer: IssuerSigner, org: string, founder: string, now: number): LicenseFields {
  return {
    v: 1,
    id: randomBytes(16).toString('hex'),
    keyId: issuer.keyId,
    issuer: issuer.issuer,
    org,
    founder,
    tier: 'pro',
    features: [...TIER_FEATURES.pro].sort(),
    seats: 50,
    issuedAt: now,
    notBefore: now,
    expires: now + 365 * DAY,
    grace: 14 * DAY,
  }
}

async function verification(): Promise<Row[]> {
  const issuer = generateIssuerKey('Bench Issuer').signer
  const trust = new TrustStore([publicKeyOf(issuer)])
  const now = Date.now()
  const texts: string[] = []
  for (let i = 0; i < LICENSES; i++) {
    texts.push(
      signLicense(
        proLicense(issuer, randomBytes(16).toString('hex'), randomBytes(32).toString('hex'), now),
        issuer,
      ),
    )
  }
  const decoded = texts.map((t) => decodeLicense(t))
  const key = fromHex(publicKeyOf(issuer).publicKey)
  const raw: number[] = []
  const full: number[] = []
  const judged: number[] = []
  for (let r = 0; r < 5; r++) {
    raw.push(await time(() => decoded.every((d) => ed25519Verify(key, d.bytes, d.signature))))
    full.push(await time(() => texts.every((t) => readLicense(t, trust))))
    judged.push(
      await time(() =>
        decoded.every((d, i) =>
          evaluateLicense(texts[i] as string, {
            orgId: d.fields.org,
            founder: d.fields.founder,
            trust,
            revoked: new Set(),
            now,
          }),
        ),
      ),
    )
  }
  const per = (ms: number) => (ms / LICENSES) * 1000
  return [
    { figure: 'Ed25519 verify alone (baseline)', value: per(median(raw)), unit: 'µs/license' },
    { figure: 'license decode + verify', value: per(median(full)), unit: 'µs/license' },
    { figure: 'license status (verify + judge)', value: per(median(judged)), unit: 'µs/license' },
    {
      figure: 'licenseVerifyRatio',
      value: median(full) / median(raw),
      unit: '×',
      note: 'decode + verify / bare verify',
    },
  ]
}

async function atStart(): Promise<Row[]> {
  const issuer = generateIssuerKey('Bench Issuer').signer
  const trust = new TrustStore([publicKeyOf(issuer)])
  const dir = await mkdtemp(join(tmpdir(), 'vg-bench-license-'))
  const signer = memberSigner()
  try {
    const first = await makeReplica(signer, { dir, trust, sync: true })
    const org = await first.org.createOrg({ name: 'Bench Org', tag: 'BNCH', handle: 'Bench_Lead' })
    const now = Date.now()
    await first.licenses.install(org.id, signLicense(proLicense(issuer, org.id, org.owner, now), issuer))
    await first.close()
    const open: number[] = []
    const check: number[] = []
    for (let r = 0; r < (quick ? 2 : 5); r++) {
      let node: Replica | null = null
      open.push(
        await time(async () => {
          node = await makeReplica(signer, { dir, trust, sync: true })
          await node.org.currentState(org.id)
        }),
      )
      const n = node as unknown as Replica
      check.push(
        await time(async () => {
          const [s] = await n.licenses.statusAll()
          if (s?.state !== 'valid') throw new Error(`license ${s?.state}`)
        }),
      )
      await n.close()
    }
    return [
      { figure: 'open store + warm roster (baseline)', value: median(open), unit: 'ms' },
      { figure: 'license check at start (1 org)', value: median(check), unit: 'ms' },
      { figure: 'licenseStartShare', value: median(check) / median(open), unit: '×', note: 'check / open' },
    ]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export async function run(): Promise<Row[]> {
  const rows = [...(await verification()), ...(await atStart())]
  printTable(`Licensing (${LICENSES} licenses${quick ? ', quick' : ''})`, rows)
  const file = writeResults('licensing', {
    figures: Object.fromEntries(rows.map((r) => [r.figure, { value: r.value, unit: r.unit }])),
  })
  console.log(`results: ${file}`)
  return rows
}

if (import.meta.main) await run()
