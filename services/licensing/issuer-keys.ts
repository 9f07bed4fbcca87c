/**
 * Issuer keys and the trust store. The vendor's private key signs licenses and
 * revocation lists and never leaves the issuer's machine; nodes hold only public keys,
 * found by key id so keys can rotate (an old key stays trusted for the licenses it
 * signed until it is removed from the store).
 */
import { generateKeyPairSync } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { z } from 'zod'
import {
  ed25519PrivateKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  fromHex,
  sha256,
  toHex,
} from '../../crdt/index.ts'
import { IssuerKeyError } from './errors.ts'
import DEFAULT_TRUST_JSON from './trust-store.json' with { type: 'json' }

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`))
/** Refused, never rewritten: a decoded name is exactly the signed one. */
export const issuerName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:.*\S)?$/, 'no leading or trailing spaces')

const publicKeyFile = z
  .object({
    kind: z.literal('verseguy-issuer-public-key'),
    version: z.literal(1),
    issuer: issuerName,
    keyId: hex(8),
    publicKey: hex(32),
  })
  .strict()
const privateKeyFile = z
  .object({
    kind: z.literal('verseguy-issuer-private-key'),
    version: z.literal(1),
    issuer: issuerName,
    keyId: hex(8),
    seed: hex(32),
  })
  .strict()

export type IssuerPublicKey = z.infer<typeof publicKeyFile>

/** A private issuer key, ready to sign. */
export interface IssuerSigner {
  readonly issuer: string
  readonly keyId: string
  readonly publicKey: Uint8Array
  sign(data: Uint8Array): Uint8Array
}

/** A key id: the first 8 bytes of SHA-256 of the raw public key, in hex. */
export function keyIdOf(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey).subarray(0, 8))
}

/** A new issuer key pair. */
export function generateIssuerKey(issuer: string): { signer: IssuerSigner; seed: Uint8Array } {
  const name = issuerName.parse(issuer)
  const { privateKey } = generateKeyPairSync('ed25519')
  const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32))
  return { signer: signerFrom(name, seed), seed }
}

function signerFrom(issuer: string, seed: Uint8Array): IssuerSigner {
  const key = ed25519PrivateKeyObject(seed)
  const publicKey = ed25519RawPublicKey(key)
  return { issuer, keyId: keyIdOf(publicKey), publicKey, sign: (d) => ed25519Sign(key, d) }
}

export function publicKeyOf(signer: IssuerSigner): IssuerPublicKey {
  return {
    kind: 'verseguy-issuer-public-key',
    version: 1,
    issuer: signer.issuer,
    keyId: signer.keyId,
    publicKey: toHex(signer.publicKey),
  }
}

/** Writes `path` (private, mode 0600; refuses to overwrite) and `path.pub`. */
export async function writeIssuerKeyFiles(path: string, issuer: string): Promise<IssuerPublicKey> {
  const { signer, seed } = generateIssuerKey(issuer)
  const priv = {
    kind: 'verseguy-issuer-private-key',
    version: 1,
    issuer: signer.issuer,
    keyId: signer.keyId,
    seed: toHex(seed),
  }
  const pub = publicKeyOf(signer)
  try {
    await writeFile(path, `${JSON.stringify(priv, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    await writeFile(`${path}.pub`, `${JSON.stringify(pub, null, 2)}\n`, { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new IssuerKeyError(`${(err as NodeJS.ErrnoException).path} exists; not overwriting a key`)
    throw err
  }
  return pub
}

export async function readIssuerKey(path: string): Promise<IssuerSigner> {
  const parsed = privateKeyFile.safeParse(await readJson(path))
  if (!parsed.success) throw new IssuerKeyError(`${path} is not a Verse Guy issuer private key`)
  const signer = signerFrom(parsed.data.issuer, fromHex(parsed.data.seed))
  if (signer.keyId !== parsed.data.keyId) throw new IssuerKeyError(`${path}: key id does not match its key`)
  return signer
}

export async function readIssuerPublicKey(path: string): Promise<IssuerPublicKey> {
  return parsePublicKey(await readJson(path), path)
}

function parsePublicKey(value: unknown, where: string): IssuerPublicKey {
  const parsed = publicKeyFile.safeParse(value)
  if (!parsed.success) throw new IssuerKeyError(`${where} is not a Verse Guy issuer public key`)
  if (keyIdOf(fromHex(parsed.data.publicKey)) !== parsed.data.keyId)
    throw new IssuerKeyError(`${where}: key id does not match its key`)
  return parsed.data
}

async function readJson(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new IssuerKeyError(`cannot read ${path}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new IssuerKeyError(`${path} is not JSON`)
  }
}

/** Trusted issuer public keys by key id. */
export class TrustStore {
  private readonly base: readonly IssuerPublicKey[]
  private readonly keys = new Map<string, IssuerPublicKey>()

  /** `keys` are the store's base: `setExtra` replaces what is trusted besides them. */
  constructor(keys: readonly IssuerPublicKey[] = []) {
    this.base = [...keys]
    for (const k of keys) this.keys.set(k.keyId, k)
  }

  /** The trust store shipped with the project, plus `extra` keys (config, `--trust`). */
  static withDefaults(extra: readonly IssuerPublicKey[] = []): TrustStore {
    const shipped = (DEFAULT_TRUST_JSON as unknown[]).map((k, i) =>
      parsePublicKey(k, `trust store entry ${i}`),
    )
    const store = new TrustStore(shipped)
    store.setExtra(extra)
    return store
  }

  /**
   * Trusts exactly the base keys plus `extra` from now on (config.json's `license.trust`
   * re-read by a running node). Whoever verified with this store re-judges what it
   * verified before (`LicenseService.trustChanged`).
   */
  setExtra(extra: readonly IssuerPublicKey[]): void {
    this.keys.clear()
    for (const k of [...this.base, ...extra]) this.keys.set(k.keyId, k)
  }

  get(keyId: string): IssuerPublicKey | undefined {
    return this.keys.get(keyId)
  }

  list(): IssuerPublicKey[] {
    return [...this.keys.values()]
  }
}
