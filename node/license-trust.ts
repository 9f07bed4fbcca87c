/**
 * config.json's `license.trust`: issuer public key files a node trusts besides the
 * shipped trust store. Read at start, and again without a restart when
 * `npx verseguy license trust FILE` changes the list (`VerseGuyNode.reloadTrust`).
 */
import { resolve } from 'node:path'
import { type IssuerPublicKey, readIssuerPublicKey } from '../services/licensing/index.ts'
import { loadConfig, writeConfig } from './config.ts'
import { layout } from './data-dir.ts'

/** What a node trusts besides the shipped keys, as the API reports it. */
export interface TrustedKey {
  readonly keyId: string
  readonly issuer: string
  readonly file: string
}

/** Reads each listed file (relative paths from the data directory); a bad one throws `IssuerKeyError`. */
export async function readTrustedKeys(
  dataDir: string,
  files: readonly string[],
): Promise<{ keys: IssuerPublicKey[]; trusted: TrustedKey[] }> {
  const keys: IssuerPublicKey[] = []
  const trusted: TrustedKey[] = []
  for (const f of files) {
    const file = resolve(dataDir, f)
    const key = await readIssuerPublicKey(file)
    keys.push(key)
    trusted.push({ keyId: key.keyId, issuer: key.issuer, file })
  }
  return { keys, trusted }
}

/**
 * Adds an issuer public key file to config.json's `license.trust` (by absolute path),
 * after checking it is one. `added` is false if the file was listed already. A running
 * node picks it up when told to (`VerseGuyNode.reloadTrust`); any other at its start.
 */
export async function addTrustedKeyFile(
  dataDir: string,
  file: string,
): Promise<{ key: TrustedKey; added: boolean }> {
  const abs = resolve(file)
  const key = await readIssuerPublicKey(abs)
  const path = layout(dataDir).config
  const config = await loadConfig(path)
  const listed = config.license.trust.some((f) => resolve(dataDir, f) === abs)
  if (!listed)
    await writeConfig(path, {
      ...config,
      license: { ...config.license, trust: [...config.license.trust, abs] },
    })
  return { key: { keyId: key.keyId, issuer: key.issuer, file: abs }, added: !listed }
}
