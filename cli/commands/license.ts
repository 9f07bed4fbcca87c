/**
 * `verseguy license …`: the issuer's side (keygen, issue, revoke: need the vendor
 * private key file, never a node) and the node's side (install, status, revocations).
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { cliHint } from '../../node/cli-hint.ts'
import type { ClockReset, LicenseStatus, RevocationsStatus } from '../../node/license-files.ts'
import {
  type Clock,
  FEATURES,
  type Feature,
  isFeature,
  systemClock,
  TIER_FEATURES,
  TIERS,
  type Tier,
} from '../../node/light.ts'
import { CliError } from '../errors.ts'
import { withNode } from '../node-client.ts'
import { oneOf, wholeNumber } from '../options.ts'
import { printJson, printLines } from '../output.ts'
import { examples } from './context.ts'
import { registerLicenseTrust } from './license-trust.ts'

const DAY = 86_400_000

/** Signing and verifying: loaded when a command needs them, not to define the commands. */
const licensing = () => import('../../node/license-files.ts')

export interface LicenseCommandsInit {
  /** Issue dates and whether a license is in force are read from it; default `systemClock`. */
  readonly clock?: Clock
}

export function registerLicense(program: Command, init: LicenseCommandsInit = {}): void {
  const clock = init.clock ?? systemClock
  const license = program.command('license').description('license files: issue (vendor) and install (node)')
  const dataDir = () => program.opts<{ dataDir?: string }>().dataDir

  const keygen = license
    .command('keygen')
    .description('create an issuer key pair: FILE (private, keep it offline) and FILE.pub')
    .requiredOption('--out <file>', 'where to write the private key')
    .option('--issuer <name>', 'the issuer name signed into every license', 'Verse Guy')
    .action(async (opts: { out: string; issuer: string }) => {
      const { writeIssuerKeyFiles } = await licensing()
      const pub = await writeIssuerKeyFiles(opts.out, opts.issuer)
      printLines([
        `Wrote ${opts.out} (private: keep it offline) and ${opts.out}.pub`,
        `  issuer  ${pub.issuer}`,
        `  key id  ${pub.keyId}`,
        `A node trusts it after: ${cliHint(`license trust ${opts.out}.pub`, dataDir())}`,
      ])
    })
  examples(keygen, 'license keygen --out vendor.key --issuer "Verse Guy"')

  const issue = license
    .command('issue')
    .description('sign a license for an org')
    .requiredOption('--key <file>', 'the issuer private key file')
    .requiredOption(
      '--org <ref>',
      `the org: ORGID.FOUNDERKEY as '${cliHint('license status')}' prints it (or ORGID with --founder)`,
    )
    .option('--founder <key>', "the org founder's member key")
    .requiredOption('--tier <tier>', `one of ${TIERS.join(', ')}`, oneOf('--tier', TIERS))
    .requiredOption('--days <n>', 'valid for this many days', wholeNumber('--days', { min: 1 }))
    .requiredOption('--out <file>', 'where to write the license')
    .option('--seats <n>', 'members the license covers', wholeNumber('--seats', { min: 1 }), 25)
    .option(
      '--grace-days <n>',
      'days features stay on after expiry',
      wholeNumber('--grace-days', { min: 0 }),
      14,
    )
    .option('--features <list>', `comma-separated entitlements (default: the tier's): ${FEATURES.join(', ')}`)
    .option('--not-before <date>', 'start date (ISO 8601; default now)')
    .action(
      async (opts: {
        key: string
        org: string
        founder?: string
        tier: Tier
        days: number
        out: string
        seats: number
        graceDays: number
        features?: string
        notBefore?: string
      }) => {
        const tier = opts.tier
        const [orgId, founderFromRef] = opts.org.split('.')
        const founder = opts.founder ?? founderFromRef
        if (founder === undefined)
          throw new CliError('--org needs the founder key: ORGID.FOUNDERKEY, or give --founder', {
            usage: true,
          })
        const { decodeLicense, readIssuerKey, signLicense } = await licensing()
        const signer = await readIssuerKey(opts.key)
        const now = clock.now()
        const notBefore = opts.notBefore === undefined ? now : Date.parse(opts.notBefore)
        if (Number.isNaN(notBefore)) throw new CliError('--not-before is not a date', { usage: true })
        const text = signLicense(
          {
            v: 1,
            id: randomBytes(16).toString('hex'),
            keyId: signer.keyId,
            issuer: signer.issuer,
            org: orgId ?? '',
            founder,
            tier,
            features: features(opts.features, tier),
            seats: opts.seats,
            issuedAt: now,
            notBefore,
            expires: notBefore + opts.days * DAY,
            grace: opts.graceDays * DAY,
          },
          signer,
        )
        await writeFile(opts.out, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(err.code === 'EEXIST' ? `${opts.out} exists; not overwriting it` : err.message)
        })
        const l = decodeLicense(text).fields
        printLines([`Wrote ${tier} license ${l.id} for org ${l.org} to ${opts.out}`])
      },
    )
  examples(
    issue,
    'license issue --key vendor.key --org ORGID.FOUNDERKEY --tier pro --days 365 --out crim.license',
  )

  const verify = license
    .command('verify')
    .description("check a license file's signature offline and show what it grants")
    .argument('<file>', 'the license file')
    .option('--trust <pub...>', 'issuer public key files to trust (default: the shipped trust store)')
    .option('--json', 'print the fields as JSON')
    .action(async (file: string, opts: { trust?: string[]; json?: boolean }) => {
      const { readIssuerPublicKey, readLicense, TrustStore } = await licensing()
      const trust =
        opts.trust === undefined
          ? TrustStore.withDefaults()
          : new TrustStore(await Promise.all(opts.trust.map(readIssuerPublicKey)))
      const l = readLicense(await readText(file), trust).fields
      const now = clock.now()
      const when =
        now < l.notBefore
          ? 'not valid yet'
          : now <= l.expires
            ? 'in force'
            : now <= l.expires + l.grace
              ? 'in its grace period'
              : 'expired'
      if (opts.json) {
        printJson({ valid: true, when, license: l })
        return
      }
      printLines([
        `Valid signature by ${l.issuer} (key ${l.keyId}); the license is ${when}.`,
        `  license   ${l.id}`,
        `  org       ${l.org} (founder ${l.founder})`,
        `  tier      ${l.tier}; ${l.seats} seats`,
        `  features  ${l.features.join(', ')}`,
        `  valid     ${iso(l.notBefore)} to ${iso(l.expires)} (+${l.grace / DAY} days grace)`,
      ])
    })
  examples(verify, 'license verify crim.license', 'license verify crim.license --trust vendor.key.pub --json')

  const revoke = license
    .command('revoke')
    .description('sign a revocation list (it replaces earlier lists: name every revoked license)')
    .requiredOption('--key <file>', 'the issuer private key file')
    .requiredOption(
      '--seq <n>',
      'sequence number, higher than any list issued before',
      wholeNumber('--seq', { min: 1 }),
    )
    .requiredOption('--out <file>', 'where to write the list')
    .argument('[ids...]', 'license ids to revoke')
    .action(async (ids: string[], opts: { key: string; seq: number; out: string }) => {
      const { readIssuerKey, signRevocations } = await licensing()
      const signer = await readIssuerKey(opts.key)
      const text = signRevocations(
        {
          v: 1,
          keyId: signer.keyId,
          issuer: signer.issuer,
          seq: opts.seq,
          issuedAt: clock.now(),
          revoked: [...new Set(ids)].sort(),
        },
        signer,
      )
      await writeFile(opts.out, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(err.code === 'EEXIST' ? `${opts.out} exists; not overwriting it` : err.message)
      })
      printLines([`Wrote revocation list ${opts.seq} (${ids.length} licenses) to ${opts.out}`])
    })
  examples(revoke, 'license revoke --key vendor.key --seq 2 --out revoked-2.list LICENSEID')

  registerLicenseTrust(license, dataDir)

  const passphrase = (cmd: Command) =>
    cmd.option('--passphrase-file <file>', 'when no node runs: read the passphrase from a file')

  const install = passphrase(
    license
      .command('install')
      .description("verify a license offline and install it in its org, for every member's node")
      .argument('<file>', 'the license file')
      .option('--org <id>', 'the org (default: the one the license names)')
      .option('--json', 'print the status as JSON'),
  ).action(async (file: string, opts: { org?: string; json?: boolean; passphraseFile?: string }) => {
    const text = await readText(file)
    const { decodeLicense } = await licensing()
    const orgId = opts.org ?? decodeLicense(text).fields.org
    const status = await withNode(dataDir(), opts, (api) =>
      api.request<LicenseStatus>('PUT', `/api/v1/orgs/${encodeURIComponent(orgId)}/license`, { text }),
    )
    if (opts.json) printJson(status)
    else printLines(describe(status, dataDir()))
  })
  examples(install, 'license install crim.license')

  const statusCmd = passphrase(
    license
      .command('status')
      .description("each org's license as this node judges it")
      .option('--json', 'print as JSON'),
  ).action(async (opts: { json?: boolean; passphraseFile?: string }) => {
    const all = await withNode(dataDir(), opts, (api) =>
      api.request<{ orgs: LicenseStatus[]; revocations: RevocationsStatus[] }>('GET', '/api/v1/licenses'),
    )
    if (opts.json) {
      printJson(all)
      return
    }
    if (all.orgs.length === 0) printLines(['No orgs on this node.'])
    for (const s of all.orgs) printLines(describe(s, dataDir()))
    for (const r of all.revocations)
      printLines([`Revocation list ${r.seq} from ${r.issuer}: ${r.revoked} revoked`])
  })
  examples(statusCmd, 'license status', 'license status --json')

  const revocations = passphrase(
    license
      .command('revocations')
      .description("install an issuer's revocation list; it spreads to every org this node holds")
      .argument('<file>', 'the revocation list file'),
  ).action(async (file: string, opts: { passphraseFile?: string }) => {
    const text = await readText(file)
    const r = await withNode(dataDir(), opts, (api) =>
      api.request<RevocationsStatus>('POST', '/api/v1/license/revocations', { text }),
    )
    printLines([`Installed revocation list ${r.seq} from ${r.issuer} (${r.revoked} revoked)`])
  })
  examples(revocations, 'license revocations revoked-2.list')

  const clockReset = passphrase(
    license
      .command('clock-reset')
      .description(
        "after a wrong clock pushed the license clock ahead: reset it to this computer's clock (recorded in your chain)",
      )
      .option('--yes', "confirm that this computer's clock is right now")
      .option('--json', 'print the result as JSON'),
  ).action(async (opts: { yes?: boolean; json?: boolean; passphraseFile?: string }) => {
    const r = await withNode(dataDir(), opts, (api) =>
      api.request<ClockReset>('POST', '/api/v1/license/clock-reset', { confirm: opts.yes === true }),
    )
    if (opts.json) printJson(r)
    if (r.done) {
      if (!opts.json)
        printLines([
          `Reset the license clock from ${iso(r.from)} to ${iso(r.to)}; recorded in your chain (entry ${r.entry?.seq}).`,
        ])
      return
    }
    if (!r.needed) {
      if (!opts.json)
        printLines([
          `This computer's clock (${iso(r.to)}) is not behind the time already seen (${iso(r.from)}): nothing to reset.`,
        ])
      return
    }
    throw new CliError(
      `The license clock has seen ${iso(r.from)}; this computer's clock says ${iso(r.to)}. ` +
        `If that is right, reset it with: ${cliHint('license clock-reset --yes', dataDir())} ` +
        '(the reset is recorded in your chain, which your orgs see). Nothing was changed.',
    )
  })
  examples(clockReset, 'license clock-reset', 'license clock-reset --yes')
}

function describe(s: LicenseStatus, dataDir: string | undefined): string[] {
  return [
    `Org ${s.org}: ${s.state}${s.tier ? ` ${s.tier} license` : ''}; ${s.effectiveTier} features in force`,
    `  org ref   ${s.orgRef} (give this to the issuer)`,
    ...(s.licenseId ? [`  license   ${s.licenseId} by ${s.issuer}; expires ${iso(s.expires ?? 0)}`] : []),
    `  members   ${s.members}${s.seats === null ? '' : ` of ${s.seats} seats`}`,
    ...s.warnings.map((w) => `  warning   ${w}`),
    ...(s.clock.rolledBack
      ? [`  fix       if this computer's clock is right: ${cliHint('license clock-reset --yes', dataDir)}`]
      : []),
  ]
}

function features(list: string | undefined, tier: Tier): Feature[] {
  if (list === undefined) return [...TIER_FEATURES[tier]].sort()
  const out = [...new Set(list.split(',').map((f) => f.trim()))].sort()
  for (const f of out)
    if (!isFeature(f))
      throw new CliError(`unknown feature ${f}; known: ${FEATURES.join(', ')}`, { usage: true })
  return out as Feature[]
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`)
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
